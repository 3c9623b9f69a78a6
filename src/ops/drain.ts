/**
 * @module ops/drain
 * What is still being worked on, for a graceful shutdown: HTTP requests not yet answered and tool calls
 * still waiting for the API (a call in an MCP session may answer on an SSE stream after its request
 * returned). `settle` waits until both are done, or the deadline passes.
 */

export class Drain {
  private active = 0;
  private waiters: (() => void)[] = [];
  /** Set when shutting down: new requests are refused from then on. */
  draining = false;

  get inFlight(): number {
    return this.active;
  }

  enter(): void {
    this.active++;
  }

  leave(): void {
    if (--this.active === 0 && this.waiters.length > 0) this.wake();
  }

  /** Counts `work` as in flight until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.enter();
    return work.finally(() => this.leave());
  }

  /** Resolves true once nothing is in flight, or false after `ms` (or when `cut` is called) with work left. */
  settle(ms: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        resolve(this.active === 0);
      };
      this.waiters.push(done);
    });
  }

  /** Ends every `settle` wait now (a second signal: stop without waiting). */
  cut(): void {
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
