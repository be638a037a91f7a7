import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type StatusInput, render, stateFromStats } from '../src/status';
import type { Flag, ItemInfo } from '../src/suggestion';

const shell: Flag = {
  rule: 'py.subprocess-shell',
  cwe: 'CWE-78',
  message: 'call to subprocess with shell=True',
  start: 0,
  end: 5,
  entropy: 3.08,
  reviewRequired: true,
};
const item = (confidence: number, flags: Flag[] = []): ItemInfo => ({ id: 'x', text: 't', confidence, flags });
const ready: StatusInput = { server: { kind: 'ready', model: 'shipped model 8f50b119' }, suggestWhileTyping: true };
const at = { uri: 'file:///a.py', line: 3, character: 10 };

test('server states', () => {
  assert.match(render({ ...ready, server: { kind: 'starting' } }).text, /loading~spin/);
  const loading = render({ ...ready, server: { kind: 'loading', message: 'loading the shipped model' } });
  assert.match(loading.text, /loading model/);
  assert.match(loading.tooltip, /loading the shipped model/);
  const ok = render(ready);
  assert.equal(ok.text, '$(check) entropy-complete (shipped model 8f50b119)');
  assert.equal(ok.severity, 'normal');
  const err = render({ ...ready, server: { kind: 'modelError', message: 'Cannot load the model: not found' } });
  assert.equal(err.severity, 'error');
  assert.match(err.tooltip, /not found/);
  assert.match(render({ ...ready, suggestWhileTyping: false }).text, /debug-pause/);
});

test('the confidence of the suggestion on screen', () => {
  const view = render({ ...ready, shown: { ...at, items: [item(0.66), item(0.2)] } });
  assert.equal(view.text, '$(lightbulb) confidence 0.66');
  assert.match(view.tooltip, /1 alternative: Alt\+\]/);
  assert.equal(view.severity, 'normal');
});

test('a flagged suggestion is a warning before it is accepted', () => {
  const view = render({ ...ready, shown: { ...at, items: [item(0.17, [shell])] } });
  assert.equal(view.text, '$(warning) review: py.subprocess-shell (CWE-78) · confidence 0.17');
  assert.equal(view.severity, 'warning');
  assert.match(view.tooltip, /shell=True; entropy 3\.08 nats/);
  assert.match(view.tooltip, /Mark as reviewed/);
  // Annotated but not review-required: just the confidence.
  const known = render({ ...ready, shown: { ...at, items: [item(0.9, [{ ...shell, reviewRequired: false }])] } });
  assert.equal(known.severity, 'normal');
  // A flagged alternative behind an unflagged first suggestion is mentioned.
  const alt = render({ ...ready, shown: { ...at, items: [item(0.5), item(0.3, [shell])] } });
  assert.match(alt.text, /1 flagged alternative/);
  assert.equal(alt.severity, 'warning');
  assert.match(alt.tooltip, /alternative 2: py\.subprocess-shell \(CWE-78\)/);
});

test('an automatic trigger that held back says why', () => {
  const held = render({
    ...ready,
    abstained: { ...at, version: 1, bestConfidence: 0.163, abstainBelow: 0.2, reason: 'confidence' },
  });
  assert.equal(held.text, '$(circle-slash) held back: unsure (0.16 < 0.20)');
  assert.match(held.tooltip, /abstainBelow/);
  const nothing = render({
    ...ready,
    abstained: { ...at, version: 1, bestConfidence: 0, abstainBelow: 0.2, reason: 'confidence' },
  });
  assert.match(nothing.text, /nothing usable/);
  const language = render({
    ...ready,
    abstained: { ...at, version: 1, bestConfidence: 0, abstainBelow: 0, reason: 'language' },
  });
  assert.equal(language.text, '$(circle-slash) no suggestions in this language');
  assert.match(language.tooltip, /languageGuard/);
  // Suggestion state is not shown while the model is not ready.
  const loading = render({ ...ready, server: { kind: 'loading', message: '' }, shown: { ...at, items: [item(0.5)] } });
  assert.match(loading.text, /loading model/);
});

test('model state from entropyComplete/stats', () => {
  assert.deepEqual(stateFromStats({ modelLoaded: true, modelName: 'shipped model', modelId: '8f50b119524d' }), {
    kind: 'ready',
    model: 'shipped model 8f50b119',
  });
  assert.deepEqual(stateFromStats({ modelLoaded: false, modelError: 'model directory not found' }), {
    kind: 'modelError',
    message: 'Cannot load the model: model directory not found',
  });
  assert.equal(stateFromStats({ modelLoaded: false, modelError: null }).kind, 'loading');
});
