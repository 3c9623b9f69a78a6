/**
 * @module sandbox/worker
 * A Worker that runs agents' programs in QuickJS compiled to WebAssembly (quickjs-emscripten), one at a time.
 *
 * The threat: the program is written by a model that may have been steered by anything it read, so it is hostile
 * code. It runs in an interpreter of its own, inside WebAssembly, inside a worker thread: it has no network, no
 * file system, no timers, no `require`, no host object — only `api`, whose methods post a message to the gateway
 * (which calls the operation as any call is made), and `console`. Values cross as JSON text, so no host object or
 * prototype can reach it, or be reached. Its heap and stack are capped; an interrupt handler ends it when it has
 * run too long (QuickJS's "interrupted" cannot be caught by the program). The gateway's thread is never blocked by
 * it, and the gateway ends the whole worker if it does not answer in time (`sandbox/pool`).
 */
import variant from '@jitl/quickjs-singlefile-mjs-release-sync';
import { newQuickJSWASMModuleFromVariant, type QuickJSContext, type QuickJSDeferredPromise, type QuickJSHandle, type QuickJSRuntime } from 'quickjs-emscripten-core';
import type { Failure, FromWorker, SandboxLimits, ToWorker } from './protocol';

declare const self: Worker;

const post = (message: FromWorker) => self.postMessage(message);

/**
 * What the program sees besides the language itself, made from the two host functions, which it then loses:
 * `console` (its lines come back with the result) and `api`, on which any name is an operation. `then` is not one,
 * so `await api` is harmless. Frozen, so the program cannot swap them for the next call.
 */
const PRELUDE = `(() => {
  const call = globalThis.__portico_call, print = globalThis.__portico_print;
  delete globalThis.__portico_call; delete globalThis.__portico_print;
  const show = (value) => { if (typeof value === 'string') return value; try { const text = JSON.stringify(value); return text === undefined ? String(value) : text; } catch { return String(value); } };
  const line = (level) => (...parts) => { print(level, parts.map(show).join(' ')); };
  globalThis.console = Object.freeze({ log: line('log'), info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug') });
  const invoke = async (name, args) => JSON.parse(await call(name, JSON.stringify(args === undefined ? {} : args)));
  globalThis.api = Object.freeze(new Proxy(Object.freeze(Object.create(null)), {
    get: (_, name) => (typeof name === 'string' && name !== 'then' ? (args) => invoke(name, args) : undefined),
    set: () => false, defineProperty: () => false, deleteProperty: () => false,
  }));
})();`;

/** The program is the body of an async function; its result crosses as JSON (undefined as null). */
const wrap = (code: string) => `(async () => {\n${code}\n})().then((value) => JSON.stringify(value === undefined ? null : value))`;

const module = await newQuickJSWASMModuleFromVariant(variant);

/** Answers to the current run's calls, by id. */
const waiting = new Map<number, (answer: Extract<ToWorker, { type: 'answer' }>) => void>();
/** Settled when any answer comes: what the run waits on between its turns. */
let answered: PromiseWithResolvers<void> = Promise.withResolvers();
let busy = false;
/** The gateway asked the current run to end. */
let stopRequested = false;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'stop') {
    stopRequested = true;
    answered.resolve();
    return;
  }
  if (message.type === 'answer') {
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
    answered.resolve();
    return;
  }
  if (busy) return; // the pool sends one run at a time; a second would be its bug, not the program's
  busy = true;
  stopRequested = false;
  void run(message.code, message.limits)
    .then(post)
    .finally(() => {
      busy = false;
      waiting.clear();
    });
};

post({ type: 'ready' });

class Ended extends Error {
  constructor(
    readonly failure: Failure,
    message: string,
  ) {
    super(message);
  }
}

