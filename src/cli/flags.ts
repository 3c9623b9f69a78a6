/**
 * @module cli/flags
 * `--name value` and `--name=value` pairs for commands whose options come from a schema (serve, demo).
 */

/** Splits argv into flags; a bare `--flag` followed by another flag or nothing is `"true"`. */
export function splitFlags(argv: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags[arg.slice(0, eq)] = arg.slice(eq + 1);
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      flags[arg] = argv[++i]!;
    } else {
      flags[arg] = 'true';
    }
  }
  return flags;
}
