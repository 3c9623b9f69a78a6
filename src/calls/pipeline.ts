/**
 * @module calls/pipeline
 * The one way a tool call runs, whatever its tool (an operation of the gateway's API or of one a plugin
 * added, a plugin's own tool) and whichever era of MCP asked (`mcp/legacy`, `mcp/modern`):
 *
 *   scope → arguments against the schema → pinned arguments → beforeCall hooks
 *     → aroundCall hooks → the tool's executor (the API's proxy, or the plugin's handler) → afterCall hooks
 *
 * It answers with a `CallRecord`: the result the client gets *and* how the call ended (outcome, the API's status,
 * time on the API, time in hooks), by value. The audit log, the metrics and the logs read the record — nothing
 * is worked out again from the result, which a hook may have replaced. Expected failures (a refusal, bad
 * arguments, an API error) are records, never exceptions; only an unknown tool throws (`UnknownToolError`).
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolResult } from '../../plugins/portico';
import { silentLogger, type Logger } from '../log';
import { couldGrant, type Principal } from '../oauth/bearer';
import { allows, type Scope } from '../oauth/scopes';
import type { CallMeasure, CallOutcome } from '../ops/call-outcome';
import type { Drain } from '../ops/drain';
import { inSpan, tracingOn } from '../ops/tracing';
import type { PinnedValue, PluginEntry, ToolEntry } from '../plugins/catalog';
import { askingContext, callerOf, toolContext, type RequestExtra, type UpstreamAccess } from '../plugins/context';
import { isProtocolSignal } from '../wire/input-required';
import type { PluginHost } from '../plugins/host';
import type { Called } from '../proxy';
import { structuredFor } from '../proxy/structured';
import { budgetOf } from './answer/budget';
import type { AnswerFitter, AnsweringTool } from './answer/fit';
import { ArgumentValidator } from './arguments';
import type { Toolbox } from './toolbox';

/** One tool call as the protocol layer hands it over. */
export interface CallRequest {
  readonly name: string;
  readonly args: Record<string, unknown>;
  /** Cancels the call (the client cancelled, or went away where that means cancelling). */
  readonly signal: AbortSignal;
  /** Who calls; undefined without sign-in. */
  readonly principal?: Principal;
  /** What the protocol can do besides answering (progress, logging, elicitation, sampling), where it can. */
  readonly extra?: RequestExtra;
  /**
   * The whole answer, not fitted to the answer budget: for a code-mode program's calls, whose answers the program
   * reads, not the model (its own result is fitted).
   */
  readonly whole?: boolean;
}

/** A tool call, decided: what the client gets and how it ended. */
export interface CallRecord extends CallMeasure {
  /** The result the client gets (after the afterCall hooks); for `denied`, a tool error saying what is missing. */
  readonly result: CallToolResult;
  readonly args: Readonly<Record<string, unknown>>;
  readonly principal: Principal | undefined;
  /** For `denied`: the scope the call needs. */
  readonly needed?: Scope;
  /** The operation called, for operations that reached their executor: method, path template, the API's name. */
  readonly operation?: { readonly method: string; readonly path: string; readonly api?: string };
  /** The arguments the executor got (pinned filled in, hooks applied, plugin-added ones removed); absent when it was not reached. */
  readonly sent?: Readonly<Record<string, unknown>>;
  /** Time in plugin hooks (before, around without the call inside, after), in ms: a user's confirmation included. */
  readonly hookMs: number;
  /** When the call arrived (ms since the epoch). */
  readonly startedAt: number;
}

/** A tools/call of a tool that does not exist (for this caller): the protocol's error, not a result. */
export class UnknownToolError extends Error {
  override readonly name = 'UnknownToolError';
  constructor(readonly tool: string) {
    super(`unknown tool "${tool}"; call tools/list to see the tools`);
  }
}

export interface PipelineOptions {
  readonly tools: Toolbox;
  /** Plugin hooks and tools; undefined when no plugin is loaded. */
  readonly plugins?: PluginHost;
  /** The API plugin tools' handlers reach through `upstream()`. */
  readonly access: UpstreamAccess;
  /** Counts calls in flight, so a graceful shutdown waits for them (an answer may go out on an SSE stream later). */
  readonly drain?: Drain;
  /** Told about every call of a known tool once it is decided: the audit log, the metrics, the log. */
  /**
   * Who reads each record (metrics, logs, audit). An observer that returns a promise holds the call's answer until
   * it settles (a durable audit log); the others run and are done.
   */
  readonly observers?: readonly ((record: CallRecord) => void | Promise<void>)[];
  readonly log?: Logger;
  /** Fits each answer to the agent's context, the whole of it a link away (`calls/answer/fit`); without it answers go whole. */
  readonly answers?: AnswerFitter;
}

