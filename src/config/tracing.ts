/**
 * @module config/tracing
 * Where traces go, read from the standard OpenTelemetry variables (not `PORTICO_*`: collectors, sidecars and
 * platforms set these for every service alike). Tracing is off unless an OTLP endpoint is named
 * (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`) or `OTEL_TRACES_EXPORTER` asks for an
 * exporter; `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true` turn it off whatever else is set.
 *
 * Read: OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER (otlp | console | none, a list allowed), OTEL_EXPORTER_OTLP_[TRACES_]
 * ENDPOINT / PROTOCOL (http/protobuf, http/json) / HEADERS / TIMEOUT, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG. The SDK itself still reads what is not named here
 * (OTEL_BSP_* for batching, OTEL_EXPORTER_OTLP_*_CERTIFICATE…).
 */
import { ConfigError } from './errors';
import { checkUrl } from './values';

export type TraceExporter = 'otlp' | 'console';
export type TraceSampler = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

export interface TracingSettings {
  /** Where spans go; empty: tracing is off (and nothing of the SDK is loaded). */
  readonly exporters: readonly TraceExporter[];
  /** The OTLP traces URL (…/v1/traces). */
  readonly url: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  /** Headers sent to the collector (its API key, say): never logged. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** The resource's attributes: `service.name` (OTEL_SERVICE_NAME, else from OTEL_RESOURCE_ATTRIBUTES, else portico) and the rest. */
  readonly resource: Readonly<Record<string, string>>;
  readonly sampler: TraceSampler;
  /** For the ratio samplers, 0…1. */
  readonly ratio: number;
}

const SAMPLERS: readonly TraceSampler[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];
const DEFAULT_ENDPOINT = 'http://localhost:4318';

/** The tracing settings of `env` (usually `process.env`); a `ConfigError` names a variable that makes no sense. */
export function readTracingSettings(env: Readonly<Record<string, string | undefined>>): TracingSettings {
  const get = (name: string) => env[name]?.trim() || undefined;
  const tracesEndpoint = get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  const url = tracesEndpoint ?? `${(endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  const exporters = exportersOf(get('OTEL_TRACES_EXPORTER'), tracesEndpoint !== undefined || endpoint !== undefined, /^true$/i.test(get('OTEL_SDK_DISABLED') ?? ''));
  if (exporters.includes('otlp')) checkUrl(url, tracesEndpoint ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const protocolName = get('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = get(protocolName) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(`${protocolName} must be http/protobuf or http/json (Portico exports over HTTP; gRPC is not supported), got "${protocol}"`);
  }
  const headersName = get('OTEL_EXPORTER_OTLP_TRACES_HEADERS') ? 'OTEL_EXPORTER_OTLP_TRACES_HEADERS' : 'OTEL_EXPORTER_OTLP_HEADERS';
  const timeoutName = get('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TIMEOUT';
  const timeout = get(timeoutName);
  if (timeout !== undefined && !/^\d+$/.test(timeout)) throw new ConfigError(`${timeoutName} must be a number of milliseconds, got "${timeout}"`);
  const resource: Record<string, string> = { 'service.name': 'portico', ...pairs(get('OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES', false) };
  const service = get('OTEL_SERVICE_NAME');
  if (service) resource['service.name'] = service;
  const sampler = (get('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on') as TraceSampler;
  if (!SAMPLERS.includes(sampler)) throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, got "${sampler}"`);
  const arg = get('OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (sampler.endsWith('traceidratio') && !(ratio >= 0 && ratio <= 1)) throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got "${arg}"`);
  return {
    exporters,
    url,
    protocol,
    headers: pairs(get(headersName), headersName, true),
    ...(timeout !== undefined && { timeoutMs: Number(timeout) }),
    resource,
    sampler,
    ratio,
  };
}

function exportersOf(named: string | undefined, endpointGiven: boolean, disabled: boolean): TraceExporter[] {
  if (disabled) return [];
  // no exporter named: OTLP when an endpoint is (the SDK's default would be localhost:4318 always; here off)
  if (named === undefined) return endpointGiven ? ['otlp'] : [];
  const names = [...new Set(named.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean))];
  if (names.includes('none')) return [];
  for (const name of names) {
    if (name !== 'otlp' && name !== 'console') throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp, console or none (a comma-separated list allowed), got "${name}"`);
  }
  return names as TraceExporter[];
}

/** `key=value,key2=value2` (values percent-decoded); a header's value is never repeated in a message. */
function pairs(text: string | undefined, name: string, secret: boolean): Record<string, string> {
  const found: Record<string, string> = {};
  for (const part of (text ?? '').split(',').map((item) => item.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ConfigError(`${name} must look like "key=value,other=value", got a part without "="${secret ? '' : `: "${part}"`}`);
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // not percent-encoded: taken as it is
    }
    if (/[\r\n\0]/.test(value)) throw new ConfigError(`${name}: the value of "${part.slice(0, eq).trim()}" holds a line break`);
    found[part.slice(0, eq).trim()] = value;
  }
  return found;
}
