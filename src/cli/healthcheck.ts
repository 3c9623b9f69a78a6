/**
 * @module cli/healthcheck
 * `portico healthcheck`: GET /healthz of a running Portico and exit 0 when it answers 2xx, 1 otherwise.
 * It is the container's HEALTHCHECK: the runtime image has no shell and no curl, only the binary. Every
 * failure, a usage error included, exits 1 (Docker reserves 2).
 *
 * It uses `node:http`, not `fetch`: Bun's fetch sends even a 127.0.0.1 request through HTTP_PROXY when
 * that is set, and a container's proxy settings must not make a healthy gateway look down.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseArgs } from 'node:util';
import { HEALTHCHECK_USAGE } from './usage';

/** The gateway's own /healthz from PORTICO_HOST and PORTICO_PORT; an any-address bind is asked on loopback. */
export function defaultHealthUrl(env: Readonly<Record<string, string | undefined>> = process.env): string {
  let host = env.PORTICO_HOST?.trim() || '127.0.0.1';
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::' || host === '[::]') host = '[::1]';
  else if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  const port = env.PORTICO_PORT?.trim() || '8787';
  return `http://${host}:${port}/healthz`;
}

/** One GET: the status code, or the reason there was none. */
export function probe(url: URL, timeoutMs: number): Promise<{ status: number } | { error: string }> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', headers: { accept: 'application/json', 'user-agent': 'portico-healthcheck' }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code && !error.message.includes(error.code) ? `${error.code}: ${error.message}` : error.message }));
    req.end();
  });
}

export async function runHealthcheck(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        timeout: { type: 'string', default: '5' },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`portico healthcheck: ${error instanceof Error ? error.message : String(error)}\n\n${HEALTHCHECK_USAGE}`);
    return 1;
  }
  if (values.help) {
    process.stdout.write(HEALTHCHECK_USAGE);
    return 0;
  }
  const seconds = Number(values.timeout);
  if (!(Number.isFinite(seconds) && seconds > 0)) {
    process.stderr.write(`portico healthcheck: --timeout must be a positive number of seconds, got "${values.timeout}"\n`);
    return 1;
  }
  const text = values.url ?? defaultHealthUrl();
  let url: URL;
  try {
    url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    process.stderr.write(`portico healthcheck: --url must be an http(s) URL, got "${text}"\n`);
    return 1;
  }
  const result = await probe(url, Math.round(seconds * 1000));
  if ('status' in result && result.status >= 200 && result.status < 300) {
    if (!values.quiet) process.stdout.write(`ok: ${url.href} answered ${result.status}\n`);
    return 0;
  }
  process.stderr.write(`unhealthy: ${url.href} ${'status' in result ? `answered ${result.status}` : `unreachable (${result.error})`}\n`);
  return 1;
}
