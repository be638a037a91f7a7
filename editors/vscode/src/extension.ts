// entropy-complete for VS Code: ghost-text suggestions from `entropy-complete serve`, their
// confidence in the status bar, and review flags on sensitive APIs before and after accepting.

import * as vscode from 'vscode';

import { Server } from './client';
import { SECTION, type SettingsCategory, needsRestart, serverKeys } from './settings';
import { Ui } from './ui';

const REVIEW_SOURCE = 'entropy-complete';

interface PackageJson {
  activationEvents?: string[];
  contributes?: { configuration?: SettingsCategory[] };
}

let server: Server | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const pkg = context.extension.packageJSON as PackageJson;
  const languages = (pkg.activationEvents ?? [])
    .filter((e) => e.startsWith('onLanguage:'))
    .map((e) => e.slice('onLanguage:'.length));
  const keys = serverKeys(pkg.contributes?.configuration ?? []);

  const output = vscode.window.createOutputChannel('entropy-complete', { log: true });
  const suggestWhileTyping = (): boolean =>
    vscode.workspace.getConfiguration(SECTION).get<boolean>('suggestWhileTyping', true);
  const ui = new Ui(suggestWhileTyping);
  const srv = new Server(output, ui, languages, keys);
  server = srv;

  const command = (id: string, run: () => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(`entropyComplete.${id}`, run);
  context.subscriptions.push(
    output,
    ui,
    srv,
    command('askForAlternatives', () => vscode.commands.executeCommand('editor.action.inlineSuggest.trigger')),
    command('toggleSuggestWhileTyping', async () => {
      const on = !suggestWhileTyping();
      await vscode.workspace
        .getConfiguration(SECTION)
        .update('suggestWhileTyping', on, vscode.ConfigurationTarget.Global);
      void vscode.window.showInformationMessage(
        `entropy-complete: suggestions while typing ${on ? 'on' : 'off (ask with Alt+\\)'}`,
      );
    }),
    command('listUnreviewed', listUnreviewed),
    command('restartServer', () => srv.restart()),
    command('showLog', () => {
      output.show();
    }),
    command('hideSuggestion', async () => {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.hide');
      ui.clear();
    }),
    command('showMenu', showMenu),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration(SECTION)) {
        return;
      }
      ui.refresh();
      if (needsRestart((key) => e.affectsConfiguration(key))) {
        await srv.restart();
      } else {
        await srv.pushSettings();
      }
    }),
  );
  await srv.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}

/** Every review diagnostic the server published, in a picker that jumps to the code. */
async function listUnreviewed(): Promise<void> {
  type Pick = vscode.QuickPickItem & { uri: vscode.Uri; range: vscode.Range };
  const picks: Pick[] = [];
  for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
    for (const d of diagnostics) {
      if (d.source !== REVIEW_SOURCE) {
        continue;
      }
      const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
      picks.push({
        label: `$(warning) ${code}`,
        description: `${vscode.workspace.asRelativePath(uri)}:${d.range.start.line + 1}`,
        detail: d.message,
        uri,
        range: d.range,
      });
    }
  }
  if (picks.length === 0) {
    void vscode.window.showInformationMessage('entropy-complete: no unreviewed flags.');
    return;
  }
  const pick = await vscode.window.showQuickPick(picks, {
    title: `entropy-complete: ${picks.length} unreviewed flag${picks.length > 1 ? 's' : ''}`,
    placeHolder: 'Open one, then use its quick fix "Mark as reviewed"',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (pick) {
    const editor = await vscode.window.showTextDocument(pick.uri);
    editor.selection = new vscode.Selection(pick.range.start, pick.range.end);
    editor.revealRange(pick.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}

async function showMenu(): Promise<void> {
  const actions: (vscode.QuickPickItem & { command: string })[] = [
    { label: '$(sparkle) Ask for Alternatives', description: 'Alt+\\', command: 'entropyComplete.askForAlternatives' },
    { label: '$(debug-pause) Toggle Suggestions While Typing', command: 'entropyComplete.toggleSuggestWhileTyping' },
    { label: '$(warning) List Unreviewed Flags', command: 'entropyComplete.listUnreviewed' },
    { label: '$(debug-restart) Restart Server', command: 'entropyComplete.restartServer' },
    { label: '$(output) Show Server Log', command: 'entropyComplete.showLog' },
    { label: '$(gear) Settings', command: 'workbench.action.openSettings' },
  ];
  const pick = await vscode.window.showQuickPick(actions, { title: 'entropy-complete' });
  if (pick) {
    await vscode.commands.executeCommand(
      pick.command,
      ...(pick.command.startsWith('workbench') ? [`@ext:entropy-complete.entropy-complete`] : []),
    );
  }
}
