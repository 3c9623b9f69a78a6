/** Runs a portico command line (the sources or the built binary) and collects what it printed. */
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dir, '../..');
export { SHARED_SPECS } from '../fixtures/shared-specs';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function run(command: string[], options: { cwd?: string; env?: Record<string, string>; unsetEnv?: string[] } = {}): Promise<Run> {
  const env = { ...process.env, ...options.env };
  for (const name of options.unsetEnv ?? []) delete env[name];
  const child = Bun.spawn(command, {
    cwd: options.cwd ?? ROOT,
    env,
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

/** `portico …` from the sources. */
export const portico = (args: string[], options?: Parameters<typeof run>[1]) =>
  run([process.execPath, resolve(ROOT, 'src/main.ts'), ...args], options);

export { removeTempDirs, tempDir } from '../fixtures/temp';
