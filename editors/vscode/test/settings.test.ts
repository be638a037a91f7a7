import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { type SettingsCategory, needsRestart, serverKeys, serverOptions } from '../src/settings';

// out/test/ -> the package root
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: SettingsCategory[] };
};
const categories = pkg.contributes.configuration;
const keys = serverKeys(categories);

test('server keys are the generated options, not the extension settings', () => {
  assert.ok(keys.includes('model.path'));
  assert.ok(keys.includes('automatic.abstainBelow'));
  assert.ok(keys.includes('invoked.candidates'));
  assert.ok(keys.includes('cacheSize'));
  for (const own of ['server.path', 'trace.server', 'suggestWhileTyping']) {
    assert.ok(!keys.includes(own), own);
  }
  assert.equal(new Set(keys).size, keys.length);
});

test('defaults nest into the object the server reads', () => {
  const defaults = new Map<string, unknown>();
  for (const c of categories) {
    for (const [key, schema] of Object.entries(c.properties)) {
      defaults.set(key.slice('entropyComplete.'.length), schema.default);
    }
  }
  const options = serverOptions(keys, (key) => defaults.get(key));
  // Every server key lands at its dotted path, once.
  const flat = new Map<string, unknown>();
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'object' && v !== null) {
        walk(v as Record<string, unknown>, `${prefix}${k}.`);
      } else {
        flat.set(`${prefix}${k}`, v);
      }
    }
  };
  walk(options, '');
  assert.deepEqual([...flat.keys()].sort(), [...keys].sort());
  for (const key of keys) {
    assert.equal(flat.get(key), defaults.get(key), key);
  }
  assert.equal((options.model as Record<string, unknown>).path, '');
  assert.equal((options.automatic as Record<string, unknown>).abstainBelow, 0.1);
  assert.equal((options.invoked as Record<string, unknown>).abstainBelow, 0);
  assert.equal(options.cacheSize, 256);
  assert.ok(!('server' in options) && !('trace' in options) && !('suggestWhileTyping' in options));
});

test('a changed setting is sent as the user wrote it; unknown values are left out', () => {
  const user: Record<string, unknown> = { 'automatic.abstainBelow': 0.5, 'model.path': '~/m' };
  const options = serverOptions(['automatic.abstainBelow', 'model.path', 'review.extraRules'], (k) => user[k]);
  assert.deepEqual(options, { automatic: { abstainBelow: 0.5 }, model: { path: '~/m' } });
});

test('only the server path needs a restart', () => {
  assert.equal(
    needsRestart((k) => k === 'entropyComplete.server.path'),
    true,
  );
  assert.equal(
    needsRestart((k) => k === 'entropyComplete.model.path'),
    false,
  );
});
