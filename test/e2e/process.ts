/**
 * A portico process for end-to-end tests: started like a user would, stopped with SIGTERM, and its
 * endpoint read from what it prints.
 */
import { resolve } from 'node:path';
import type { Subprocess } from 'bun';

const ROOT = resolve(import.meta.dir, '../..');

export interface Running {
  readonly mcpUrl: string;
  readonly process: Subprocess;
  /** Everything printed on stderr so far. */
  readonly stderr: () => string;
  stop(): Promise<number>;
}

/** Starts `command` and waits until it prints its MCP endpoint. */
export async function startPortico(command: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = Bun.spawn(command, { cwd: ROOT, env: { ...process.env, ...env }, stdout: 'pipe', stderr: 'pipe' });
  let text = '';
  const reader = child.stderr.getReader();
  const decoder = new TextDecoder();
  const found = await (async () => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) return null;
      text += decoder.decode(value);
      const match = /MCP endpoint: (\S+)/.exec(text);
      if (match) return match[1]!;
    }
    return null;
  })();
  // keep draining so the child never blocks on a full pipe
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      text += decoder.decode(value);
    }
  })();
  if (!found) {
    child.kill();
    throw new Error(`portico did not start:\n${text}`);
  }
  return {
    mcpUrl: found,
    process: child,
    stderr: () => text,
    async stop() {
      child.kill('SIGTERM');
      return child.exited;
    },
  };
}

export const SOURCES = [process.execPath, resolve(ROOT, 'src/main.ts')];
