/**
 * @module cli/audit
 * `portico audit`: reads the audit log of tool calls from the store (the same database the gateway
 * uses: --database-url, PORTICO_DATABASE_URL, the config file, or ./data/portico.db), newest first, with the
 * names of the users and clients beside their ids (cli/audit-names).
 */
import { ConfigError, readSetting } from '../config/serve';
import { openStore, StoreError, type AuditRecord } from '../store';
import { auditNames, labelled, type AuditNames } from './audit-names';
import { splitFlags } from './flags';
import { AUDIT_USAGE } from './usage';

const KNOWN = ['--user', '--tool', '--since', '--limit', '--json', '--database-url', '--config'];
const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export async function runAudit(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(AUDIT_USAGE);
    return 0;
  }
  let flags: Record<string, string>;
  let since: number | undefined;
  let limit: number;
  try {
    flags = splitFlags(argv);
    const unknown = Object.keys(flags).find((flag) => !KNOWN.includes(flag));
    if (unknown) throw new Error(`unknown option "${unknown}"`);
    since = flags['--since'] === undefined ? undefined : parseSince(flags['--since'], Date.now());
    limit = Number(flags['--limit'] ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new Error(`--limit must be a whole number from 1 to 100000, got "${flags['--limit']}"`);
  } catch (error) {
    process.stderr.write(`portico audit: ${(error as Error).message}\n\nRun "portico audit --help" for the options.\n`);
    return 2;
  }
  let databaseUrl: string | undefined;
  try {
    // where `serve` keeps its state: the flag, PORTICO_DATABASE_URL (or _FILE), or the config file
    databaseUrl = readSetting('databaseUrl', flags, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`portico audit: ${error.message}\n`);
    return 2;
  }
  let records: AuditRecord[];
  let names: AuditNames;
  try {
    const store = await openStore(databaseUrl);
    try {
      records = await store.queryAudit({ userId: flags['--user'], tool: flags['--tool'], since, limit });
      names = await auditNames(store, records);
    } finally {
      await store.close();
    }
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    process.stderr.write(`portico audit: ${error.message}\n`);
    return 1;
  }
  if (flags['--json'] === 'true') {
    // the names are added fields (null when no longer known): readers of the earlier lines see what they saw
    for (const record of records) {
      const line = { ...record, at: new Date(record.at).toISOString(), detail: record.detail === null ? null : JSON.parse(record.detail), userName: names.user(record.userId), clientName: names.client(record.clientId) };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  } else {
    process.stdout.write(table(records, names));
  }
  process.stderr.write(`${records.length} call${records.length === 1 ? '' : 's'}${records.length === limit ? ` (the newest ${limit}; raise --limit for more)` : ''}\n`);
  return 0;
}

/** `30m`, `1h`, `7d`, `45s`, or an ISO date → epoch ms. */
export function parseSince(text: string, now: number): number {
  const relative = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]!]!;
  const date = Date.parse(text);
  if (Number.isNaN(date)) throw new Error(`--since must be a duration like 30m, 1h, 7d or a date like 2026-11-25T10:00:00Z, got "${text}"`);
  return date;
}

function table(records: readonly AuditRecord[], names: AuditNames): string {
  const rows = records.map((r) => [new Date(r.at).toISOString().replace('T', ' ').slice(0, 19), labelled(names.user(r.userId), r.userId), labelled(names.client(r.clientId), r.clientId), r.tool, r.outcome, r.upstreamStatus === null ? '-' : String(r.upstreamStatus), `${Math.round(r.latencyMs)} ms`]);
  const head = ['time (UTC)', 'user', 'client', 'tool', 'outcome', 'status', 'latency'];
  const widths = head.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `${cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}\n`;
  return line(head) + rows.map(line).join('');
}
