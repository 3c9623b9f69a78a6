/**
 * @module plugins/errors
 * A plugin that cannot be loaded or set up stops the start: the message names the file, the line where
 * the runtime says it, and the reason.
 */
export class PluginError extends Error {
  override readonly name = 'PluginError';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `file:line:column` of the first stack frame inside `file`, when the error's stack has one. */
export function whereIn(file: string, error: unknown): string {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}:(\\d+)(?::(\\d+))?`).exec(stack);
  return match ? `${file}:${match[1]}${match[2] ? `:${match[2]}` : ''}` : file;
}
