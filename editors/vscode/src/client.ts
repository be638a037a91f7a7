// The language client: starts `entropy-complete serve` over stdio, pushes settings, follows the
// model's $/progress, and reports a missing or broken server once instead of restarting it.

import * as fs from 'node:fs';
import * as os from 'node:os';

import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  type Executable,
  type FeatureState,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type StaticFeature,
  TransportKind,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
} from 'vscode-languageclient/node';

import { type Resolved, resolveServer, shouldRestart } from './serverCommand';
import { SECTION, type ServerOptions, serverOptions } from './settings';
import { stateFromStats } from './status';
import { ACCEPT_COMMAND, asAbstention, itemInfo } from './suggestion';
import type { Ui } from './ui';

const ABSTAINED = 'entropyComplete/abstained';
const STATS = 'entropyComplete/stats';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The Python extension's active interpreter, if that extension is installed. */
async function pythonInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension('ms-python.python');
  if (!ext) {
    return undefined;
  }
  try {
    const api: unknown = ext.isActive ? ext.exports : await ext.activate();
    const envs = (api as { environments?: Record<string, unknown> } | undefined)?.environments;
    const active =
      typeof envs?.getActiveEnvironmentPath === 'function'
        ? (envs.getActiveEnvironmentPath as () => unknown)()
        : undefined;
    const resolve = envs?.resolveEnvironment;
    const resolved: unknown =
      typeof resolve === 'function' ? await (resolve as (e: unknown) => Promise<unknown>)(active) : undefined;
    const exe = (resolved as { executable?: { uri?: vscode.Uri } } | undefined)?.executable?.uri?.fsPath;
    return exe ?? (active as { path?: string } | undefined)?.path;
  } catch {
    return undefined;
  }
}

/** A language client whose own error messages go to the log only: the extension reports a
 * missing or broken server once, with its own buttons (the client would add a second message). */
class QuietClient extends LanguageClient {
  override error(message: string, data?: unknown): void {
    super.error(message, data, false);
  }
}

