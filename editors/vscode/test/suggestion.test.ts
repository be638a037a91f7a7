import assert from 'node:assert/strict';
import { test } from 'node:test';

import { asAbstention, flagLabels, itemInfo, reviewFlags } from '../src/suggestion';

// The accept command an inline item carries, as the server sends it (lsp_server/features/commands.py).
const flag = {
  rule: 'py.subprocess-shell',
  cwe: 'CWE-78',
  message: 'call to subprocess with shell=True',
  start: 0,
  end: 5,
  entropy: 3.08,
  reviewRequired: true,
};
const command = (flags: unknown[]) => ({
  command: 'entropyComplete.accept',
  arguments: [
    { uri: 'file:///a.py', id: 'abc-0', position: { line: 5, character: 51 }, text: 'True)', confidence: 0.17, flags },
  ],
});

test('confidence and flags are read from the accept command', () => {
  const info = itemInfo(command([flag, { ...flag, rule: 'py.weak-hash', cwe: 'CWE-327', reviewRequired: false }]));
  assert.ok(info);
  assert.equal(info.confidence, 0.17);
  assert.equal(info.flags.length, 2);
  assert.deepEqual(
    reviewFlags(info).map((f) => f.rule),
    ['py.subprocess-shell'],
  );
  assert.deepEqual(flagLabels(info.flags), ['py.subprocess-shell (CWE-78)', 'py.weak-hash (CWE-327)']);
});

test('other commands and malformed arguments are not ours', () => {
  assert.equal(itemInfo(undefined), undefined);
  assert.equal(itemInfo({ command: 'other', arguments: command([]).arguments }), undefined);
  assert.equal(itemInfo({ command: 'entropyComplete.accept', arguments: [{ id: 1 }] }), undefined);
  const info = itemInfo(command([{ rule: 'x' }, flag]));
  assert.equal(info?.flags.length, 1); // a malformed flag is dropped, the good one kept
});

test('abstention params are checked', () => {
  const params = {
    uri: 'file:///a.py',
    version: 3,
    position: { line: 1, character: 4 },
    bestConfidence: 0.16,
    abstainBelow: 0.2,
  };
  assert.deepEqual(asAbstention(params), {
    uri: 'file:///a.py',
    version: 3,
    line: 1,
    character: 4,
    bestConfidence: 0.16,
    abstainBelow: 0.2,
    reason: 'confidence',
  });
  assert.equal(asAbstention({ ...params, reason: 'language' })?.reason, 'language');
  assert.equal(asAbstention({ ...params, position: undefined }), undefined);
  assert.equal(asAbstention(null), undefined);
});
