/**
 * @module mcp/code-mode
 * Code mode: `tools/list` offers discover mode's tools (`mcp/discover`) and one more, and the agent writes a
 * program instead of making calls one by one:
 *
 *   search_operations {query, limit?} → the operations that match, each with its TypeScript declaration;
 *   describe_operation {name | names} → their schemas, and their declarations;
 *   call_operation {name, arguments}  → one call, as in discover mode;
 *   execute {code}                    → runs `code` (the body of an async function) in the sandbox
 *                                       (`sandbox/pool`), where `api.<operation>(args)` calls an operation.
 *
 * One execute does many calls in one round trip; the program filters and joins their results before anything
 * reaches the agent's context. Each `api.*` call is a call like any other — `ToolRequests.call` of that operation
 * with the caller's credential: scope, arguments, pins, policy hooks, confirmation, audit under the operation's
 * own name. A refusal or a failed call is an Error thrown in the program, with the message a direct call gets.
 *
 * MCP 2026-07-28 asks the client in rounds: a call that needs the user's answer (a confirmation) ends the round,
 * and the client sends execute again with the answer — so the program runs again from the start. The calls it made
 * before it asked are not made twice: their results travel in the sealed request state (`RequestExtra.memo`) and
 * the second run gets them from there, in order, as long as it makes the same calls with the same arguments.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { declarationOf } from '../catalog/declaration';
import type { Principal } from '../oauth/bearer';
import type { Memo, RequestExtra } from '../plugins/context';
import type { HostCall, Sandbox } from '../sandbox/pool';
import { isProtocolSignal } from '../wire/input-required';
import { DISCOVER_TOOLS, SEARCH } from './discover';
import { isRecord, wireMessage } from './messages';
import { canonicalJson } from './request-state';

export const EXECUTE = 'execute';

/** The longest program execute takes, in characters. */
export const MAX_CODE_CHARS = 20_000;
/** The largest result a program may return, as JSON: an agent's context is the scarce thing. */
export const MAX_RESULT_CHARS = 200_000;
/** The most a request state may carry of the calls made before a question (MCP 2026-07-28), as JSON. */
const MAX_MEMO_CHARS = 512_000;

const searchTool = DISCOVER_TOOLS.find((tool) => tool.name === SEARCH)!;

/** search_operations' output schema, each result with its `declaration` too. */
function withDeclarationField(schema: Tool['outputSchema']): Tool['outputSchema'] {
  const results = schema!.properties!.results as { items: { properties: Record<string, unknown>; required: string[] } };
  const items = { ...results.items, properties: { ...results.items.properties, declaration: { type: 'string' } }, required: [...results.items.required, 'declaration'] };
  return { ...schema!, properties: { ...schema!.properties, results: { ...results, items } } };
}

