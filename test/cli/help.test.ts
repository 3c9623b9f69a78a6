/**
 * `portico --help` lists every command, and each command's `--help` (or `portico help <command>`) prints its own
 * usage and exits 0. The serve help covers every setting, the config file and the `_FILE` variables.
 */
import { describe, expect, test } from 'bun:test';
import { CONFIG_ENV, ENV_NAMES, fileVariant, flagName } from '../../src/config/serve';
import { portico } from './run';

const COMMANDS = ['serve', 'demo', 'tools', 'audit', 'check', 'version', 'help'];

describe('help', () => {
  test('portico --help lists every command, and the commands it lists all answer --help', async () => {
    const { code, stdout } = await portico(['--help']);
    expect(code).toBe(0);
    const listed = stdout
      .slice(stdout.indexOf('Commands:'))
      .split('\n')
      .slice(1)
      .filter((row) => /^ {2}\S/.test(row))
      .map((row) => row.trim().split(/\s+/)[0]!);
    for (const command of COMMANDS) expect(listed).toContain(command);
    expect(stdout).toContain('portico <command> --help');
    for (const command of listed.filter((name) => name !== 'help')) {
      const help = await portico([command, '--help']);
      expect({ command, code: help.code, stderr: help.stderr }).toEqual({ command, code: 0, stderr: '' });
      expect(help.stdout).toStartWith(`Usage: portico ${command}`);
      // `portico help <command>` prints the same
      expect((await portico(['help', command])).stdout).toBe(help.stdout);
    }
  });

  test('no command, help, -h and --help print the same overview', async () => {
    const outputs = await Promise.all([[], ['help'], ['-h'], ['--help']].map((args) => portico(args)));
    for (const { code, stdout } of outputs) {
      expect(code).toBe(0);
      expect(stdout).toBe(outputs[0]!.stdout);
    }
  });

  test('an unknown command exits 2 with the overview', async () => {
    const { code, stderr } = await portico(['serv']);
    expect(code).toBe(2);
    expect(stderr).toContain('portico: unknown command "serv"');
    expect(stderr).toContain('Commands:');
  });

  test('serve --help names every setting (flag and variable), the config file and the _FILE variables', async () => {
    const { stdout } = await portico(['serve', '--help']);
    for (const [key, variable] of Object.entries(ENV_NAMES)) {
      expect(stdout).toContain(flagName(key));
      expect(stdout).toContain(variable);
    }
    expect(stdout).toContain('--config <file>');
    expect(stdout).toContain(CONFIG_ENV);
    expect(stdout).toContain('portico.json, portico.yaml or portico.yml');
    expect(stdout).toContain('_FILE');
    expect(stdout).toContain(fileVariant('upstreamHeaders')!);
    expect(stdout).toContain('Exit status');
  });

  test('check --help describes what is checked and the exit statuses', async () => {
    const { stdout } = await portico(['check', '--help']);
    expect(stdout).toContain('--config <file>');
    for (const word of ['tools by scope', 'store', 'public and MCP URLs', 'plugins', 'Exit status: 0', '1 when it would not', '2 on a usage']) expect(stdout).toContain(word);
  });
});
