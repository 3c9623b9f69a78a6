#!/usr/bin/env bun
/**
 * @module demo/main
 * Runs the demo API on its own: `bun src/demo/main.ts [--port 4010] [--host 127.0.0.1] [--slow-ms 2000]
 * [--settle-ms 3000] [--control]`. Prints where it listens and who can log in.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SETTLE_MS, DEFAULT_SLOW_MS } from './options';
import { startDemoApi } from './server';

const USAGE = `Usage: bun src/demo/main.ts [options]

  --port <n>        port to listen on (default 4010; 0 picks a free one)
  --host <addr>     interface to listen on (default 127.0.0.1)
  --slow-ms <n>     how long GET …/query-stats takes (default ${DEFAULT_SLOW_MS})
  --settle-ms <n>   how long provisioning, updates, restores and backups take (default ${DEFAULT_SETTLE_MS})
  --control         mount POST /_demo/extend (adds GET /v1/regions at run time)
  -h, --help        show this help
`;

function number(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number >= 0, got "${text}"`);
  return value;
}

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'slow-ms': { type: 'string' },
        'settle-ms': { type: 'string' },
        control: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    const demo = await startDemoApi({
      port: number('port', values.port, 4010),
      hostname: values.host ?? '127.0.0.1',
      slowMs: number('slow-ms', values['slow-ms'], DEFAULT_SLOW_MS),
      settleMs: number('settle-ms', values['settle-ms'], DEFAULT_SETTLE_MS),
      control: values.control,
    });
    const users = demo.api.users.map((user) => {
      const roles = Object.entries(user.roles).map(([org, role]) => `${role} in ${org}`).join(', ');
      return `  ${user.email.padEnd(20)} ${user.password.padEnd(22)} ${roles}`;
    });
    process.stdout.write(
      `PGHost demo API listening on ${demo.url}\n` +
        `  API base URL  ${demo.baseUrl}\n  document      ${demo.specUrl}\n` +
        (values.control ? `  control       POST ${demo.url}/_demo/extend\n` : '') +
        `\nDemo users (email, password, roles):\n${users.join('\n')}\n`,
    );
    const stop = () => void demo.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return 0;
  } catch (error) {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
}

const code = await main(process.argv.slice(2));
if (code !== 0) process.exit(code);
