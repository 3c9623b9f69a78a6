/**
 * @module proxy/deadline
 * A call's deadline and its caller's cancellation as one `AbortSignal`, cheap enough for every call.
 *
 * One timer serves all calls in flight: it ticks every `TICK_MS` while there are any, aborts the ones past
 * their deadline, and starts listening to the caller's signal for the ones that have run a tick. A timer
 * and a listener per call cost more than the rest of the call's own work in a plain call (measured:
 * `setTimeout` and `addEventListener` on a request's signal were the largest items after `fetch`), and a
 * call that ends within a tick gains nothing from being cancelled. So a deadline fires up to `TICK_MS`
 * late, and a cancellation reaches a call within `TICK_MS` (at once when it came before the call started).
 */

/** How often deadlines and cancellations are looked at. */
export const TICK_MS = 25;

const running = new Set<Deadline>();
let ticker: ReturnType<typeof setInterval> | undefined;

function tick(): void {
  const now = Date.now();
  for (const deadline of running) deadline.check(now);
  if (running.size === 0) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

export class Deadline {
  private readonly controller = new AbortController();
  private readonly endsAt: number;
  private onCancel?: () => void;
  readonly signal: AbortSignal;

  /** `external`: the caller's cancellation (the MCP client cancelled, or went away). */
  constructor(
    readonly timeoutMs: number,
    private readonly external?: AbortSignal,
  ) {
    this.endsAt = Date.now() + timeoutMs;
    this.signal = this.controller.signal;
    if (external?.aborted) {
      this.controller.abort(external.reason);
      return;
    }
    running.add(this);
    if (!ticker) {
      ticker = setInterval(tick, TICK_MS);
      ticker.unref?.();
    }
  }

  /** Whether the caller cancelled (rather than the deadline passing). */
  get cancelled(): boolean {
    return this.external?.aborted === true;
  }

  remaining(): number {
    return this.endsAt - Date.now();
  }

  /** Waits `ms` unless the deadline comes first; `false` when there is no time left for it. */
  async sleep(ms: number): Promise<boolean> {
    if (this.signal.aborted || ms >= this.remaining()) return false;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.signal.addEventListener('abort', done, { once: true });
    });
    return !this.signal.aborted;
  }

  /** Called by the shared timer. */
  check(now: number): void {
    if (now >= this.endsAt) {
      this.controller.abort(new DOMException('deadline', 'TimeoutError'));
      this.clear();
    } else if (this.external && !this.onCancel) {
      const external = this.external;
      if (external.aborted) {
        this.controller.abort(external.reason);
        this.clear();
        return;
      }
      this.onCancel = () => this.controller.abort(external.reason);
      external.addEventListener('abort', this.onCancel, { once: true });
    }
  }

  /** The call is over: the shared timer forgets it. */
  clear(): void {
    running.delete(this);
    if (this.onCancel) this.external?.removeEventListener('abort', this.onCancel);
  }
}