async function run(code: string, limits: SandboxLimits): Promise<FromWorker> {
  const logs: string[] = [];
  let printed = 0;
  let cut = false;
  const runtime: QuickJSRuntime = module.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(limits.stackBytes);
  const started = performance.now();
  let ran = 0; // ms spent running the program, across its turns
  let turnStarted = started;
  let stop: 'cpu' | 'time' | undefined;
  runtime.setInterruptHandler(() => {
    const now = performance.now();
    if (stopRequested) return true;
    if (ran + (now - turnStarted) > limits.cpuMs) stop = 'cpu';
    else if (now - started > limits.wallMs) stop = 'time';
    return stop !== undefined;
  });
  const vm: QuickJSContext = runtime.newContext();
  const promises = new Set<QuickJSDeferredPromise>();
  let nextId = 0;
  const turn = <T>(work: () => T): T => {
    turnStarted = performance.now();
    try {
      return work();
    } finally {
      ran += performance.now() - turnStarted;
    }
  };
  try {
    const print = vm.newFunction('print', (levelHandle, textHandle) => {
      const text = `${vm.getString(levelHandle) === 'log' ? '' : `[${vm.getString(levelHandle)}] `}${vm.getString(textHandle)}`;
      if (printed >= limits.outputChars) {
        cut = true;
        return;
      }
      const kept = text.slice(0, limits.outputChars - printed);
      printed += kept.length;
      if (kept.length < text.length) cut = true;
      logs.push(kept);
    });
    const call = vm.newFunction('call', (nameHandle, argsHandle) => {
      const id = ++nextId;
      const deferred = vm.newPromise();
      promises.add(deferred);
      waiting.set(id, (answer) => {
        if (!deferred.alive) return;
        if (answer.ok) {
          const json = vm.newString(answer.json);
          deferred.resolve(json);
          json.dispose();
        } else {
          const error = vm.newError({ name: 'ApiError', message: answer.message });
          deferred.reject(error);
          error.dispose();
        }
        promises.delete(deferred);
        deferred.dispose();
      });
      post({ type: 'call', id, name: vm.getString(nameHandle), args: vm.getString(argsHandle) });
      return deferred.handle;
    });
    vm.setProp(vm.global, '__portico_call', call);
    vm.setProp(vm.global, '__portico_print', print);
    call.dispose();
    print.dispose();
    turn(() => vm.unwrapResult(vm.evalCode(PRELUDE, 'prelude.js'))).dispose();

    const evaluated = turn(() => vm.evalCode(wrap(code), 'program.js'));
    if (evaluated.error) throw errorOf(vm, evaluated.error, 'syntax', stop, limits);
    const result: QuickJSHandle = evaluated.value;
    try {
      for (;;) {
        const jobs = turn(() => runtime.executePendingJobs());
        if (jobs.error) throw errorOf(vm, jobs.error, 'thrown', stop, limits);
        if (stop) throw ended(stop, limits);
        const state = vm.getPromiseState(result);
        if (state.type === 'fulfilled') {
          const json = vm.getString(state.value);
          state.value.dispose();
          return { type: 'done', ok: true, json, logs: withCut(logs, cut) };
        }
        if (state.type === 'rejected') throw errorOf(vm, state.error, 'thrown', stop, limits);
        if (waiting.size === 0) throw new Ended('stalled', 'the program waits for something that will never happen (a promise nothing settles; there are no timers here): await only api calls');
        const remaining = limits.wallMs - (performance.now() - started);
        if (remaining <= 0) throw ended('time', limits);
        answered = Promise.withResolvers();
        const timer = setTimeout(() => answered.resolve(), remaining);
        await answered.promise;
        clearTimeout(timer);
        if (stopRequested) throw new Ended('stopped', 'the program was stopped');
        if (performance.now() - started > limits.wallMs) throw ended('time', limits);
      }
    } finally {
      if (result.alive) result.dispose();
    }
  } catch (error) {
    const { failure, message } = error instanceof Ended ? error : { failure: 'thrown' as const, message: error instanceof Error ? error.message : String(error) };
    return { type: 'done', ok: false, failure, message, logs: withCut(logs, cut) };
  } finally {
    for (const deferred of promises) if (deferred.alive) deferred.dispose();
    try {
      vm.dispose();
      runtime.dispose();
    } catch {
      // a run that ran out of memory may leave the runtime unable to free itself: the pool replaces this worker
      post({ type: 'spent' });
    }
  }
}

function withCut(logs: string[], cut: boolean): string[] {
  return cut ? [...logs, '… (more output was cut)'] : logs;
}

function ended(failure: 'cpu' | 'time', limits: SandboxLimits): Ended {
  return failure === 'cpu'
    ? new Ended('cpu', `the program ran for more than ${limits.cpuMs} ms of computing time and was stopped (an endless loop?)`)
    : new Ended('time', `the program took more than ${limits.wallMs} ms in all and was stopped`);
}

/** The program's error as the agent should read it; a stop by the interrupt handler or the heap limit says which limit. */
function errorOf(vm: QuickJSContext, handle: QuickJSHandle, failure: Failure, stop: Failure | undefined, limits: SandboxLimits): Ended {
  if (stop === 'cpu' || stop === 'time') {
    handle.dispose();
    return ended(stop, limits);
  }
  const dumped: unknown = vm.dump(handle);
  handle.dispose();
  const { name, message, stack } = (dumped && typeof dumped === 'object' ? dumped : { message: String(dumped) }) as { name?: string; message?: string; stack?: string };
  if (message === 'out of memory' || (name === 'InternalError' && /memory/.test(message ?? ''))) return new Ended('memory', 'the program used more memory than it may and was stopped');
  const where = typeof stack === 'string' ? /program\.js:(\d+)/.exec(stack) : null;
  // the program's first line is line 2 of what QuickJS ran (the wrapper's line)
  const line = where ? ` (line ${Number(where[1]) - 1})` : '';
  return new Ended(failure, `${name && name !== 'Error' ? `${name}: ` : ''}${message ?? String(dumped)}${line}`);
}
