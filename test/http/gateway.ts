/**
 * The demo API and a gateway in front of it, in this process on real ports, for the operations tests (a preset of
 * `startTestGateway`, fixtures/gateway): every log
 * line collected (level debug), the upstream credentials the gateway sent collected too (so a test can look for
 * them in the logs), no plugins, and any setting overridable.
 */
import type { ServeConfig } from '../../src/config/serve';
import { startDemoApi, type RunningDemoApi } from '../../src/demo';
import type { Gateway } from '../../src/gateway';
import type { Store } from '../../src/store';
import { startTestGateway } from '../fixtures/gateway';
import { tempDir } from '../fixtures/temp';

export interface OpsGateway {
  readonly demo: RunningDemoApi;
  readonly gateway: Gateway;
  readonly config: ServeConfig;
  /** http://127.0.0.1:PORT: the gateway, as the issuer knows it (localhost) and as clients reach it. */
  readonly origin: string;
  readonly mcpUrl: string;
  readonly logs: string[];
  /** The values of every header the gateway sent upstream with a call (the users' credentials among them). */
  readonly upstreamCredentials: Set<string>;
  /** The calls the gateway sent to the API, as "METHOD /path" of their operation, in order. */
  readonly upstreamCalls: string[];
  /** Log lines parsed, with this event. */
  events(event: string): Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface OpsGatewayParts {
  readonly store?: Store;
  /** A demo API to use (not stopped by `stop`). */
  readonly demo?: RunningDemoApi;
  /** No sign-in: every call goes to the API as this demo user (PORTICO_AUTH=none and their token upstream). */
  readonly as?: { email: string; password: string };
}

export async function startOpsGateway(env: Record<string, string> = {}, parts: OpsGatewayParts = {}): Promise<OpsGateway> {
  const demo = parts.demo ?? (await startDemoApi({ port: 0, tokenTtlMs: 3_600_000, slowMs: 300 }));
  const as: Record<string, string> = parts.as ? { PORTICO_AUTH: 'none', PORTICO_UPSTREAM_HEADERS: `Authorization: Bearer ${await demoToken(demo, parts.as)}` } : {};
  const started = await startTestGateway({ PORTICO_PLUGINS: tempDir(), ...as, ...env }, { demo, store: parts.store });
  return {
    ...started,
    demo,
    upstreamCalls: started.upstream,
    async stop() {
      await started.stop();
      if (!parts.demo) await demo.stop();
    },
  };
}

/** The value of `name{labels}` in a Prometheus text answer (labels as written, in order), or undefined. */
export function sample(text: string, name: string, labels = ''): number | undefined {
  const series = labels ? `${name}{${labels}}` : name;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** A user's token at the demo API (what `portico demo --as` sends upstream). */
export async function demoToken(demo: RunningDemoApi, user: { email: string; password: string }): Promise<string> {
  const login = await fetch(`${demo.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
  return ((await login.json()) as { token: string }).token;
}
