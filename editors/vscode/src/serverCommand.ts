// Where the language server comes from: entropyComplete.server.path (a command on PATH or a
// path), else the console script in the Python extension's active environment. Pure: the file
// system and the environment are passed in.

import * as path from 'node:path';

export const DEFAULT_SERVER = 'entropy-complete';

export type Resolved =
  { ok: true; command: string; source: 'setting' | 'PATH' | 'python environment' } | { ok: false; reason: string };

export interface Lookup {
  /** Is there an executable file here? */
  isExecutable(file: string): boolean;
  /** The PATH variable. */
  pathVariable: string | undefined;
  home: string;
  platform: NodeJS.Platform;
  /** The Python extension's active interpreter, when that extension is installed. */
  pythonInterpreter?: string;
}

function executableNames(name: string, platform: NodeJS.Platform): string[] {
  return platform === 'win32' && !path.extname(name) ? [`${name}.exe`, `${name}.cmd`, name] : [name];
}

function expandHome(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(home, p.slice(1)) : p;
}

function onPath(name: string, lookup: Lookup): string | undefined {
  const sep = lookup.platform === 'win32' ? ';' : ':';
  for (const dir of (lookup.pathVariable ?? '').split(sep)) {
    if (!dir) {
      continue;
    }
    for (const file of executableNames(name, lookup.platform)) {
      const candidate = path.join(dir, file);
      if (lookup.isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** The server executable for this setting, or why there is none (shown to the user). */
export function resolveServer(setting: string | undefined, lookup: Lookup): Resolved {
  const configured = (setting ?? '').trim() || DEFAULT_SERVER;
  const expanded = expandHome(configured, lookup.home);
  if (expanded.includes('/') || expanded.includes('\\')) {
    const file = path.resolve(expanded);
    return lookup.isExecutable(file)
      ? { ok: true, command: file, source: 'setting' }
      : { ok: false, reason: `entropyComplete.server.path: no executable at ${file}.` };
  }
  const found = onPath(expanded, lookup);
  if (found) {
    return { ok: true, command: found, source: configured === DEFAULT_SERVER ? 'PATH' : 'setting' };
  }
  if (configured === DEFAULT_SERVER && lookup.pythonInterpreter) {
    const bin = path.dirname(lookup.pythonInterpreter);
    for (const file of executableNames(DEFAULT_SERVER, lookup.platform)) {
      const candidate = path.join(bin, file);
      if (lookup.isExecutable(candidate)) {
        return { ok: true, command: candidate, source: 'python environment' };
      }
    }
  }
  const where = lookup.pythonInterpreter
    ? `on PATH or next to the active Python interpreter (${lookup.pythonInterpreter})`
    : 'on PATH';
  return {
    ok: false,
    reason:
      `cannot find the server '${configured}' ${where}. Install it (pip install entropy-complete) ` +
      'or set entropyComplete.server.path to its full path.',
  };
}

/**
 * Whether to start the server again after its process ended: only if it had come up (a server
 * that dies before answering initialize is broken, and restarting it would loop) and it has not
 * crashed three times in the last three minutes.
 */
export function shouldRestart(initialized: boolean, crashTimes: readonly number[], now: number): boolean {
  if (!initialized) {
    return false;
  }
  const recent = crashTimes.filter((t) => now - t < 3 * 60_000);
  return recent.length < 3;
}
