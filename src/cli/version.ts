/**
 * @module cli/version
 * `portico --version`: the package version and the commit it was built from. The build script
 * (`src/cli/build.ts`) bakes the commit in with `--define PORTICO_BUILD_COMMIT="…"`; from the sources it
 * is read from git at the time of asking, or "unknown" when there is no git or no repository.
 */
import { VERSION } from './usage';

/** Replaced by a string literal in `dist/portico`; not defined at all when running from the sources. */
declare const PORTICO_BUILD_COMMIT: string | undefined;

/** The short commit of the working tree that holds these sources, `-dirty` when tracked files differ from it. */
export function workingTreeCommit(dir: string = import.meta.dir): string {
  try {
    const head = Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD'], { cwd: dir, stdout: 'pipe', stderr: 'ignore' });
    const commit = head.stdout.toString().trim();
    if (head.exitCode !== 0 || !/^[0-9a-f]{7,40}$/.test(commit)) return 'unknown';
    const diff = Bun.spawnSync(['git', 'diff', '--quiet', 'HEAD', '--'], { cwd: dir, stdout: 'ignore', stderr: 'ignore' });
    return diff.exitCode === 1 ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown'; // no git on PATH, or `dir` does not exist (a binary built without the define)
  }
}

export function buildCommit(): string {
  return typeof PORTICO_BUILD_COMMIT === 'string' && PORTICO_BUILD_COMMIT !== '' ? PORTICO_BUILD_COMMIT : workingTreeCommit();
}

/** What `portico --version` prints, e.g. `portico 0.1.0 (commit 1a2b3c4d5e6f)`. */
export const versionLine = () => `portico ${VERSION} (commit ${buildCommit()})\n`;
