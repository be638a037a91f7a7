// The entropyComplete.* settings: which of them are the server's options, and the options object
// sent to the server (initializationOptions, workspace/didChangeConfiguration). Pure: no vscode.

export const SECTION = 'entropyComplete';
/** The category of package.json settings the extension itself reads (server.path, trace...). */
export const CLIENT_CATEGORY = 'entropyComplete.client';

export interface SettingSchema {
  type: string;
  default: unknown;
  enum?: unknown[];
}

export interface SettingsCategory {
  id: string;
  title: string;
  properties: Record<string, SettingSchema>;
}

export type ServerOptions = Record<string, unknown>;

/**
 * The server's option keys, relative to the section ("model.path", "automatic.abstainBelow"):
 * every contributed setting outside the extension's own category (generated from the server's
 * option table, see scripts/settings.mjs).
 */
export function serverKeys(categories: readonly SettingsCategory[]): string[] {
  return categories
    .filter((c) => c.id !== CLIENT_CATEGORY)
    .flatMap((c) => Object.keys(c.properties))
    .map((key) => key.slice(SECTION.length + 1));
}

/**
 * The options object for the server: each key's value as VS Code resolves it (user, workspace,
 * folder or default), nested by its dotted path. Keys whose value is undefined are left out, so
 * the server keeps its own default for them.
 */
export function serverOptions(keys: readonly string[], get: (key: string) => unknown): ServerOptions {
  const out: ServerOptions = {};
  for (const key of keys) {
    const value = get(key);
    if (value === undefined) {
      continue;
    }
    const parts = key.split('.');
    const leaf = parts.pop();
    if (leaf === undefined) {
      continue;
    }
    let node = out;
    for (const part of parts) {
      const next = node[part];
      if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
        node = next as ServerOptions;
      } else {
        const created: ServerOptions = {};
        node[part] = created;
        node = created;
      }
    }
    node[leaf] = value;
  }
  return out;
}

/** Does a change to these settings need a new server process (rather than a settings push)? */
export function needsRestart(affects: (key: string) => boolean): boolean {
  return affects(`${SECTION}.server.path`);
}
