/**
 * @module ops/tracing
 * OpenTelemetry traces, at the few places a request passes through: the HTTP request (a server span, the
 * client's `traceparent` honoured: `Tracing.serve`), the tool call (`calls/pipeline`), each request to an
 * upstream API (a client span, with `traceparent` sent on: `proxy/call`) and each store call (`gateway/tracing`).
 * They nest by the span running when they start, kept in an `AsyncLocalStorage` of this module's own: no global
 * of OpenTelemetry's is set, so gateways in one process (tests) each trace to their own exporter.
 *
 * Off (no exporter configured), nothing of OpenTelemetry is loaded — its packages are imported only by
 * `startTracing`, when it is on — and `inSpan` runs its work with `NO_SPAN` after one comparison.
 *
 * What goes in: names (of routes, JSON-RPC methods, tools, store operations), statuses, outcomes, the upstream URL
 * without its query values. Never an argument's value, a header's, a token or a credential.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';

/** Where spans go and how they are sampled (`config/tracing`'s settings). */
export interface TracingSetup {
  readonly exporters: readonly ('otlp' | 'console')[];
  readonly url: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly resource: Readonly<Record<string, string>>;
  readonly sampler: string;
  readonly ratio: number;
}

/** A span, as the instrumented code sees it: what it may add, and the headers carrying it to the next hop. */
export interface TraceSpan {
  setAttribute(key: string, value: string | number | boolean): void;
  setAttributes(attributes: Readonly<Record<string, string | number | boolean | undefined>>): void;
  updateName(name: string): void;
  /** Marks the span failed, with `error.type` (an error's class name, or the words given). */
  fail(reason: unknown): void;
  /** `traceparent` (and `tracestate`) for a request this span sends; undefined when not tracing. */
  headers(): Record<string, string> | undefined;
}

/** What a span stands for: work in this process, a request arriving, or a request sent. */
export type SpanRole = 'internal' | 'server' | 'client';

/** The span of work done while not tracing: everything on it is a no-op. */
export const NO_SPAN: TraceSpan = Object.freeze({
  setAttribute() {},
  setAttributes() {},
  updateName() {},
  fail() {},
  headers: () => undefined,
});

/** A gateway's tracing: its server spans, and `close` to flush what is left on shutdown. */
export interface Tracing {
  readonly on: boolean;
  /** Runs `answer` in a server span for `request` (a child of its `traceparent`, if any), named `name`. */
  serve(request: Request, name: string, attributes: Readonly<Record<string, string>>, answer: (span: TraceSpan) => Promise<Response>): Promise<Response>;
  /** Exports what is still buffered and stops; waits at most `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

export const NO_TRACING: Tracing = Object.freeze({
  on: false,
  serve: (_request: Request, _name: string, _attributes: Readonly<Record<string, string>>, answer: (span: TraceSpan) => Promise<Response>) => answer(NO_SPAN),
  close: async () => {},
});

/** The span running now, and the tracing it belongs to. */
interface Scope {
  readonly tracing: Started;
  readonly context: Context;
  readonly span: Handle;
}

/** Tracings started and not closed: while none is, `inSpan` does nothing else. */
let live = 0;
let scopes: AsyncLocalStorage<Scope> | undefined;
/** Whether OpenTelemetry's SDK was ever loaded in this process (tests check that it is not, when off). */
let loaded = false;

export function tracingLoaded(): boolean {
  return loaded;
}

/**
 * Runs `work` in a span named `name`, a child of the span running now; with no span running (not tracing, or
 * outside any traced request) `work` gets `NO_SPAN` and no span is made. A throw marks the span failed.
 * `root`: without a running span, start a trace of its own (background work: audit batches, sweeps).
 */
export function inSpan<T>(name: string, role: SpanRole, work: (span: TraceSpan) => Promise<T>, root?: Tracing): Promise<T> {
  if (live === 0) return work(NO_SPAN);
  const scope = scopes!.getStore();
  if (scope) return scope.tracing.child(scope.context, name, role, work);
  const own = root && startedOf.get(root);
  return own ? own.child(undefined, name, role, work) : work(NO_SPAN);
}

/** Whether any tracing is on in this process: the hot paths ask before making a span's closure at all. */
export function tracingOn(): boolean {
  return live !== 0;
}

/** The span running now; undefined when there is none (then there is nothing to describe, so skip working it out). */
export function activeSpan(): TraceSpan | undefined {
  if (live === 0) return undefined;
  return scopes!.getStore()?.span;
}

/** Starts tracing as `setup` says; off (no exporter) it loads nothing and returns `NO_TRACING`. */
export async function startTracing(setup: TracingSetup, onProblem: (message: string) => void = () => {}): Promise<Tracing> {
  if (setup.exporters.length === 0) return NO_TRACING;
  const [api, core, sdk, resources] = await Promise.all([import('@opentelemetry/api'), import('@opentelemetry/core'), import('@opentelemetry/sdk-trace-base'), import('@opentelemetry/resources')]);
  loaded = true;
  // the exporter's failures (collector down, refused) are reported through diag: to the log, once per message kind
  api.diag.setLogger({ error: onProblem, warn: onProblem, info() {}, debug() {}, verbose() {} }, api.DiagLogLevel.WARN);
  const processors = [];
  for (const kind of setup.exporters) {
    if (kind === 'console') {
      processors.push(new sdk.SimpleSpanProcessor(new sdk.ConsoleSpanExporter()));
      continue;
    }
    const { OTLPTraceExporter } = setup.protocol === 'http/json' ? await import('@opentelemetry/exporter-trace-otlp-http') : await import('@opentelemetry/exporter-trace-otlp-proto');
    processors.push(new sdk.BatchSpanProcessor(new OTLPTraceExporter({ url: setup.url, headers: { ...setup.headers }, ...(setup.timeoutMs !== undefined && { timeoutMillis: setup.timeoutMs }) })));
  }
  const base = setup.sampler.endsWith('always_off') ? new sdk.AlwaysOffSampler() : setup.sampler.endsWith('traceidratio') ? new sdk.TraceIdRatioBasedSampler(setup.ratio) : new sdk.AlwaysOnSampler();
  const sampler = setup.sampler.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root: base }) : base;
  const resource = resources.defaultResource().merge(resources.resourceFromAttributes({ ...setup.resource }));
  const provider = new sdk.BasicTracerProvider({ resource, sampler, spanProcessors: processors });
  const tracer = provider.getTracer('portico');
  const propagator = new core.W3CTraceContextPropagator();
  const kinds = { internal: api.SpanKind.INTERNAL, server: api.SpanKind.SERVER, client: api.SpanKind.CLIENT };
  const started = new Started(tracer, propagator, api.trace, api.ROOT_CONTEXT, kinds, api.SpanStatusCode.ERROR);
  scopes ??= new AsyncLocalStorage<Scope>();
  live++;
  let closing: Promise<void> | undefined;
  const tracing: Tracing = {
    on: true,
    serve: (request, name, attributes, answer) => started.serve(request, name, attributes, answer),
    close(timeoutMs = 5000) {
      closing ??= (async () => {
        live--;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
        try {
          await Promise.race([provider.shutdown().catch((error: unknown) => onProblem(`traces not flushed: ${error instanceof Error ? error.message : String(error)}`)), late]);
        } finally {
          clearTimeout(timer);
        }
      })();
      return closing;
    },
  };
  startedOf.set(tracing, started);
  return tracing;
}

