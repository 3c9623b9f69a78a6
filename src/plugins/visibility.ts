/**
 * @module plugins/visibility
 * Which tools a caller may see, by the plugins' `visibleTo` rules: per-user catalogs. A tool hidden from a
 * caller must be as absent for them as a tool that does not exist — not listed, not callable, not even refused
 * for scope — so `calls/toolbox` asks here once per caller and keeps the answer. Fail closed: a rule that throws
 * hides the tool; it is logged once per plugin (a broken rule would otherwise log on every listing of every user).
 */
import type { Caller, ToolInfo } from '../../plugins/portico';
import type { Logger } from '../log';
import type { Registered, VisibilityRule } from './host';

export class Visibility {
  /** Plugins whose rule failed and was logged: logged once, not per tool and caller. */
  private readonly failed = new Set<string>();

  constructor(
    private readonly rules: readonly Registered<VisibilityRule>[],
    private readonly log: Logger,
  ) {}

  /** Whether every rule lets `caller` see `tool`; false when one says no, throws or answers anything but a boolean. */
  sees(tool: ToolInfo, caller: Caller | undefined): boolean {
    for (const { plugin, value: rule } of this.rules) {
      let answer: unknown;
      try {
        answer = rule(tool, caller);
      } catch (error) {
        this.failedOnce(plugin, tool, error instanceof Error ? error.message : String(error));
        return false;
      }
      if (answer === true) continue;
      if (answer !== false) this.failedOnce(plugin, tool, `its visibleTo rule answered ${typeof answer === 'object' ? 'a promise or object' : typeof answer}, not true or false`);
      return false;
    }
    return true;
  }

  private failedOnce(plugin: string, tool: ToolInfo, error: string): void {
    if (this.failed.has(plugin)) return;
    this.failed.add(plugin);
    this.log.error('plugin.visibility_rule_failed', { plugin, tool: tool.name, error, hiding: 'every tool it fails on', logged: 'once per plugin' });
  }
}

/** What a caller's visible tools are kept by: everything a rule is handed of the caller. */
export function callerKey(caller: Caller | undefined): string {
  return caller ? JSON.stringify([caller.userId, caller.userName, caller.clientId, caller.scopes]) : '';
}
