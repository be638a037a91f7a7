// What the server's inline items say about themselves: confidence and review flags travel in the
// argument of their entropyComplete.accept command. Pure: no vscode.

export const ACCEPT_COMMAND = 'entropyComplete.accept';

export interface Flag {
  rule: string;
  cwe: string;
  message: string;
  start: number;
  end: number;
  entropy: number;
  reviewRequired: boolean;
}

export interface ItemInfo {
  id: string;
  text: string;
  confidence: number;
  flags: Flag[];
}

interface CommandLike {
  command: string;
  arguments?: unknown[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asFlag(value: unknown): Flag | undefined {
  if (!isRecord(value)) {
    return undefined;
  }
  const { rule, cwe, message, start, end, entropy, reviewRequired } = value;
  if (
    typeof rule !== 'string' ||
    typeof cwe !== 'string' ||
    typeof message !== 'string' ||
    typeof start !== 'number' ||
    typeof end !== 'number' ||
    typeof entropy !== 'number' ||
    typeof reviewRequired !== 'boolean'
  ) {
    return undefined;
  }
  return { rule, cwe, message, start, end, entropy, reviewRequired };
}

/** The item's confidence and flags, or undefined when it is not one of our accept commands. */
export function itemInfo(command: CommandLike | undefined): ItemInfo | undefined {
  if (command?.command !== ACCEPT_COMMAND) {
    return undefined;
  }
  const arg: unknown = command.arguments?.[0];
  if (!isRecord(arg)) {
    return undefined;
  }
  const { id, text, confidence, flags } = arg;
  if (typeof id !== 'string' || typeof text !== 'string' || typeof confidence !== 'number') {
    return undefined;
  }
  const parsed = Array.isArray(flags) ? flags.map(asFlag) : [];
  return { id, text, confidence, flags: parsed.filter((f): f is Flag => f !== undefined) };
}

/** Flags a user must look at before accepting (the server's "review required"). */
export function reviewFlags(item: ItemInfo): Flag[] {
  return item.flags.filter((f) => f.reviewRequired);
}

/** "py.subprocess-shell (CWE-78)", one per distinct rule. */
export function flagLabels(flags: readonly Flag[]): string[] {
  return [...new Set(flags.map((f) => `${f.rule} (${f.cwe})`))];
}

export interface Abstention {
  uri: string;
  version: number;
  line: number;
  character: number;
  bestConfidence: number;
  abstainBelow: number;
  /** "confidence": the model was unsure; "language": it does not know the file's language. */
  reason: string;
}

/** The params of the server's entropyComplete/abstained notification, checked. */
export function asAbstention(params: unknown): Abstention | undefined {
  if (!isRecord(params) || !isRecord(params.position)) {
    return undefined;
  }
  const { uri, version, bestConfidence, abstainBelow, reason } = params;
  const { line, character } = params.position;
  if (
    typeof uri !== 'string' ||
    typeof version !== 'number' ||
    typeof bestConfidence !== 'number' ||
    typeof abstainBelow !== 'number' ||
    typeof line !== 'number' ||
    typeof character !== 'number'
  ) {
    return undefined;
  }
  return {
    uri,
    version,
    line,
    character,
    bestConfidence,
    abstainBelow,
    reason: typeof reason === 'string' ? reason : 'confidence',
  };
}
