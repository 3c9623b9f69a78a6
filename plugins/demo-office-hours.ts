/**
 * demo-office-hours.ts — an example customer policy for the bundled demo API (the plugin guide in README
 * walks through it). Off until configured:
 *
 *   pluginSettings:
 *     demo-office-hours: { productionDatabases: [db_8f3k2m9q], timeZone: Europe/Berlin, hours: [9, 18] }
 *
 * - Production databases are never deleted outside office hours (Monday to Friday, `hours` in `timeZone`).
 * - Callers who may only read never see backups: their tools/call results are cut of backup details.
 */
import type { PluginApi } from './portico';

export default function officeHours(api: PluginApi): void {
  const production = api.settings.productionDatabases;
  if (!Array.isArray(production)) return;
  const timeZone = typeof api.settings.timeZone === 'string' ? api.settings.timeZone : 'UTC';
  const [open, close] = Array.isArray(api.settings.hours) ? (api.settings.hours as number[]) : [9, 18];
  // a wrong time zone must fail at start, not on the first delete
  new Intl.DateTimeFormat('en', { timeZone });

  api.beforeCall((call) => {
    if (call.tool.operation?.method !== 'DELETE' || !production.includes(call.args.databaseId)) return;
    const now = officeTime(new Date(), timeZone);
    const inHours = now.weekday >= 1 && now.weekday <= 5 && now.hour >= open! && now.hour < close!;
    return inHours ? undefined : { deny: `production database ${String(call.args.databaseId)} may only be deleted on weekdays between ${open}:00 and ${close}:00 (${timeZone}); ask an owner during office hours` };
  });

  api.afterCall((call, result) => {
    if (call.caller?.scopes.includes('write') !== false) return undefined;
    if (!call.tool.operation?.path.includes('/backups')) return undefined;
    return { content: [{ type: 'text', text: 'Backups are not shown to read-only connections.' }], isError: true };
  });
}

function officeTime(date: Date, timeZone: string): { weekday: number; hour: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' }).formatToParts(date);
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.find((p) => p.type === 'weekday')!.value);
  return { weekday, hour: Number(parts.find((p) => p.type === 'hour')!.value) };
}
