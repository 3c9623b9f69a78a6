/**
 * The baseline for test/bench/proxy.ts: the barest reverse proxy Bun allows — `Bun.serve` whose `fetch`
 * forwards each request to the upstream origin with `fetch` and returns the upstream's response as it is.
 * No validation, no translation: what any proxy in front of the API costs at least.
 *
 *   bun test/bench/bare-proxy.ts <upstream origin, e.g. http://127.0.0.1:4010> [port=0]
 *
 * Prints `bare proxy listening on http://127.0.0.1:PORT` on stdout once it listens.
 */
const [upstream, port = '0'] = process.argv.slice(2);
if (!upstream) {
  process.stderr.write('usage: bun test/bench/bare-proxy.ts <upstream origin> [port]\n');
  process.exit(2);
}
const origin = new URL(upstream).origin;

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(port),
  fetch(request) {
    const url = request.url;
    // request.url is absolute: keep its path and query, swap the origin
    const path = url.slice(url.indexOf('/', url.indexOf('//') + 2));
    return fetch(origin + path, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' });
  },
});
process.stdout.write(`bare proxy listening on http://127.0.0.1:${server.port}\n`);
const stop = () => {
  server.stop(true);
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