/** The tools of code mode, as tools/list shows them: discover mode's, search with declarations, and execute. */
export const CODE_TOOLS: readonly Tool[] = [
  {
    ...searchTool,
    description:
      'Find the operations of this API that do what you need, described in plain language (e.g. "open an issue", "list my repositories"). Returns the best matches first, each with its TypeScript declaration as a method of `api`, for use in execute.',
    outputSchema: withDeclarationField(searchTool.outputSchema),
  },
  ...DISCOVER_TOOLS.filter((tool) => tool.name !== SEARCH),
  {
    name: EXECUTE,
    title: 'Run a program against the API',
    description: [
      'Runs a short JavaScript program (the body of an async function) that calls this API’s operations and returns what you need. Use it to make several calls in one step and to keep only the fields that matter.',
      '`await api.<operation>(args)` calls an operation (names and argument types from search_operations) and resolves to its JSON answer; a refused or failed call throws an Error whose message says why. `return` a JSON value; `console.log` output comes back too.',
      'Example: `const projects = await api.list_projects({}); return projects.map((p) => p.name);`',
      'There is no network, file system, timers or modules: only `api` and `console`. Limits: computing time, memory and the number of calls per program; every call is checked and audited like a direct one.',
    ].join('\n'),
    inputSchema: {
      type: 'object',
      properties: { code: { type: 'string', minLength: 1, maxLength: MAX_CODE_CHARS, description: 'The program: the body of an async function (await and return at top level)' } },
      required: ['code'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: { result: { description: 'What the program returned' }, console: { type: 'array', items: { type: 'string' } }, calls: { type: 'integer', description: 'How many operations it called' } },
      required: ['console', 'calls'],
    },
    annotations: { openWorldHint: true },
  },
];

const CODE_NAMES: ReadonlySet<string> = new Set(CODE_TOOLS.map((tool) => tool.name));

/** Whether `name` is one of code mode's own tools (discover mode's and execute). */
export function isCodeTool(name: string): boolean {
  return CODE_NAMES.has(name);
}

/** search_operations' and describe_operation's results in code mode: each with the declaration the program calls it by. */
export function withDeclarations(results: Record<string, unknown>[], toolOf: (name: string) => Tool | undefined): Record<string, unknown>[] {
  return results.map((result) => {
    const tool = toolOf(result.name as string);
    return tool ? { ...result, declaration: declarationOf(tool) } : result;
  });
}

/** One call a program made, as a request state keeps it between rounds: what was called, and how it ended. */
interface Made {
  readonly name: string;
  /** The arguments, in canonical JSON: the next round's call must match them exactly. */
  readonly args: string;
  readonly value?: unknown;
  readonly error?: string;
}

export interface ExecuteOptions {
  readonly sandbox: Sandbox;
  /** The most operations one program may call. */
  readonly maxCalls: number;
  /** One operation's call, exactly as tools/call would make it. */
  readonly call: (name: string, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined, extra: RequestExtra | undefined) => Promise<CallToolResult>;
}

/** A protocol signal from a call inside the program: it ends the program and becomes execute's own answer. */
class Interrupted extends Error {
  constructor(readonly signal: unknown) {
    super('interrupted by a question to the client');
  }
}

/** execute: runs the program; its result, or the error that ended it, is the tool's result. */
export async function execute(options: ExecuteOptions, args: Record<string, unknown>, signal: AbortSignal, principal: Principal | undefined, extra: RequestExtra | undefined): Promise<CallToolResult> {
  const { code } = args;
  if (typeof code !== 'string' || code.trim() === '') return toolError(`Invalid arguments for ${EXECUTE}: "code" must be the program, as a string`);
  if (code.length > MAX_CODE_CHARS) return toolError(`Invalid arguments for ${EXECUTE}: the program is ${code.length} characters, more than ${MAX_CODE_CHARS}; write a shorter one, or run it in parts`);
  const memo: Memo | undefined = extra?.memo;
  const earlier = (memo?.earlier ?? []) as readonly (Made | null)[];
  const made: (Made | null)[] = [];
  let calls = 0;
  let interrupted: Interrupted | undefined;
  const stop = new AbortController();
  const inner = AbortSignal.any([signal, stop.signal]);

  const host: HostCall = async (name, given) => {
    const index = calls++;
    if (interrupted) throw new Error('the program was stopped');
    if (calls > options.maxCalls) throw new Error(`this program has called ${options.maxCalls} operations, the most one execute may call; return what you have and run the rest in another execute`);
    const callArgs = isRecord(given) ? given : {};
    const canonical = canonicalJson(callArgs);
    const before = earlier[index];
    if (before) {
      if (before.name !== name || before.args !== canonical) {
        throw new Error(`this program called ${name} as its call number ${index + 1}, where before the question it called ${before.name}${before.name === name ? ' with other arguments' : ''}: a program must make the same calls each time it runs (it runs again from the start once the user has answered)`);
      }
      made[index] = before;
      return settle(before);
    }
    if (isCodeTool(name)) throw new Error(`${name} is one of code mode's own tools, not an operation: call operations by the names search_operations gives`);
    let result: CallToolResult;
    try {
      result = await options.call(name, callArgs, inner, principal, ownExtra(extra, index));
    } catch (error) {
      if (isProtocolSignal(error)) {
        // a question for the client: the program stops here, and execute answers with the question
        interrupted ??= new Interrupted(error);
        stop.abort();
        throw interrupted;
      }
      // as the client would read it (an McpError's message carries its code)
      const message = error instanceof Error ? wireMessage(error) : String(error);
      made[index] = { name, args: canonical, error: message };
      throw new Error(message);
    }
    const outcome: Made = result.isError ? { name, args: canonical, error: textOf(result) || `${name} failed` } : { name, args: canonical, value: valueOf(result) };
    made[index] = outcome;
    return settle(outcome);
  };

  const outcome = await options.sandbox.run(code, host, inner);
  if (interrupted) {
    if (memo) {
      const kept = made.map((entry) => entry ?? null);
      if (JSON.stringify(kept).length > MAX_MEMO_CHARS) {
        return toolError(`this program needs the user's answer after calls whose results are too large to carry to the next round (more than ${MAX_MEMO_CHARS} characters): make the call that needs confirmation first, or in an execute of its own`);
      }
      memo.keep(kept);
    }
    throw interrupted.signal;
  }
  if (!outcome.ok) {
    const console_ = outcome.logs.length > 0 ? `\n\nConsole output:\n${outcome.logs.join('\n')}` : '';
    return { isError: true, content: [{ type: 'text', text: `The program failed: ${outcome.message}${console_}` }], structuredContent: { error: outcome.message, failure: outcome.failure, console: [...outcome.logs], calls: Math.min(calls, options.maxCalls) } };
  }
  const json = JSON.stringify(outcome.result);
  if (json.length > MAX_RESULT_CHARS) {
    return toolError(`The program returned ${json.length} characters of JSON, more than ${MAX_RESULT_CHARS}: return only the fields and items you need`);
  }
  const structured = { result: outcome.result, console: [...outcome.logs], calls };
  const content: CallToolResult['content'] = [{ type: 'text', text: json }];
  if (outcome.logs.length > 0) content.push({ type: 'text', text: `Console output:\n${outcome.logs.join('\n')}` });
  return { content, structuredContent: structured };
}

/**
 * The call number `index`'s own view of the request: its questions to the client are keyed under its number, so
 * that each call's questions are numbered apart (`plugins/context` numbers a request's questions in the order
 * asked) and an answer given for one call is never taken by another — in the next round too, where the calls
 * made before are not made again and so ask nothing. The memo is execute's alone.
 */
function ownExtra(extra: RequestExtra | undefined, index: number): RequestExtra | undefined {
  if (!extra) return undefined;
  const { ask, memo: _memo, ...rest } = extra;
  if (!ask) return rest;
  const prefix = `call-${index + 1}.`;
  return {
    ...rest,
    ask: async (requests, askOptions) => {
      const answers = await ask(Object.fromEntries(Object.entries(requests).map(([key, request]) => [prefix + key, request])), askOptions);
      return Object.fromEntries(Object.entries(answers).flatMap(([key, answer]) => (key.startsWith(prefix) ? [[key.slice(prefix.length), answer]] : [])));
    },
  };
}

function settle(made: Made): unknown {
  if (made.error !== undefined) throw new Error(made.error);
  return made.value;
}

/** What a successful call gives the program: the API's JSON answer (the text as sent), else the structured content, else the text. */
function valueOf(result: CallToolResult): unknown {
  const text = textOf(result);
  if (text !== '') {
    try {
      return JSON.parse(text);
    } catch {
      // not JSON: below
    }
  }
  return result.structuredContent ?? text;
}

function textOf(result: CallToolResult): string {
  return result.content
    .flatMap((part) => (part.type === 'text' ? [part.text] : []))
    .join('\n');
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