export class Server implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private initialized = false;
  private crashes: number[] = [];
  private reported = false; // one notification per start, not one per failure
  private stopping = false;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly ui: Ui,
    private readonly languages: readonly string[],
    private readonly keys: readonly string[],
  ) {}

  options(): ServerOptions {
    const config = vscode.workspace.getConfiguration(SECTION);
    return serverOptions(this.keys, (key) => config.get(key));
  }

  suggestWhileTyping(): boolean {
    return vscode.workspace.getConfiguration(SECTION).get<boolean>('suggestWhileTyping', true);
  }

  get running(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  async start(): Promise<void> {
    this.reported = false;
    this.initialized = false;
    this.ui.setServer({ kind: 'starting' });
    const resolved = await this.resolve();
    if (!resolved.ok) {
      this.fail(resolved.reason);
      return;
    }
    this.output.info(`starting ${resolved.command} serve (from ${resolved.source})`);
    const client = this.create(resolved.command);
    this.client = client;
    try {
      await client.start();
      this.initialized = true;
      await this.refreshModelState();
    } catch (error) {
      this.fail(
        `the server ${resolved.command} did not start (${error instanceof Error ? error.message : String(error)})`,
      );
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.stopping = true;
      try {
        await client.stop(5000);
      } catch {
        // already stopped or never started
      } finally {
        this.stopping = false;
      }
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    this.crashes = [];
    await this.start();
  }

  /** Sends the current settings; the server applies them (and reloads the model) in place. */
  async pushSettings(): Promise<void> {
    const client = this.running;
    if (client) {
      await client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { [SECTION]: this.options() },
      });
    }
  }

  private async resolve(): Promise<Resolved> {
    const setting = vscode.workspace.getConfiguration(SECTION).get<string>('server.path');
    return resolveServer(setting, {
      isExecutable,
      pathVariable: process.env.PATH,
      home: os.homedir(),
      platform: process.platform,
      pythonInterpreter: await pythonInterpreter(),
    });
  }

  private create(command: string): LanguageClient {
    const executable: Executable = { command, args: ['serve'], transport: TransportKind.stdio };
    const clientOptions: LanguageClientOptions = {
      documentSelector: this.languages.flatMap((language) => [
        { scheme: 'file', language },
        { scheme: 'untitled', language },
      ]),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: () => this.options(),
      initializationFailedHandler: (error) => {
        this.fail(`the server ${command} did not start (${error instanceof Error ? error.message : String(error)})`);
        return false;
      },
      errorHandler: {
        error: (_error, _message, count) => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
          handled: true,
        }),
        closed: () => {
          if (this.stopping) {
            return { action: CloseAction.DoNotRestart, handled: true };
          }
          const now = Date.now();
          this.crashes.push(now);
          if (shouldRestart(this.initialized, this.crashes, now)) {
            this.output.warn('the server stopped; restarting it');
            this.ui.setServer({ kind: 'starting' });
            return { action: CloseAction.Restart, handled: true };
          }
          this.fail(
            this.initialized
              ? `the server ${command} stopped several times; it is off until you restart it`
              : `the server ${command} exited before it started`,
          );
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        provideInlineCompletionItems: async (document, position, context, token, next) => {
          if (context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic && !this.suggestWhileTyping()) {
            return null;
          }
          const result = await next(document, position, context, token);
          if (!token.isCancellationRequested) {
            const items = Array.isArray(result) ? result : (result?.items ?? []);
            const infos = items.map((i) => itemInfo(i.command)).filter((i) => i !== undefined);
            this.ui.answered(document, position, infos);
          }
          return result;
        },
        executeCommand: (command, args, next) => {
          if (command === ACCEPT_COMMAND) {
            this.ui.clear(); // accepted: the suggestion left the screen, the diagnostic may follow
          }
          const result: unknown = next(command, args);
          return result;
        },
        workspace: {
          // The server asks for its section only when a push carried none; answer with its options.
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) {
              return result;
            }
            return params.items.map((item, i): unknown => (item.section === SECTION ? this.options() : result[i]));
          },
        },
      },
    };
    const client = new QuietClient('entropyComplete', 'entropy-complete', executable, clientOptions);
    client.registerFeature(new ModelProgress(client, this.ui, () => this.refreshModelState()));
    client.onNotification(ABSTAINED, (params: unknown) => {
      const a = asAbstention(params);
      if (a) {
        this.ui.abstained(a);
      }
    });
    return client;
  }

  /** Asks the server whether the model is loaded (after $/progress ends, and after start). */
  async refreshModelState(): Promise<void> {
    const client = this.running;
    if (!client) {
      return;
    }
    try {
      const stats: unknown = await client.sendRequest(STATS, {});
      this.ui.setServer(stateFromStats(stats));
    } catch (error) {
      this.output.info(`${STATS} failed: ${String(error)}`);
    }
  }

  private fail(reason: string): void {
    this.ui.setServer({ kind: 'stopped', message: reason });
    this.output.error(reason);
    if (this.reported) {
      return;
    }
    this.reported = true;
    void vscode.window.showErrorMessage(`entropy-complete: ${reason}`, 'Open settings', 'Show log').then((choice) => {
      if (choice === 'Open settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server.path`);
      } else if (choice === 'Show log') {
        this.output.show();
      }
    });
  }

  dispose(): void {
    void this.stop();
  }
}

/**
 * Follows the server's $/progress for model loads in the status bar. It replaces the client's
 * own window/workDoneProgress/create handler (registered features initialise after the built-in
 * ones), so loading shows in the status bar rather than as a notification that pops up on start.
 */
class ModelProgress implements StaticFeature {
  constructor(
    private readonly client: LanguageClient,
    private readonly ui: Ui,
    private readonly ended: () => Promise<void>,
  ) {}

  fillClientCapabilities(capabilities: { window?: { workDoneProgress?: boolean } }): void {
    capabilities.window = { ...capabilities.window, workDoneProgress: true };
  }

  getState(): FeatureState {
    return { kind: 'static' };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      const listener = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
        if (value.kind === 'begin') {
          this.ui.setServer({ kind: 'loading', message: value.message ?? value.title });
        } else if (value.kind === 'report') {
          this.ui.setServer({ kind: 'loading', message: value.message ?? '' });
        } else {
          listener.dispose();
          void this.ended();
        }
      });
    });
  }

  clear(): void {
    // Nothing held: each progress listener ends with its token.
  }
}
