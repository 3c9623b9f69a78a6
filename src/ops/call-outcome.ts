/**
 * @module ops/call-outcome
 * How one tool call ended, in the words the audit log and the metrics share.
 */
import type { CallEvent } from '../mcp/tool-requests';

/**
 * `ok`; `tool_error`: the API answered below 400 but the result is an error; `upstream_error`: the API answered
 * 400 or more, or did not answer; `denied`: beyond the token's scopes; `refused`: by a plugin's policy;
 * `invalid_arguments`: refused before the API.
 */
export type CallOutcome = 'ok' | 'tool_error' | 'upstream_error' | CallEvent['stage'];

export function callOutcome(event: CallEvent): { outcome: Exclude<CallOutcome, 'called'>; status: number | undefined } {
  const status = event.upstreamStatus;
  if (event.stage !== 'called') return { outcome: event.stage, status };
  if (!event.result?.isError) return { outcome: 'ok', status };
  return { outcome: status === undefined || status >= 400 ? 'upstream_error' : 'tool_error', status };
}