export class CallPipeline {
  readonly tools: Toolbox;
  private readonly validator = new ArgumentValidator();
  private readonly log: Logger;
  private readonly plugins: PluginHost | undefined;

  constructor(private readonly options: PipelineOptions) {
    this.tools = options.tools;
    this.log = options.log ?? silentLogger;
    this.plugins = options.plugins;
  }

  /** Readies what checking the first call needs (Ajv), ahead of it: see `ArgumentValidator.warm`. */
  warm(): void {
    this.validator.warm();
  }

  /** What fits answers to the budget and reads the whole ones back; undefined when answers go whole. */
  get answers(): AnswerFitter | undefined {
    return this.options.answers;
  }

  /** Whether plugins hook calls (a hook may ask the user, which needs a protocol path that can). */
  get hooked(): boolean {
    return this.plugins?.hooksCalls ?? false;
  }

  /**
   * The scope a call of `name` needs that `principal`'s token lacks; undefined when the call may go on (or the
   * tool does not exist: the call itself says so). Nothing is recorded: `deny` does, when the call is refused so.
   */
  beyondScope(name: string, principal: Principal | undefined): Scope | undefined {
    // a tool hidden from this caller is not refused for scope: that would tell them it exists
    const entry = this.tools.findToolFor(name, principal);
    return entry && beyondScope(entry, principal);
  }

  /**
   * Records a call of `name` refused because it needs `needed` (`beyondScope`) as `denied` — for the protocol
   * layer that refuses such calls before serving any message of the request (`mcp/scope-check`).
   */
  deny(name: string, args: Record<string, unknown>, principal: Principal | undefined, needed: Scope): void {
    this.report({ tool: name, args, principal, outcome: 'denied', needed, result: deniedResult(name, needed, principal), upstreamStatus: undefined, upstreamMs: undefined, hookMs: 0, startedAt: Date.now(), latencyMs: 0 });
  }

  /**
   * Runs one call through every step. Throws only `UnknownToolError`. Traced, the span `execute_tool <name>`
   * holds the call's outcome and the API's status (never its arguments); the upstream requests and the store's
   * calls it makes are its children.
   */
  call(request: CallRequest): Promise<CallRecord> {
    return tracingOn() ? this.traced(request) : this.run(request);
  }

