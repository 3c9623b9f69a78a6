#!/usr/bin/env bun
/**
 * @module main
 * The `portico` command line. Each command lives in `cli/`; this file only dispatches, loading a command's module
 * only when it runs: `portico tools` need not load the HTTP server, the OAuth provider and the store drivers that
 * `serve` needs (a tenth of a second of every start).
 */
import { USAGE, VERSION_USAGE } from './cli/usage';
import { versionLine } from './cli/version';

// `portico tools --json | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return (await import('./cli/demo')).runDemo(rest);
    case 'serve':
      return (await import('./cli/serve')).runServe(rest);
    case 'tools':
      return (await import('./cli/tools')).runTools(rest);
    case 'audit':
      return (await import('./cli/audit')).runAudit(rest);
    case 'check':
      return (await import('./cli/check')).runCheck(rest);
    case 'healthcheck':
      return (await import('./cli/healthcheck')).runHealthcheck(rest);
    case 'version':
    case '--version':
    case '-v':
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(VERSION_USAGE);
        return 0;
      }
      process.stdout.write(versionLine());
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      // `portico help serve` is `portico serve --help`
      if (command === 'help' && rest[0] !== undefined && rest[0] !== 'help') return main([rest[0], '--help']);
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`portico: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
