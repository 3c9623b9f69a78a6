/**
 * @module sandbox/pool
 * Runs programs in sandbox workers (`sandbox/worker`): a few workers, started when first needed and kept, each
 * running one program at a time; the rest wait their turn, up to a bound, and beyond it are refused at once.
 * A worker that does not finish its run within the time limit and a grace period — or that says it is spent — is
 * ended and replaced, so no program can hold a worker, a core or the gateway for longer than its limits.
 */
import type { Failure, FromWorker, SandboxLimits, ToWorker } from './protocol';

export type { Failure, SandboxLimits } from './protocol';

/** What a program's `api[name](args)` does: resolves to the result as JSON, or rejects with the message the program's Error gets. */
export type HostCall = (name: string, args: unknown) => Promise<unknown>;

export type RunOutcome =
  | { readonly ok: true; readonly result: unknown; readonly logs: readonly string[] }
  | { readonly ok: false; readonly failure: Failure | 'busy'; readonly message: string; readonly logs: readonly string[] };

export interface SandboxOptions {
  readonly limits: SandboxLimits;
  /** How many programs run at once (one worker each). @default 2 */
  readonly workers?: number;
  /** How many more may wait for a worker before one is refused. @default 16 */
  readonly queue?: number;
}

/** How long past its time limit a worker may take to say its run ended before it is ended itself. */
const GRACE_MS = 2_000;

/**
 * The worker's module. The single binary carries it as an entrypoint of its own (`cli/build`), which Bun places by
 * its path under src/ beside the bundled main module; from source it is the file beside this one.
 */
const WORKER_URL = import.meta.url.includes('/$bunfs/') ? new URL('./sandbox/worker.ts', import.meta.url) : new URL('./worker.ts', import.meta.url);

class Slot {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;

  private start(): { worker: Worker; ready: Promise<void> } {
    if (!this.worker || !this.ready) {
      const worker = new Worker(WORKER_URL);
      this.worker = worker;
      this.ready = new Promise<void>((resolve, reject) => {
        const onReady = (event: MessageEvent<FromWorker>) => {
          if (event.data.type !== 'ready') return;
          worker.removeEventListener('message', onReady);
          resolve();
        };
        worker.addEventListener('message', onReady);
        worker.addEventListener('error', (event) => reject(new Error(`the sandbox could not start: ${event.message}`)), { once: true });
      });
      // the worker must not keep the process alive
      worker.unref();
    }
    return { worker: this.worker, ready: this.ready };
  }

  /** Ends the worker; the next run starts a new one. */
  retire(): void {
    this.worker?.terminate();
    this.worker = undefined;
    this.ready = undefined;
  }

  async run(code: string, limits: SandboxLimits, host: HostCall, signal?: AbortSignal): Promise<RunOutcome> {
    const { worker, ready } = this.start();
    try {
      await ready;
    } catch (error) {
      this.retire();
      throw error;
    }
    return new Promise<RunOutcome>((resolve) => {
      let settled = false;
      let spent = false;
      const finish = (outcome: RunOutcome, retire = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
        if (retire || spent) this.retire();
        resolve(outcome);
      };
      const send = (message: ToWorker) => {
        if (!settled) worker.postMessage(message);
      };
      const onMessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        if (message.type === 'call') {
          let args: unknown;
          try {
            args = JSON.parse(message.args);
          } catch {
            args = {};
          }
          host(message.name, args).then(
            (value) => send({ type: 'answer', id: message.id, ok: true, json: JSON.stringify(value ?? null) }),
            (error: unknown) => send({ type: 'answer', id: message.id, ok: false, message: error instanceof Error ? error.message : String(error) }),
          );
        } else if (message.type === 'spent') {
          spent = true; // said before its last 'done'
        } else if (message.type === 'done') {
          if (!message.ok) return finish({ ok: false, failure: message.failure, message: message.message, logs: message.logs });
          let result: unknown;
          try {
            result = JSON.parse(message.json);
          } catch {
            return finish({ ok: false, failure: 'result', message: 'the program’s result is not JSON', logs: message.logs });
          }
          finish({ ok: true, result, logs: message.logs });
        }
      };
      const onError = (event: ErrorEvent) => finish({ ok: false, failure: 'thrown', message: `the sandbox failed: ${event.message}`, logs: [] }, true);
      const onAbort = () => send({ type: 'stop' });
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => finish({ ok: false, failure: 'time', message: `the program took more than ${limits.wallMs} ms in all and was stopped`, logs: [] }, true), limits.wallMs + GRACE_MS);
      worker.postMessage({ type: 'run', code, limits } satisfies ToWorker);
      if (signal?.aborted) onAbort();
    });
  }
}

export class Sandbox {
  private readonly slots: Slot[];
  private readonly free: Slot[];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  private readonly queue: number;

  constructor(private readonly options: SandboxOptions) {
    const size = options.workers ?? 2;
    if (!Number.isInteger(size) || size < 1) throw new RangeError('the sandbox needs at least one worker');
    this.slots = Array.from({ length: size }, () => new Slot());
    this.free = [...this.slots];
    this.queue = options.queue ?? 16;
  }

  get limits(): SandboxLimits {
    return this.options.limits;
  }

  /** Runs `code` (the body of an async function) with `host` answering its api calls; `signal` ends it early. */
  async run(code: string, host: HostCall, signal?: AbortSignal): Promise<RunOutcome> {
    const slot = this.free.pop() ?? (this.waiting.length < this.queue ? await new Promise<Slot>((resolve) => this.waiting.push(resolve)) : undefined);
    if (!slot) return { ok: false, failure: 'busy', message: `the gateway is running as many programs as it may (${this.slots.length} at once, ${this.queue} waiting); try again shortly`, logs: [] };
    try {
      return await slot.run(code, this.options.limits, host, signal);
    } finally {
      const next = this.waiting.shift();
      if (next) next(slot);
      else this.free.push(slot);
    }
  }

  /** Ends every worker (at shutdown). */
  close(): void {
    for (const slot of this.slots) slot.retire();
  }
}
