/**
 * @module sandbox/protocol
 * The messages between the gateway and a sandbox worker (`sandbox/worker`), in one place so that both sides agree.
 * Everything that crosses is a string or a number: the program's values cross as JSON text, never as objects.
 */

/** What one run may use. */
export interface SandboxLimits {
  /** QuickJS's heap for one program (its strings, objects, arrays). */
  readonly memoryBytes: number;
  /** The interpreter's own stack: deep recursion ends with a RangeError there, long before the worker's. */
  readonly stackBytes: number;
  /** Time the program may spend running (not waiting for the API). */
  readonly cpuMs: number;
  /** Time the whole run may take, waiting for the API included. */
  readonly wallMs: number;
  /** The most console output kept, in characters; the rest is cut and said so. */
  readonly outputChars: number;
}

/** gateway → worker */
export type ToWorker =
  | { readonly type: 'run'; readonly code: string; readonly limits: SandboxLimits }
  /** The run is no longer wanted (the client cancelled, or a call needs the client first): end it now. */
  | { readonly type: 'stop' }
  /** The answer to the worker's `call` `id`: the result as JSON, or why it failed (thrown in the program as an Error). */
  | { readonly type: 'answer'; readonly id: number; readonly ok: true; readonly json: string }
  | { readonly type: 'answer'; readonly id: number; readonly ok: false; readonly message: string };

/** How a run ended when it did not return a value. */
export type Failure = 'syntax' | 'thrown' | 'cpu' | 'time' | 'memory' | 'stalled' | 'stopped' | 'result';

/** worker → gateway */
export type FromWorker =
  | { readonly type: 'ready' }
  /** The worker could not free a run's runtime: it should be replaced. */
  | { readonly type: 'spent' }
  /** The program called `api[name](args)`; `args` is JSON. */
  | { readonly type: 'call'; readonly id: number; readonly name: string; readonly args: string }
  | { readonly type: 'done'; readonly ok: true; readonly json: string; readonly logs: readonly string[] }
  | { readonly type: 'done'; readonly ok: false; readonly failure: Failure; readonly message: string; readonly logs: readonly string[] };
