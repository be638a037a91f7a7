// Writes package.json's contributes.configuration from the server's option table:
// the extension's own settings first, then `entropy-complete options --schema`.
//   node scripts/settings.mjs [--check] [--server CMD]   (CMD default: entropy-complete)
// tests/editors/test_vscode_settings.py fails when package.json and the server disagree.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const serverAt = args.indexOf('--server');
const server = serverAt >= 0 ? args[serverAt + 1] : 'entropy-complete';

const client = JSON.parse(readFileSync(join(root, 'scripts', 'client-settings.json'), 'utf8'));
const serverCategories = JSON.parse(execFileSync(server, ['options', '--schema'], { encoding: 'utf8' }));
const pkgPath = join(root, 'package.json');
const before = readFileSync(pkgPath, 'utf8');
const pkg = JSON.parse(before);
pkg.contributes.configuration = [client, ...serverCategories];
const after = JSON.stringify(pkg, null, 2) + '\n';
if (check) {
  if (after !== before) {
    console.error('package.json settings differ from the server: run `node scripts/settings.mjs`');
    process.exit(1);
  }
} else {
  writeFileSync(pkgPath, after);
}
