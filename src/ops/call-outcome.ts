/**
 * @module ops/call-outcome
 * How one tool call ended, in the words the call pipeline decides once (`calls/pipeline`) and the audit log,
 * the metrics and the logs read: a value on the call's record, never worked out again from the result.
 */

/**
 * `ok`; `tool_error`: the API answered below 400 (or the plugin tool answered) but the result is an error;
 * `upstream_error`: the API answered 400 or more, or did not answer; `denied`: beyond the token's scopes;
 * `refused`: by a plugin's policy; `invalid_arguments`: refused before the API.
 */
export type CallOutcome = 'ok' | 'tool_error' | 'upstream_error' | 'denied' | 'refused' | 'invalid_arguments';

/** What the metrics read from one call. */
export interface CallMeasure {
  readonly tool: string;
  readonly outcome: CallOutcome;
  /** The HTTP status the API answered; undefined when it was not asked or did not answer, and for plugin tools. */
  readonly upstreamStatus: number | undefined;
  /** Time on the API alone (ms); undefined when nothing was sent to it. */
  readonly upstreamMs: number | undefined;
  /** From the call's arrival to its result (ms): hooks, the user's confirmation and the API included. */
  readonly latencyMs: number;
}
