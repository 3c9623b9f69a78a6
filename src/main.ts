#!/usr/bin/env bun
/**
 * @module main
 * The `portico` command line. Each command lives in `cli/`; this file only dispatches.
 */
import { runAudit } from './cli/audit';
import { runDemo } from './cli/demo';
import { runServe } from './cli/serve';
import { runTools } from './cli/tools';
import { USAGE, VERSION } from './cli/usage';

// `portico tools --json | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return runDemo(rest);
    case 'serve':
      return runServe(rest);
    case 'tools':
      return runTools(rest);
    case 'audit':
      return runAudit(rest);
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`portico ${VERSION}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`portico: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
