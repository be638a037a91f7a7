// The status bar item and the review marking of a suggestion before it is accepted: it follows
// the server's state, the answers to inline requests and the cursor.

import * as vscode from 'vscode';

import { type ServerState, type Shown, render } from './status';
import { type Abstention, type ItemInfo, flagLabels, reviewFlags } from './suggestion';

const SHOWN_CONTEXT = 'entropyComplete.suggestionShown';

function samePlace(a: { uri: string; line: number; character: number }, uri: string, pos: vscode.Position): boolean {
  return a.uri === uri && a.line === pos.line && a.character === pos.character;
}

export class Ui implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly reviewDecoration: vscode.TextEditorDecorationType;
  private readonly disposables: { dispose(): unknown }[] = [];
  private server: ServerState = { kind: 'starting' };
  private shown: Shown | undefined;
  private abstention: Abstention | undefined;

  constructor(private readonly suggestWhileTyping: () => boolean) {
    this.item = vscode.window.createStatusBarItem('entropyComplete.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'entropy-complete';
    this.item.command = 'entropyComplete.showMenu';
    this.reviewDecoration = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('entropyComplete.reviewBackground'),
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.warningForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    });
    this.disposables.push(
      this.item,
      this.reviewDecoration,
      vscode.window.onDidChangeTextEditorSelection((e) => {
        this.cursorMoved(e.textEditor);
      }),
      vscode.window.onDidChangeActiveTextEditor(() => {
        this.clear();
      }),
    );
    this.update();
    this.item.show();
  }

  setServer(state: ServerState): void {
    this.server = state;
    if (state.kind !== 'ready') {
      this.shown = undefined;
      this.abstention = undefined;
    }
    this.update();
  }

  get serverState(): ServerState {
    return this.server;
  }

  /** The answer to an inline request at ``position`` (already converted by the client). */
  answered(document: vscode.TextDocument, position: vscode.Position, items: ItemInfo[]): void {
    const uri = document.uri.toString();
    if (items.length > 0) {
      this.shown = { uri, line: position.line, character: position.character, items };
      this.abstention = undefined;
    } else {
      this.shown = undefined;
      // entropyComplete/abstained arrives just before the (empty) answer it explains.
      if (this.abstention && !samePlace(this.abstention, uri, position)) {
        this.abstention = undefined;
      }
    }
    this.update();
  }

  abstained(a: Abstention): void {
    this.abstention = a;
    this.shown = undefined;
    this.update();
  }

  /** The suggestion was accepted or hidden: nothing is on screen any more. */
  clear(): void {
    if (this.shown || this.abstention) {
      this.shown = undefined;
      this.abstention = undefined;
      this.update();
    }
  }

  refresh(): void {
    this.update();
  }

  private cursorMoved(editor: vscode.TextEditor): void {
    const uri = editor.document.uri.toString();
    const at = editor.selection.active;
    const here = this.shown ?? this.abstention;
    if (here && !(editor.selection.isEmpty && samePlace(here, uri, at))) {
      this.clear();
    }
  }

  private update(): void {
    const view = render({
      server: this.server,
      shown: this.shown,
      abstained: this.abstention,
      suggestWhileTyping: this.suggestWhileTyping(),
    });
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === 'normal'
        ? undefined
        : new vscode.ThemeColor(
            view.severity === 'warning' ? 'statusBarItem.warningBackground' : 'statusBarItem.errorBackground',
          );
    void vscode.commands.executeCommand('setContext', SHOWN_CONTEXT, this.shown !== undefined);
    this.decorate();
  }

  /** Marks the line of a flagged suggestion on screen, with the flags in its hover. */
  private decorate(): void {
    const first = this.shown?.items[0];
    const flags = first ? reviewFlags(first) : [];
    for (const editor of vscode.window.visibleTextEditors) {
      const mine = this.shown !== undefined && editor.document.uri.toString() === this.shown.uri;
      if (!mine || flags.length === 0 || this.shown === undefined) {
        editor.setDecorations(this.reviewDecoration, []);
        continue;
      }
      const hover = new vscode.MarkdownString(
        `**entropy-complete: review before accepting** — ${flagLabels(flags).join(', ')}\n\n` +
          flags.map((f) => `- ${f.message} (entropy ${f.entropy.toFixed(2)} nats)`).join('\n'),
      );
      const line = editor.document.lineAt(Math.min(this.shown.line, editor.document.lineCount - 1));
      editor.setDecorations(this.reviewDecoration, [{ range: line.range, hoverMessage: hover }]);
    }
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
