import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { accessSync, constants, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { type Lookup, resolveServer, shouldRestart } from '../src/serverCommand';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

// Real files in a temp dir: a bin/ on PATH, a venv's bin/ with python and the console script.
const root = mkdtempSync(join(tmpdir(), 'ec-server-'));
const onPath = join(root, 'bin');
const venv = join(root, 'venv', 'bin');
const empty = join(root, 'empty');
for (const dir of [onPath, venv, empty]) {
  mkdirSync(dir, { recursive: true });
}
function script(file: string, mode = 0o755): string {
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, mode);
  return file;
}
const pathServer = script(join(onPath, 'entropy-complete'));
const venvServer = script(join(venv, 'entropy-complete'));
script(join(venv, 'python'));
script(join(empty, 'entropy-complete'), 0o644); // not executable: skipped

const base: Lookup = { isExecutable, pathVariable: `${empty}:${onPath}`, home: root, platform: 'linux' };

test('the default is found on PATH first', () => {
  assert.deepEqual(resolveServer(undefined, base), { ok: true, command: pathServer, source: 'PATH' });
  assert.deepEqual(resolveServer('  ', { ...base, pythonInterpreter: join(venv, 'python') }), {
    ok: true,
    command: pathServer,
    source: 'PATH',
  });
});

test('then the Python extension environment', () => {
  const lookup = { ...base, pathVariable: empty, pythonInterpreter: join(venv, 'python') };
  assert.deepEqual(resolveServer('entropy-complete', lookup), {
    ok: true,
    command: venvServer,
    source: 'python environment',
  });
});

test('a path in the setting is used as given, ~ expanded', () => {
  assert.deepEqual(resolveServer(venvServer, base), { ok: true, command: venvServer, source: 'setting' });
  assert.deepEqual(resolveServer('~/venv/bin/entropy-complete', base), {
    ok: true,
    command: venvServer,
    source: 'setting',
  });
  const missing = resolveServer(join(root, 'nope', 'entropy-complete'), base);
  assert.ok(!missing.ok);
  assert.match(missing.reason, /no executable at .*nope/);
});

test('a missing server says what to do', () => {
  const none = resolveServer(undefined, { ...base, pathVariable: empty });
  assert.ok(!none.ok);
  assert.match(none.reason, /cannot find the server 'entropy-complete' on PATH.*pip install/);
  // A custom command name is not looked up in the Python environment.
  const custom = resolveServer('my-server', { ...base, pythonInterpreter: join(venv, 'python') });
  assert.equal(custom.ok, false);
});

test('restart only a server that came up, and not in a loop', () => {
  const now = 1_000_000;
  assert.equal(shouldRestart(false, [now], now), false);
  assert.equal(shouldRestart(true, [now], now), true);
  assert.equal(shouldRestart(true, [now - 2000, now - 1000, now], now), false);
  assert.equal(shouldRestart(true, [now - 400_000, now - 300_000, now], now), true);
});
