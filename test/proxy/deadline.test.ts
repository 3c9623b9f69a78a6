import { describe, expect, test } from 'bun:test';
import { Deadline, TICK_MS } from '../../src/proxy/deadline';

function abortedAfter(signal: AbortSignal): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(performance.now() - started), { once: true }));
}

describe('Deadline', () => {
  test('aborts with a TimeoutError once the time is up, not before', async () => {
    const deadline = new Deadline(120);
    const elapsed = await abortedAfter(deadline.signal);
    expect(elapsed).toBeGreaterThanOrEqual(110);
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
    expect(deadline.cancelled).toBe(false);
  });

  test('a caller that cancelled before the call started: aborted at once, with its reason', () => {
    const caller = new AbortController();
    caller.abort('the user pressed stop');
    const deadline = new Deadline(30_000, caller.signal);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe('the user pressed stop');
    expect(deadline.cancelled).toBe(true);
  });

  test('a caller that cancels during the call: aborted with its reason, long before the deadline', async () => {
    for (const after of [0, TICK_MS * 3]) {
      const caller = new AbortController();
      const deadline = new Deadline(30_000, caller.signal);
      const aborted = abortedAfter(deadline.signal);
      await Bun.sleep(after);
      caller.abort('cancelled by the client');
      await aborted;
      expect(deadline.signal.reason).toBe('cancelled by the client');
      expect(deadline.cancelled).toBe(true);
    }
  });

  test('a call that ended is left alone: neither its deadline nor a later cancellation aborts it', async () => {
    const caller = new AbortController();
    const linked = new Deadline(30_000, caller.signal);
    await Bun.sleep(TICK_MS * 3); // listening to the caller's signal by now
    linked.clear();
    const short = new Deadline(TICK_MS);
    short.clear();
    caller.abort('too late');
    await Bun.sleep(TICK_MS * 4);
    expect(linked.signal.aborted).toBe(false);
    expect(short.signal.aborted).toBe(false);
  });

  test('sleep: waits, and says false when the deadline would come first', async () => {
    const deadline = new Deadline(200);
    expect(await deadline.sleep(20)).toBe(true);
    expect(await deadline.sleep(500)).toBe(false);
    deadline.clear();
  });
});
