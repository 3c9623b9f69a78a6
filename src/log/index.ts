/**
 * @module log
 * Ground level: imports nothing of Portico's, so every layer can log.
 * One JSON object per line on stderr, so logs can be shipped and searched as they are (or, for a person at a
 * terminal — `portico demo` — one readable line per event: `text`). A line written
 * while an HTTP request is answered carries that request's id (`requestId`). Every line goes through
 * `log/redaction` before it is written: tokens, passwords, cookies, credentials never reach the log.
 */
import { LogRedaction } from './redaction';
import { currentRequestId } from './request-context';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** `json`: one JSON object per line, for machines; `text`: `12:00:01 info  event key=value …`, for a person. */
export type LogFormat = 'json' | 'text';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  /** Whether lines of `level` are written (skip building fields of a line nobody reads). */
  enabled?(level: LogLevel): boolean;
  /** A secret of this deployment (an API key, a token) that must be blanked wherever it would appear. */
  redact?(secret: string): void;
}

/** A logger writing lines at or above `level` to `write` (stderr by default), in `format`. */
export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line), format: LogFormat = 'json'): Logger {
  const redaction = new LogRedaction();
  const least = RANK[level];
  const emit = (at: LogLevel) => (event: string, fields?: Record<string, unknown>) => {
    if (RANK[at] < least) return;
    const requestId = currentRequestId();
    const record = requestId === undefined ? { time: new Date().toISOString(), level: at, event, ...fields } : { time: new Date().toISOString(), level: at, event, requestId, ...fields };
    let line: string;
    try {
      line = redaction.line(record);
    } catch (error) {
      // a field that cannot be serialised (a cycle, a BigInt) must not take the caller down or lose the event
      line = redaction.line({ time: record.time, level: at, event, requestId, unserialisable: error instanceof Error ? error.message : String(error) });
    }
    write(`${format === 'text' ? readable(line) : line}\n`);
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    enabled: (at) => RANK[at] >= least,
    redact: (secret) => redaction.add(secret),
  };
}

/** A redacted JSON line as a person reads it: the time of day, the level, the event, then `key=value`s. */
function readable(json: string): string {
  const { time, level, event, ...fields } = JSON.parse(json) as Record<string, unknown>;
  const values = Object.entries(fields).map(([key, value]) => `${key}=${typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`);
  return [String(time).slice(11, 19), String(level).padEnd(5), event, ...values].join(' ');
}

/** Discards everything: for tests and for commands whose output is the product (`portico tools`). */
export const silentLogger: Logger = createLogger('error', () => {});
