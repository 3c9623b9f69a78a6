/**
 * @module ops/readiness
 * Whether this instance should get traffic (`/readyz`): every check passes within its time. A load
 * balancer takes an instance whose database is unreachable, or that is shutting down, out of rotation;
 * the body names the checks that failed. The reasons are logged when readiness changes (not on every
 * probe), and the body only says which check failed and how, not the database's own error text.
 */
import type { Logger } from '../log';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when healthy; throws (or rejects) with what is wrong. */
  check(): Promise<unknown> | unknown;
}

export interface CheckResult {
  readonly ok: boolean;
  /** Why not, in a few words ("unreachable", "timed out after 2000 ms", "shutting down"). */
  readonly reason?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
  readonly failed: readonly string[];
}

/** Thrown by a check to say, in its own words, what the probe may show. */
export class NotReady extends Error {
  override readonly name = 'NotReady';
}

export const CHECK_TIMEOUT_MS = 2000;

export class Readiness {
  private lastReady: boolean | undefined;

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly log: Logger,
    private readonly timeoutMs = CHECK_TIMEOUT_MS,
  ) {}

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(this.checks.map((check) => this.run(check)));
    const checks: Record<string, CheckResult> = {};
    const failed: string[] = [];
    const causes: Record<string, string> = {};
    for (const [i, { result, cause }] of results.entries()) {
      const name = this.checks[i]!.name;
      checks[name] = result;
      if (!result.ok) {
        failed.push(name);
        causes[name] = cause ?? result.reason ?? '';
      }
    }
    const ready = failed.length === 0;
    if (ready !== this.lastReady) {
      if (ready) this.log.info('readiness.ready', { checks: Object.keys(checks) });
      else this.log.warn('readiness.not_ready', { failed, reasons: causes });
      this.lastReady = ready;
    }
    return { ready, checks, failed };
  }

  /** The `/readyz` answer: 200 when ready, else 503; JSON either way, never cached. */
  async response(): Promise<Response> {
    const { ready, checks, failed } = await this.report();
    const body = ready ? { status: 'ready', checks } : { status: 'not_ready', failed, checks };
    return Response.json(body, { status: ready ? 200 : 503, headers: { 'cache-control': 'no-store' } });
  }

  private async run(check: ReadinessCheck): Promise<{ result: CheckResult; cause?: string }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
      if (outcome === 'timeout') return { result: { ok: false, reason: `no answer within ${this.timeoutMs} ms` } };
      return { result: { ok: true } };
    } catch (error) {
      if (error instanceof NotReady) return { result: { ok: false, reason: error.message }, cause: error.cause instanceof Error ? error.cause.message : undefined };
      return { result: { ok: false, reason: 'failed' }, cause: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}
