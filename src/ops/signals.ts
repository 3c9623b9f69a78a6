/**
 * @module ops/signals
 * How `portico serve` and `portico demo` end: the first SIGTERM or SIGINT starts a graceful stop (new
 * connections refused, in-flight requests given the grace period), a second one stops waiting. The
 * process then exits on its own; should anything still hold it open, it exits anyway shortly after.
 */

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** After a stop, how long anything left (a stray socket or timer) may keep the process alive. */
const EXIT_AFTER_MS = 250;

/** Waits for the first signal, then runs `stop(graceMs, signal)`; a second signal calls `stop(0, signal)`. */
export async function stopOnSignal(stop: (graceMs: number, signal: string) => Promise<void>, graceMs: number): Promise<void> {
  const signal = await new Promise<string>((resolve) => {
    const handlers = SIGNALS.map((name) => {
      const handler = () => {
        for (const [i, other] of SIGNALS.entries()) process.off(other, handlers[i]!);
        resolve(name);
      };
      process.on(name, handler);
      return handler;
    });
  });
  const again = (name: string) => void stop(0, name);
  for (const name of SIGNALS) process.on(name, again);
  try {
    await stop(graceMs, signal);
  } finally {
    for (const name of SIGNALS) process.off(name, again);
  }
  setTimeout(() => process.exit(process.exitCode ?? 0), EXIT_AFTER_MS).unref();
}
