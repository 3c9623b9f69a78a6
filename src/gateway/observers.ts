/**
 * @module gateway/observers
 * Who reads each call's record (`calls/pipeline`): the metrics, the debug log line and the audit log. They all
 * read the outcome the pipeline decided, so the three can never tell a call differently.
 */
import { auditDetail, type RedactionRule } from '../audit/redact';
import type { AuditWriter } from '../audit/writer';
import type { CallRecord } from '../calls/pipeline';
import type { Logger } from '../log';
import type { GatewayMetrics } from '../ops/gateway-metrics';
import type { AuditEntry } from '../store';

export function callObservers(
  metrics: GatewayMetrics,
  log: Logger,
  audit: AuditWriter | undefined,
  rule: RedactionRule,
  durable = false,
): ((record: CallRecord) => void | Promise<void>)[] {
  const observers: ((record: CallRecord) => void | Promise<void>)[] = [(record: CallRecord) => metrics.toolCall(record)];
  if (log.enabled?.('debug') !== false) {
    observers.push((record) =>
      log.debug('mcp.tool_call', {
        tool: record.tool,
        outcome: record.outcome,
        upstreamStatus: record.upstreamStatus ?? null,
        ms: tenths(record.latencyMs),
        ...(record.upstreamMs !== undefined && { upstreamMs: tenths(record.upstreamMs) }),
        ...(record.hookMs > 0 && { hookMs: tenths(record.hookMs) }),
        user: record.principal?.userId,
        client: record.principal?.clientId,
      }),
    );
  }
  // durable (PORTICO_AUDIT_DURABLE): the call is answered once its entry is written
  if (audit) observers.push(durable ? (record) => audit.recordDurably(auditEntry(record, rule)) : (record) => audit.record(auditEntry(record, rule)));
  return observers;
}

/** A call as the audit log keeps it: who, which tool, how it ended, what the API answered; arguments redacted. */
function auditEntry(record: CallRecord, rule: RedactionRule): AuditEntry {
  return {
    at: record.startedAt,
    userId: record.principal?.userId ?? '',
    clientId: record.principal?.clientId ?? '',
    tool: record.tool,
    outcome: record.outcome,
    upstreamStatus: record.upstreamStatus ?? null,
    latencyMs: tenths(record.latencyMs),
    detail: auditDetail(record.args, rule),
  };
}

function tenths(ms: number): number {
  return Math.round(ms * 10) / 10;
}
