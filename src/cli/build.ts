#!/usr/bin/env bun
/**
 * @module cli/build
 * `bun run build`: compiles `src/main.ts` into the single binary `dist/portico` (this machine's platform,
 * nothing downloaded) with the commit baked in for `portico --version`.
 *
 *   bun run build                                     → dist/portico (this machine: linux-x64 here)
 *   bun run build -- --target bun-linux-arm64         → dist/portico-linux-arm64
 *   bun run build -- --target linux-x64-musl          → dist/portico-linux-x64-musl (Alpine)
 *   bun run build -- --outfile /tmp/portico --print   → prints the `bun build` command, builds nothing
 *
 * The commit is `PORTICO_COMMIT` when set (a Docker build has no .git: `--build-arg PORTICO_COMMIT=…`),
 * else the working tree's (`git rev-parse --short=12 HEAD`, `-dirty` when tracked files changed), else "unknown".
 *
 * Another platform needs Bun's runtime for it (~100 MB, the npm package `@oven/bun-<os>-<arch>`), which
 * `bun build` downloads once and caches under ~/.bun/install/cache; without network access that fails,
 * and this script says so instead of leaving only Bun's one-line error.
 */
import { statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { workingTreeCommit } from './version';

export const ROOT = resolve(import.meta.dir, '../..');
export const ENTRY = 'src/main.ts';
/** Code mode's sandbox runs in a worker thread, whose module the binary must carry as an entrypoint of its own (`sandbox/pool`). */
export const WORKER_ENTRY = 'src/sandbox/worker.ts';
export const OUTFILE = 'dist/portico';

/**
 * The flags of the single binary (see DESIGN "The single binary"): `--bytecode` needs `--format=esm`; the
 * two `--no-compile-autoload-*` keep a `bunfig.toml` (preload = code) or `.env` in the directory where
 * the binary runs from changing what it does.
 */
export const COMPILE_FLAGS = ['--compile', '--minify', '--bytecode', '--format=esm', '--no-compile-autoload-bunfig', '--no-compile-autoload-dotenv'] as const;

/** Targets Portico is meant for; Bun accepts others too (darwin, windows) and they are passed through. */
export const TARGETS = ['bun-linux-x64', 'bun-linux-x64-baseline', 'bun-linux-x64-musl', 'bun-linux-arm64', 'bun-linux-arm64-musl'] as const;

export interface BuildOptions {
  /** A Bun compile target (`bun-linux-arm64`; the `bun-` prefix may be left out); none: this machine. */
  readonly target?: string;
  /** Where the binary goes, absolute or relative to the project [dist/portico, or dist/portico-<target> with a target]. */
  readonly outfile?: string;
  readonly commit: string;
}

export const normalizeTarget = (target: string) => (target.startsWith('bun-') ? target : `bun-${target}`);

/** The `bun build` arguments (after `bun`), run from the project folder. */
export function buildArgs({ target, outfile, commit }: BuildOptions): string[] {
  const bunTarget = target === undefined ? undefined : normalizeTarget(target);
  const out = outfile ?? (bunTarget ? `${OUTFILE}-${bunTarget.slice('bun-'.length)}` : OUTFILE);
  return [
    'build',
    ...COMPILE_FLAGS,
    ...(bunTarget ? [`--target=${bunTarget}`] : []),
    '--define',
    `PORTICO_BUILD_COMMIT=${JSON.stringify(commit)}`,
    ENTRY,
    WORKER_ENTRY,
    '--outfile',
    out,
  ];
}

export function commitToEmbed(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const given = env.PORTICO_COMMIT?.trim();
  if (given) {
    if (!/^[\w.+-]{1,64}$/.test(given)) throw new Error(`PORTICO_COMMIT must be a commit id (letters, digits, ".", "_", "+", "-"), got ${JSON.stringify(given)}`);
    return given;
  }
  return workingTreeCommit(ROOT);
}

const USAGE = `Usage: bun run build [-- options]

Compiles src/main.ts into one executable with the Bun runtime inside.

Options:
  --target <target>   Build for another platform [this machine]:
                      ${TARGETS.join(', ')}
                      (or any other target bun build accepts; its runtime is downloaded once)
  --outfile <path>    Where to write it [dist/portico, or dist/portico-<target> with --target]
  --print             Print the bun build command instead of running it
  -h, --help          Print this help

Environment: PORTICO_COMMIT  the commit --version reports [git rev-parse --short=12 HEAD, else "unknown"]
`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        target: { type: 'string' },
        outfile: { type: 'string' },
        print: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let commit;
  try {
    commit = commitToEmbed();
  } catch (error) {
    process.stderr.write(`build: ${(error as Error).message}\n`);
    return 2;
  }
  // a path given on the command line is the caller's, relative to where they are
  const outfile = values.outfile === undefined ? undefined : resolve(process.cwd(), values.outfile);
  const args = buildArgs({ target: values.target, outfile, commit });
  if (values.print) {
    process.stdout.write(`${['bun', ...args].map(quote).join(' ')}\n`);
    return 0;
  }

  const child = Bun.spawn([process.execPath, ...args], { cwd: ROOT, stdout: 'inherit', stderr: 'pipe' });
  let stderr = '';
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    process.stderr.write(chunk);
    stderr += decoder.decode(chunk, { stream: true });
  }
  const code = await child.exited;
  if (code !== 0) {
    const download = /Failed to download '([^']+)'(?::\s*(\S+))?/.exec(stderr);
    if (download) {
      const target = normalizeTarget(values.target ?? '');
      process.stderr.write(
        `\nbuild: cannot build for ${target} here: bun needs its runtime for that platform (${download[1]}, ` +
          `the npm package @oven/${download[1]!.replace(/-v[\d.]+$/, '')}) and could not download it (${download[2] ?? 'no network'}).\n` +
          `It is downloaded once and cached under ~/.bun/install/cache: build once where the registry is reachable, ` +
          `build on the target platform itself, or use the Dockerfile. Without --target, the build for this ` +
          `machine needs no download.\n`,
      );
    }
    return code;
  }
  const written = resolve(ROOT, args.at(-1)!);
  const out = statSync(written, { throwIfNoEntry: false }) ? written : `${written}.exe`; // bun adds .exe for windows
  const size = (statSync(out).size / 1_048_576).toFixed(0);
  const shown = relative(process.cwd(), out);
  process.stderr.write(`build: ${shown.startsWith('..') || shown === '' ? out : shown} (${size} MB, ${values.target ? normalizeTarget(values.target) : `${process.platform}-${process.arch}`}, commit ${commit})\n`);
  return 0;
}

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
