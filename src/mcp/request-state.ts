/**
 * @module mcp/request-state
 * The `requestState` of a 2026-07-28 request that needs the client's input: the answers of earlier rounds, sealed (AES-256-GCM under a key from the server secret) so that the client
 * can neither read nor change it, and bound — as associated data — to who asked (the grant), the method, what
 * it names (tool, prompt, resource) and a hash of its arguments: a state taken to another user, another tool or
 * other arguments does not open. It is self-contained, so any instance of a cluster that shares the secret takes
 * the next round; it expires, so a question left unanswered does not stay answerable for ever.
 */
import { createHash } from 'node:crypto';
import type { Keys } from '../oauth/crypto';

/** What a request's state holds between rounds. */
export interface RoundState {
  /** The answers of earlier rounds, by key. */
  readonly answers: Readonly<Record<string, unknown>>;
  /** What the request kept for its next round besides answers (`Memo`). */
  readonly memo?: readonly unknown[];
}

/** What a state is bound to: it opens only for the same caller, method, name and arguments. */
export interface StateBinding {
  readonly owner: string;
  readonly method: string;
  readonly name: string;
  /** The request's arguments as JSON when it arrived (later steps may fill in defaults); hashed in canonical order. */
  readonly args: string;
}

/** How long a question stays answerable. */
export const REQUEST_STATE_TTL_MS = 15 * 60_000;

interface Sealed extends RoundState {
  readonly exp: number;
}

export class RequestStates {
  constructor(
    private readonly keys: Keys,
    private readonly ttlMs = REQUEST_STATE_TTL_MS,
  ) {}

  seal(state: RoundState, binding: StateBinding): string {
    const sealed: Sealed = { answers: state.answers, ...(state.memo && state.memo.length > 0 && { memo: state.memo }), exp: Date.now() + this.ttlMs };
    return this.keys.seal(sealed, contextOf(binding));
  }

  /** The state, or undefined when it was changed, sealed for another request or caller, or expired. */
  open(text: string, binding: StateBinding): RoundState | undefined {
    const opened = this.keys.open(text, contextOf(binding)) as Sealed | undefined;
    if (!opened || typeof opened.exp !== 'number' || opened.exp < Date.now()) return undefined;
    if (typeof opened.answers !== 'object' || opened.answers === null) return undefined;
    if (opened.memo !== undefined && !Array.isArray(opened.memo)) return undefined;
    return { answers: opened.answers, ...(opened.memo && { memo: opened.memo }) };
  }
}

function contextOf({ owner, method, name, args }: StateBinding): string {
  return `mcp-request-state:${owner}\n${method}\n${name}\n${createHash('sha256').update(canonicalJson(JSON.parse(args))).digest('base64url')}`;
}

/** JSON with object keys sorted, so the same arguments hash the same whatever order a client sends them in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
