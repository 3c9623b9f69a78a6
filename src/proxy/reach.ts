/**
 * @module proxy/reach
 * The connect timeout. Bun's `fetch` has none (a host that drops packets would hold a call until its
 * total deadline), so before sending to an origin the proxy opens a plain TCP connection to it, bounded
 * by `connectTimeoutMs`, and closes it at once. This happens only when the origin has not answered for
 * `RECENT_MS` (at start, and after a quiet spell); otherwise `fetch` reuses its pooled keep-alive
 * connections and nothing is probed. Concurrent calls share one probe. Behind an HTTP proxy (the
 * `*_PROXY` variables) the origin is not dialled directly, so there is no probe.
 */

/** How long an answer from an origin counts as proof that it accepts connections. */
export const RECENT_MS = 30_000;
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];

const lastAnswer = new Map<string, number>();
const probes = new Map<string, Promise<void>>();

/** A failed connection attempt; `code` as Node names it (`ECONNREFUSED`, `ETIMEDOUT`…). */
export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Records that `url`'s origin answered (any HTTP response counts). */
export function markReachable(url: URL): void {
  lastAnswer.set(url.origin, Date.now());
}

/**
 * Resolves when `url`'s origin accepts TCP connections; rejects with `ConnectError`. `undefined` when
 * there is nothing to wait for (it answered recently, or a proxy is configured): the common case costs
 * no promise.
 */
export function ensureReachable(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<void> | undefined {
  const seen = lastAnswer.get(url.origin);
  if (seen !== undefined && Date.now() - seen < RECENT_MS) return undefined;
  if (PROXY_VARIABLES.some((name) => process.env[name])) return undefined;
  let probe = probes.get(url.origin);
  if (!probe) {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    probe = connectOnce(url.hostname.replace(/^\[(.*)\]$/, '$1'), port, timeoutMs).finally(() => probes.delete(url.origin));
    probes.set(url.origin, probe);
  }
  if (!signal) return probe;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    probe.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function connectOnce(hostname: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) resolve();
      else reject(asConnectError(error));
    };
    const timer = setTimeout(() => settle(new ConnectError('ETIMEDOUT', `connection timed out after ${timeoutMs} ms`)), timeoutMs);
    Bun.connect({
      hostname,
      port,
      socket: {
        open(socket) {
          socket.end();
          settle();
        },
        data() {},
        connectError(_socket, error) {
          settle(error);
        },
        error(_socket, error) {
          settle(error);
        },
      },
    }).catch(settle);
  });
}

function asConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'ECONNECT';
  return new ConnectError(code, error instanceof Error ? error.message : String(error), { cause: error });
}