/** Each tracing that is on, and its tracer: for `inSpan`'s background work. */
const startedOf = new WeakMap<Tracing, Started>();

type Propagator = InstanceType<typeof import('@opentelemetry/core').W3CTraceContextPropagator>;
type TraceApi = typeof import('@opentelemetry/api').trace;

const HEADER_GETTER = {
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
  keys: (carrier: Headers) => [...carrier.keys()],
};
const RECORD_SETTER = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** A tracing that is on: the tracer, and what it needs of the API, loaded once. */
class Started {
  constructor(
    private readonly tracer: Tracer,
    readonly propagator: Propagator,
    private readonly trace: TraceApi,
    private readonly root: Context,
    private readonly kinds: Readonly<Record<SpanRole, number>>,
    readonly errorStatus: number,
  ) {}

  serve(request: Request, name: string, attributes: Readonly<Record<string, string>>, answer: (span: TraceSpan) => Promise<Response>): Promise<Response> {
    const parent = this.propagator.extract(this.root, request.headers, HEADER_GETTER);
    return this.child(parent, name, 'server', async (span) => {
      span.setAttributes(attributes);
      const response = await answer(span);
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span.fail(String(response.status));
      return response;
    });
  }

  async child<T>(parent: Context | undefined, name: string, role: SpanRole, work: (span: TraceSpan) => Promise<T>): Promise<T> {
    const from = parent ?? this.root;
    const span = this.tracer.startSpan(name, { kind: this.kinds[role] }, from);
    const context = this.trace.setSpan(from, span);
    const handle = new Handle(span, context, this);
    try {
      return await scopes!.run({ tracing: this, context, span: handle }, () => work(handle));
    } catch (error) {
      handle.fail(error);
      throw error;
    } finally {
      span.end();
    }
  }
}

class Handle implements TraceSpan {
  constructor(
    private readonly span: Span,
    private readonly context: Context,
    private readonly tracing: Started,
  ) {}

  setAttribute(key: string, value: string | number | boolean): void {
    this.span.setAttribute(key, value);
  }

  setAttributes(attributes: Readonly<Record<string, string | number | boolean | undefined>>): void {
    this.span.setAttributes(attributes as Attributes);
  }

  updateName(name: string): void {
    this.span.updateName(name);
  }

  fail(reason: unknown): void {
    const type = typeof reason === 'string' ? reason : reason instanceof Error ? reason.name : 'error';
    // the type only: an error's message may quote what the caller sent
    this.span.setAttribute('error.type', type);
    this.span.setStatus({ code: this.tracing.errorStatus });
  }

  headers(): Record<string, string> {
    const carrier: Record<string, string> = {};
    this.tracing.propagator.inject(this.context, carrier, RECORD_SETTER);
    return carrier;
  }
}