  private traced(request: CallRequest): Promise<CallRecord> {
    return inSpan(`execute_tool ${request.name}`, 'internal', async (span) => {
      span.setAttributes({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': request.name });
      const record = await this.run(request);
      span.setAttributes({ 'portico.call.outcome': record.outcome, 'portico.upstream.status_code': record.upstreamStatus });
      if (record.outcome !== 'ok') span.fail(record.outcome);
      return record;
    });
  }

  private async run(request: CallRequest): Promise<CallRecord> {
    const { name, args, principal } = request;
    // a tool a plugin's visibleTo rule hides from this caller is, for them, a tool that does not exist
    const entry = this.tools.findToolFor(name, principal);
    if (!entry) throw new UnknownToolError(name);
    const run = new Run(request, entry);
    const needed = beyondScope(entry, principal);
    if (needed) return this.settle(run.record('denied', deniedResult(name, needed, principal), 0, needed));
    const problem = this.validator.check(entry.tool, args);
    if (problem) return this.settle(run.record('invalid_arguments', toolError(`Invalid arguments for ${name}: ${problem}`), 0));
    const pinned = entry.kind === 'operation' && entry.pinned.size > 0 ? withPinned(entry.pinned, args, principal) : args;

    const plugins = this.plugins;
    if (!plugins?.hooksCalls) {
      const result = await this.fit(run, await this.execute(run, pinned));
      return this.settle(run.record(outcomeOf(entry, result, run.called), result, 0));
    }
    const asking = askingContext(request.extra);
    const call = plugins.begin({ tool: entry.info, caller: callerOf(principal), elicit: asking.elicit, ask: asking.ask }, pinned, this.log);
    const denial = await call.before();
    if (denial) return this.settle(run.record('refused', toolError(`This call was refused by the server's policy: ${denial.deny}`), performance.now() - run.started));
    const sent = call.args;
    let result = (await call.around(async () => (await this.execute(run, sent)) as ToolResult)) as CallToolResult;
    result = (await call.after(result as ToolResult)) as CallToolResult;
    // after the hooks: what a policy takes out of an answer is not kept in the whole answer either
    result = await this.fit(run, result);
    return this.settle(run.record(outcomeOf(entry, result, run.called), result, Math.max(0, performance.now() - run.started - run.executorMs)));
  }

  /** Runs the tool's executor — the proxy of the API the operation belongs to, or the plugin tool's handler — noting on `run` what it did. */
  private async execute(run: Run, args: Record<string, unknown>): Promise<CallToolResult> {
    const { entry, request } = run;
    const at = performance.now();
    let work: Promise<Called>;
    if (entry.kind === 'plugin') {
      run.sent = args;
      work = runHandler(entry, args, request, this.options.access);
    } else {
      const source = this.tools.sourceOf(entry);
      // without sign-in there is no user credential: the proxy's own headers (PORTICO_UPSTREAM_HEADERS) go
      const credential = source.userCredential ? request.principal?.upstreamHeaders : undefined;
      run.sent = entry.added.size > 0 ? without(entry.added, args) : args;
      // `pages` stops fetching at the answer budget (undefined: answers go whole)
      const answerBytes = this.options.answers && !request.whole ? budgetOf(this.options.answers.budgets, entry.tool.name).bytes : undefined;
      work = source.proxy.call(entry, run.sent, request.signal, credential, answerBytes);
    }
    const called = await (this.options.drain ? this.options.drain.track(work) : work);
    run.called = called;
    run.executorMs += performance.now() - at;
    return called.result;
  }

  /** A result of a tool outside the catalog (code mode's `execute`) fitted to its answer budget as any other. */
  fitAnswer(name: string, result: CallToolResult, principal: Principal | undefined): Promise<CallToolResult> {
    // its structured content is its text's JSON (code mode's execute): the shortened object stands for both
    const structure = (value: unknown) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined);
    return this.fitted({ name, structure }, result, principal);
  }

  /** The result fitted to the tool's answer budget, unless the caller reads whole answers (`CallRequest.whole`). */
  private fit(run: Run, result: CallToolResult): Promise<CallToolResult> | CallToolResult {
    if (run.request.whole) return result;
    const { entry } = run;
    const wraps = entry.kind === 'operation' && entry.target.wrapsResult;
    const structure = entry.tool.outputSchema ? (value: unknown) => structuredFor(entry.tool, wraps ? { result: value } : value)?.value : undefined;
    return this.fitted({ name: entry.tool.name, structure }, result, run.request.principal);
  }

  /** `answers.fit`, or the result as it is without answers; if the store cannot keep the whole answer, the answer as it is rather than nothing. */
  private async fitted(tool: AnsweringTool, result: CallToolResult, principal: Principal | undefined): Promise<CallToolResult> {
    if (!this.options.answers) return result;
    try {
      return await this.options.answers.fit(tool, result, principal);
    } catch (error) {
      this.log.error('call.answer_not_kept', { tool: tool.name, error: error instanceof Error ? error.message : String(error) });
      return result;
    }
  }

  /** Tells every observer; what they hold the answer for (a durable audit write), if anything, is returned to be awaited. */
  private report(record: CallRecord): Promise<unknown> | undefined {
    const pending: Promise<unknown>[] = [];
    for (const observer of this.options.observers ?? []) {
      try {
        const held = observer(record);
        if (held instanceof Promise) pending.push(held.catch((error: unknown) => this.observerFailed(record, error)));
      } catch (error) {
        // an observer (audit, metrics) that fails must not change the call's answer
        this.observerFailed(record, error);
      }
    }
    return pending.length > 0 ? Promise.all(pending) : undefined;
  }

  /** `report`, and the answer once what observers hold it for is done. */
  private async settle(record: CallRecord): Promise<CallRecord> {
    const pending = this.report(record);
    if (pending) await pending;
    return record;
  }

  private observerFailed(record: CallRecord, error: unknown): void {
    this.log.error('call.observer_failed', { tool: record.tool, error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * How a call that got past the policy ended: `ok` unless the result is an error; then `tool_error` when the API
 * answered below 400 (the error is in what it said) or the tool is a plugin's, else `upstream_error` (the API
 * answered 400 or more, or did not answer).
 */
function outcomeOf(entry: ToolEntry, result: CallToolResult, called: Called | undefined): CallOutcome {
  if (!result.isError) return 'ok';
  const status = called?.upstreamStatus;
  return entry.kind === 'plugin' || (status !== undefined && status < 400) ? 'tool_error' : 'upstream_error';
}

/** One call on its way: when it came, and what its executor did (its last run, when an aroundCall hook ran it more than once). */
class Run {
  readonly startedAt = Date.now();
  readonly started = performance.now();
  called: Called | undefined;
  /** The arguments the executor got. */
  sent: Readonly<Record<string, unknown>> | undefined;
  executorMs = 0;

  constructor(
    readonly request: CallRequest,
    readonly entry: ToolEntry,
  ) {}

  /** The call's record, now that it ended so. */
  record(outcome: CallOutcome, result: CallToolResult, hookMs: number, needed?: Scope): CallRecord {
    const { request, entry, called } = this;
    return {
      tool: request.name,
      args: request.args,
      principal: request.principal,
      outcome,
      result,
      needed,
      upstreamStatus: called?.upstreamStatus,
      upstreamMs: called?.upstreamMs,
      operation: called && entry.kind === 'operation' ? entry.info.operation : undefined,
      sent: called && this.sent,
      hookMs,
      startedAt: this.startedAt,
      latencyMs: performance.now() - this.started,
    };
  }
}

/** The scope a call of `entry` needs that the caller's token does not reach; undefined when it may be called (or nobody signed in). */
function beyondScope(entry: ToolEntry, principal: Principal | undefined): Scope | undefined {
  return principal && !allows(principal.scopes, entry.scope) ? entry.scope : undefined;
}

/** The arguments without the ones plugins added for themselves: the API never receives those. */
function without(added: ReadonlySet<string>, args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([name]) => !added.has(name)));
}

/** The arguments with the pinned ones filled in (from the caller where the pin is a function). */
function withPinned(pinned: ReadonlyMap<string, PinnedValue>, args: Record<string, unknown>, principal: Principal | undefined): Record<string, unknown> {
  const filled = { ...args };
  const caller = callerOf(principal);
  for (const [name, value] of pinned) filled[name] = typeof value === 'function' ? (value as (caller: unknown) => unknown)(caller) : value;
  return filled;
}

/** A plugin tool's handler; a throw becomes a tool error naming the plugin (the agent sees it, the log has the detail). */
async function runHandler(entry: PluginEntry, args: Record<string, unknown>, request: CallRequest, access: UpstreamAccess): Promise<Called> {
  try {
    return { result: (await entry.handler(args, toolContext(access, request.principal, request.signal, request.extra))) as CallToolResult };
  } catch (error) {
    // a question for the client (2026-07-28 asks by ending the request) is not the tool failing
    if (isProtocolSignal(error)) throw error;
    return { result: toolError(`The tool "${entry.tool.name}" (from ${entry.plugin}) failed: ${error instanceof Error ? error.message : String(error)}`) };
  }
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

/**
 * The words of a refusal for scope, the same wherever it is said (a tool error, a JSON-RPC error with the 403).
 * When the user's role could never grant `needed` (`couldGrant`), they say so, and whom to ask: reconnecting
 * would not help.
 */
export function scopeMessage(tool: string, needed: Scope, principal?: Principal): string {
  return scopeRefusal(`The tool "${tool}"`, needed, principal);
}

/** The same words for anything a scope guards (`what`: "The prompt "x"", "The resource "y""…): one sentence for every refusal. */
export function scopeRefusal(what: string, needed: Scope, principal?: Principal): string {
  if (principal && !couldGrant(principal, needed)) {
    return `${what} needs the "${needed}" permission, which your account (${principal.userName}) cannot grant: its role allows at most "${principal.maxScope}", so reconnecting will not help. Ask an administrator of the API to give your account a role that allows "${needed}", or to make this call for you.`;
  }
  return `${what} needs the "${needed}" permission, which this connection was not given. Reconnect and allow "${needed}" access on the consent page to use it.`;
}

function deniedResult(tool: string, needed: Scope, principal: Principal | undefined): CallToolResult {
  return toolError(scopeMessage(tool, needed, principal));
}
