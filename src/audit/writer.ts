/**
 * @module audit/writer
 * Appends tool-call records to the store without putting a database write on every call's path: records
 * are queued and written in batches (every 200 ms, or at once when a batch's worth, 500, is waiting). A database
 * that is down keeps them queued (up to a bound, then the oldest are dropped and counted in the log);
 * `close` writes what is left. So a process killed outright (SIGKILL, a power cut) loses the entries of at most its
 * last 200 ms of calls; a graceful stop loses none.
 *
 * Where an operator needs every answered call on record (PORTICO_AUDIT_DURABLE), `recordDurably` resolves only once
 * its entry is committed: calls that end together share one write (a group commit), so the cost is a commit's
 * latency per call, not a transaction each.
 */
import type { Logger } from '../log';
import type { AuditEntry, AuditStore } from '../store';

const FLUSH_MS = 200;
const MAX_QUEUED = 50_000;
/**
 * Entries per transaction, and how many waiting start a write before the timer does. A commit (with its share of the
 * WAL's checkpoints) took ~0.4 ms, some 65 inserts' worth: starting one at 100 entries, a busy gateway (8,000 signed-in
 * calls a second) spent 3% of its CPU committing. The bound on a kill's loss is the timer's 200 ms either way.
 */
const MAX_BATCH = 500;

export class AuditWriter {
  private queue: AuditEntry[] = [];
  private flushing: Promise<void> | undefined;
  private readonly timer: ReturnType<typeof setInterval>;
  private dropped = 0;

  constructor(
    private readonly store: AuditStore,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref?.();
  }

  record(entry: AuditEntry): void {
    this.queue.push(entry);
    if (this.queue.length > MAX_QUEUED) {
      this.dropped += this.queue.length - MAX_QUEUED;
      this.queue.splice(0, this.queue.length - MAX_QUEUED);
    }
    if (this.queue.length >= MAX_BATCH) void this.flush();
  }

  /**
   * Queues `entry` and resolves once it is written. When the database cannot take it, it resolves anyway, the
   * entry still queued for the next flush (and the failure logged): the call has already happened, and its answer
   * is not held back by the audit's outage.
   */
  async recordDurably(entry: AuditEntry): Promise<void> {
    this.record(entry);
    // a write already under way may not hold this entry: wait for it, then write what is queued, this entry with it
    if (this.flushing) await this.flushing;
    if (this.queue.includes(entry)) await this.flush();
  }

  /** Writes what is queued; concurrent calls share one write. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  private async write(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, MAX_BATCH);
      try {
        // one transaction per batch: a round trip (or a WAL commit) per call cannot keep up with a busy gateway
        await this.store.appendAudits(batch);
      } catch (error) {
        this.log.warn('audit.write_failed', { queued: this.queue.length, reason: error instanceof Error ? error.message : String(error) });
        return; // kept: the next flush tries again
      }
      // by identity, not count: entries dropped for overflow while the batch was written may have been in it
      const written = new Set(batch);
      this.queue = this.queue.filter((entry) => !written.has(entry));
    }
    if (this.dropped > 0) {
      this.log.error('audit.dropped', { entries: this.dropped, reason: 'the database was unreachable for too long' });
      this.dropped = 0;
    }
  }
}
