/**
 * The sandbox on its own (`sandbox/pool` and its QuickJS worker): what a program can do, how each limit ends it and
 * says so, and that the pool refuses rather than queues without bound. Over real worker threads.
 */
import { afterAll, expect, test } from 'bun:test';
import { Sandbox, type HostCall } from '../../src/sandbox/pool';

const limits = { memoryBytes: 16 << 20, stackBytes: 512 << 10, cpuMs: 300, wallMs: 2_000, outputChars: 100 };
const sandbox = new Sandbox({ workers: 1, queue: 1, limits });
afterAll(() => sandbox.close());

const echo: HostCall = async (name, args) => ({ name, args });

test('api calls reach the host as name and JSON arguments, in order; their answers and errors come back', async () => {
  const seen: string[] = [];
  const host: HostCall = async (name, args) => {
    seen.push(`${name} ${JSON.stringify(args)}`);
    if (name === 'broken') throw new Error('the API said no');
    return { ok: name };
  };
  const outcome = await sandbox.run(
    `const a = await api.first({ n: 1 });
     const [b, c] = await Promise.all([api.second(), api['with-dash']({ deep: { x: [1, 2] } })]);
     let error; try { await api.broken({}); } catch (e) { error = e.name + ': ' + e.message; }
     return { a, b, c, error };`,
    host,
  );
  expect(outcome).toEqual({ ok: true, result: { a: { ok: 'first' }, b: { ok: 'second' }, c: { ok: 'with-dash' }, error: 'ApiError: the API said no' }, logs: [] });
  expect(seen).toEqual(['first {"n":1}', 'second {}', 'with-dash {"deep":{"x":[1,2]}}', 'broken {}']);
});

test('console output comes back, cut at its limit and said so', async () => {
  const outcome = await sandbox.run('console.log("a", { b: 1 }); console.warn("careful"); console.log("x".repeat(500)); return null;', echo);
  expect(outcome.logs).toEqual(['a {"b":1}', '[warn] careful', 'x'.repeat(100 - 'a {"b":1}'.length - '[warn] careful'.length), '… (more output was cut)']);
});

test('catastrophic backtracking in a regular expression ends at the computing-time limit too', async () => {
  const outcome = await sandbox.run('return /(a+)+$/.test("a".repeat(40) + "b");', echo);
  expect(outcome).toMatchObject({ ok: false, failure: 'cpu' });
});

test('a call that never answers ends at the time limit, and the next program runs', async () => {
  const outcome = await sandbox.run('await api.forever({});', () => new Promise(() => {}));
  expect(outcome).toMatchObject({ ok: false, failure: 'time', message: expect.stringContaining('more than 2000 ms in all') });
  expect(await sandbox.run('return 42;', echo)).toMatchObject({ ok: true, result: 42 });
});

test('a result that is not JSON, and a program stopped by its signal, say so', async () => {
  expect(await sandbox.run('return 10n;', echo)).toMatchObject({ ok: false, failure: 'thrown', message: expect.stringContaining('BigInt') });
  const stop = new AbortController();
  const running = sandbox.run('await api.slow({}); return 1;', () => new Promise((resolve) => setTimeout(resolve, 1_000)), stop.signal);
  stop.abort();
  expect(await running).toMatchObject({ ok: false, failure: 'stopped' });
});

test('one worker, one waiting: a third program at once is refused as busy, not queued without bound', async () => {
  const outcomes = await Promise.all([sandbox.run('while (true) {}', echo), sandbox.run('while (true) {}', echo), sandbox.run('return 3;', echo)]);
  expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.failure))).toEqual(['cpu', 'cpu', 'busy']);
  expect(outcomes[2]).toMatchObject({ message: expect.stringContaining('try again shortly') });
});
