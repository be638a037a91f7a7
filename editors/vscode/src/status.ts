// What the status bar item says: the server and model state, the confidence of the suggestion on
// screen (with its review flags), or why nothing was suggested. Pure: no vscode.

import { type Abstention, type ItemInfo, flagLabels, reviewFlags } from './suggestion';

export type ServerState =
  | { kind: 'starting' }
  | { kind: 'loading'; message: string }
  | { kind: 'ready'; model: string }
  | { kind: 'modelError'; message: string }
  | { kind: 'stopped'; message: string };

/** The suggestions the server answered for the cursor; the first is the one on screen. */
export interface Shown {
  uri: string;
  line: number;
  character: number;
  items: ItemInfo[];
}

export interface StatusInput {
  server: ServerState;
  shown?: Shown;
  abstained?: Abstention;
  suggestWhileTyping: boolean;
}

export type Severity = 'normal' | 'warning' | 'error';

export interface StatusView {
  text: string;
  tooltip: string;
  severity: Severity;
}

const NAME = 'entropy-complete';

export function formatConfidence(value: number): string {
  return value.toFixed(2);
}

function serverView(server: ServerState, suggestWhileTyping: boolean): StatusView {
  const paused = suggestWhileTyping ? '' : ' $(debug-pause)';
  const pausedNote = suggestWhileTyping
    ? ''
    : '\n\nSuggestions while typing are off: ask with Alt+\\ (Toggle Suggestions While Typing).';
  switch (server.kind) {
    case 'starting':
      return { text: `$(loading~spin) ${NAME}`, tooltip: 'Starting the language server…', severity: 'normal' };
    case 'loading':
      return {
        text: `$(loading~spin) ${NAME}: loading model`,
        tooltip: `${server.message || 'Loading the model…'}\n\nSuggestions start when it is ready.`,
        severity: 'normal',
      };
    case 'ready':
      return {
        text: `$(check) ${NAME} (${server.model})${paused}`,
        tooltip: `Ready: ${server.model}.${pausedNote}`,
        severity: 'normal',
      };
    case 'modelError':
      return {
        text: `$(error) ${NAME}: model not loaded`,
        tooltip: `${server.message}\n\nFix entropyComplete.model.path (empty: the shipped model); no restart needed.`,
        severity: 'error',
      };
    case 'stopped':
      return { text: `$(error) ${NAME}: not running`, tooltip: server.message, severity: 'error' };
  }
}

function shownView(shown: Shown): StatusView | undefined {
  const [first, ...others] = shown.items;
  if (first === undefined) {
    return undefined;
  }
  const conf = formatConfidence(first.confidence);
  const flagged = reviewFlags(first);
  const alternatives = others.length
    ? `\n\n${others.length} alternative${others.length > 1 ? 's' : ''}: Alt+] / Alt+[.`
    : '';
  if (flagged.length > 0) {
    const labels = flagLabels(flagged);
    const details = flagged
      .map((f) => `- ${f.rule} (${f.cwe}): ${f.message}; entropy ${f.entropy.toFixed(2)} nats`)
      .join('\n');
    return {
      text: `$(warning) review: ${labels.join(', ')} · confidence ${conf}`,
      tooltip:
        `The suggestion on screen calls a sensitive API:\n${details}\n\n` +
        `Accepting it adds a warning in Problems until you run "Mark as reviewed".${alternatives}`,
      severity: 'warning',
    };
  }
  const otherFlags = others.flatMap((item, i) =>
    reviewFlags(item).length > 0 ? [`alternative ${i + 2}: ${flagLabels(reviewFlags(item)).join(', ')}`] : [],
  );
  const note = otherFlags.length > 0 ? ` · $(warning) ${otherFlags.length} flagged alternative` : '';
  return {
    text: `$(lightbulb) confidence ${conf}${note}`,
    tooltip:
      `Suggestion on screen: confidence ${conf} (calibrated: about ${Math.round(first.confidence * 10)} in 10 ` +
      `such suggestions are right).${otherFlags.length ? `\nReview needed in ${otherFlags.join('; ')}.` : ''}` +
      alternatives,
    severity: otherFlags.length > 0 ? 'warning' : 'normal',
  };
}

function abstainedView(a: Abstention): StatusView {
  if (a.reason === 'language') {
    return {
      text: '$(circle-slash) no suggestions in this language',
      tooltip:
        "The model does not declare this file's language, so it suggests nothing here rather than " +
        'code in the wrong language (entropyComplete.model.languageGuard; or set entropyComplete.model.path ' +
        'to a model that knows it).',
      severity: 'normal',
    };
  }
  const text =
    a.bestConfidence > 0
      ? `$(circle-slash) held back: unsure (${formatConfidence(a.bestConfidence)} < ${formatConfidence(a.abstainBelow)})`
      : '$(circle-slash) held back: nothing usable';
  const why =
    a.bestConfidence > 0
      ? `The model's best suggestion here had confidence ${formatConfidence(a.bestConfidence)}, ` +
        `under entropyComplete.automatic.abstainBelow (${formatConfidence(a.abstainBelow)}), so none was shown.`
      : 'The model produced no usable suggestion here.';
  return { text, tooltip: `${why}\n\nAsk anyway with Alt+\\ (Ask for Alternatives).`, severity: 'normal' };
}

/** The status bar for this state: a suggestion or abstention at the cursor wins over the rest. */
export function render(input: StatusInput): StatusView {
  if (input.server.kind === 'ready') {
    const shown = input.shown && shownView(input.shown);
    if (shown) {
      return shown;
    }
    if (input.abstained) {
      return abstainedView(input.abstained);
    }
  }
  return serverView(input.server, input.suggestWhileTyping);
}

/** The model's state as entropyComplete/stats reports it. */
export function stateFromStats(stats: unknown): ServerState {
  const s = typeof stats === 'object' && stats !== null ? (stats as Record<string, unknown>) : {};
  if (s.modelLoaded === true) {
    const name = typeof s.modelName === 'string' ? s.modelName : 'model';
    const id = typeof s.modelId === 'string' ? ` ${s.modelId.slice(0, 8)}` : '';
    return { kind: 'ready', model: `${name}${id}` };
  }
  if (typeof s.modelError === 'string') {
    return { kind: 'modelError', message: `Cannot load the model: ${s.modelError}` };
  }
  return { kind: 'loading', message: '' }; // not loaded and no error yet: still loading
}
