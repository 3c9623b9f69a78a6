/**
 * @module gateway/tracing
 * Tracing wired into a gateway (`ops/tracing` holds the spans): started from the `OTEL_*` settings, the store's
 * calls as spans, and the routes' requests as server spans. Off, none of this wraps anything.
 */
import type { TracingSettings } from '../config/tracing';
import type { Handler } from '../http/front';
import { routeOf } from '../http/front';
import type { Logger } from '../log';
import { inSpan, startTracing, type Tracing } from '../ops/tracing';
import { overriding } from '../store/overriding';
import type { Store } from '../store';

/** Tracing as `settings` say; the exporter's problems go to the log (each kind at most once a minute). */
export async function startGatewayTracing(settings: TracingSettings, log: Logger): Promise<Tracing> {
  const said = new Map<string, number>();
  const tracing = await startTracing(settings, (message) => {
    const kind = String(message).slice(0, 80);
    const now = Date.now();
    if ((said.get(kind) ?? 0) > now - 60_000) return;
    said.set(kind, now);
    log.warn('tracing.problem', { reason: String(message).slice(0, 500) });
  });
  if (tracing.on) {
    for (const value of Object.values(settings.headers)) log.redact?.(value);
    log.info('tracing.on', { exporters: settings.exporters.join(','), ...(settings.exporters.includes('otlp') && { url: settings.url, protocol: settings.protocol }), service: settings.resource['service.name'], sampler: settings.sampler });
  }
  return tracing;
}

/** Store calls made in the background, outside any request: each is a trace of its own. */
const BACKGROUND: ReadonlySet<string> = new Set(['appendAudits', 'recordGrantUses', 'sweep']);
/** Not traced: the store's life, not its work. */
const UNTRACED: ReadonlySet<string> = new Set(['close', 'watchRevocations', 'constructor']);

/**
 * `store` with each call a span (`store <method>`: the operation's name and the database system, never what it
 * was given), inside the span running when it is called; `store` itself when tracing is off.
 */
export function tracedStore(store: Store, tracing: Tracing): Store {
  if (!tracing.on) return store;
  const system = store.description.startsWith('PostgreSQL') || /postgres/i.test(store.description) ? 'postgresql' : 'sqlite';
  const overrides: Record<string, unknown> = {};
  for (let proto: object | null = store; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = (store as unknown as Record<string, unknown>)[name];
      if (typeof method !== 'function' || UNTRACED.has(name) || name.startsWith('_') || Object.hasOwn(overrides, name)) continue;
      const attributes = { 'db.system.name': system, 'db.operation.name': name };
      const root = BACKGROUND.has(name) ? tracing : undefined;
      overrides[name] = (...args: unknown[]) =>
        inSpan(
          `store ${name}`,
          'client',
          (span) => {
            span.setAttributes(attributes);
            return (method as (...args: unknown[]) => Promise<unknown>).apply(store, args);
          },
          root,
        );
    }
  }
  return overriding(store, overrides as Partial<Store>);
}

/** `handler` answering in a server span named by its route (`route`, else the request's route label); `handler` when off. */
export function tracedHandler(tracing: Tracing, handler: Handler, route?: string): Handler {
  if (!tracing.on) return handler;
  return (request, client) => {
    const label = route ?? routeOf(request.url);
    return tracing.serve(request, `${request.method} ${label}`, { 'http.request.method': request.method, 'http.route': label, 'url.scheme': request.url.startsWith('https:') ? 'https' : 'http' }, async () => handler(request, client));
  };
}
