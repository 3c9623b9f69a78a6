/**
 * @module demo/server
 * `startDemoApi`: a demo API listening on a real port (0 picks a free one), for `portico demo` and tests.
 */
import { createDemoApi, type DemoApi } from './app';
import type { DemoApiOptions } from './options';

export interface StartDemoApiOptions extends DemoApiOptions {
  /**
   * Port to listen on; 0 lets the system pick a free one.
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  hostname?: string;
}

/** A running demo API. */
export interface RunningDemoApi {
  /** Where it listens, without a trailing slash: `http://127.0.0.1:4010`. */
  readonly url: string;
  /** The operations' base URL (`url` + the document's `basePath`): `http://127.0.0.1:4010/v1`. */
  readonly baseUrl: string;
  /** The document's URL: `http://127.0.0.1:4010/swagger.json`. */
  readonly specUrl: string;
  readonly port: number;
  /** The app and its state. */
  readonly api: DemoApi;
  /** Stops listening and closes open connections. */
  stop(): Promise<void>;
}

/**
 * Starts a demo API.
 * @example
 * const demo = await startDemoApi({ slowMs: 0, control: true });
 * await fetch(`${demo.baseUrl}/healthz`);
 * await demo.stop();
 */
export async function startDemoApi({ port = 0, hostname = '127.0.0.1', ...options }: StartDemoApiOptions = {}): Promise<RunningDemoApi> {
  const api = createDemoApi(options);
  api.app.listen({ port, hostname });
  const bound = api.app.server?.port ?? port;
  // A wildcard address cannot be connected to as such; loopback reaches it.
  const host = hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname.includes(':') ? `[${hostname}]` : hostname;
  const url = `http://${host}:${bound}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    specUrl: `${url}/swagger.json`,
    port: bound,
    api,
    stop: async () => {
      await api.app.stop(true);
    },
  };
}
