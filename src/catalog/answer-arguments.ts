/**
 * @module catalog/answer-arguments
 * Two arguments the gateway adds to read operations and consumes itself (the API never sees them), so an agent can
 * ask for an answer that fits its context instead of getting one shortened (`calls/answer`):
 *
 * - `fields`: a JMESPath expression (jmespath.org: a well-known language with a maintained implementation, the one
 *   AWS's CLI `--query` uses) keeping only the parts of the answer it names. Offered where the answer is JSON (the
 *   tool has an output schema). The answer is then `{ "selected": … }`: the output schema says so, with its
 *   top-level `required` dropped (a selection has none of them).
 * - `pages`: fetch up to N pages in one call, their lists joined, stopping at the answer budget. Offered where the
 *   operation pages by a query parameter the gateway can set for the next page (`page`, `cursor`, `starting_after`…).
 *
 * An operation that has a parameter of that name already keeps its own (its API's `fields` is likely better).
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { OperationTarget } from './types';

export const FIELDS = 'fields';
export const PAGES = 'pages';
/** The property a `fields` answer is under. */
export const SELECTED = 'selected';
/** The most pages one call may fetch. */
export const MAX_PAGES = 20;

/** Query parameters that say which page to answer: the next page's value goes there. */
export const PAGE_PARAMETER = /^(page|page_?number|page_?token|cursor|after|starting_after|offset|marker|next_?token|continuation_?token|skip|start)$/i;

/** The gateway's arguments an operation's tool offers. */
export interface AnswerArguments {
  readonly fields: boolean;
  readonly pages: boolean;
}

const FIELDS_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 2000,
  description: 'JMESPath expression: keep only these parts of the answer, e.g. items[].{id: id, name: name}. The answer is then {"selected": …}.',
};
const PAGES_SCHEMA = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_PAGES,
  description: `Pages to fetch and join into one answer (1–${MAX_PAGES}; default 1). Stops early at the answer size limit and says how to get the next page.`,
};

/** `tool` with the gateway's arguments `target` qualifies for, and which those are (undefined: none). */
export function withAnswerArguments(tool: Tool, target: OperationTarget): { tool: Tool; answerArguments?: AnswerArguments } {
  if (target.method.toLowerCase() !== 'get') return { tool };
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
  const output = tool.outputSchema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  const fields = output !== undefined && !Object.hasOwn(properties, FIELDS) && !Object.hasOwn(output.properties ?? {}, SELECTED);
  const pages = !Object.hasOwn(properties, PAGES) && target.parameters.some((parameter) => parameter.in === 'query' && PAGE_PARAMETER.test(parameter.name));
  if (!fields && !pages) return { tool };
  const inputSchema = { ...tool.inputSchema, properties: { ...properties, ...(fields && { [FIELDS]: FIELDS_SCHEMA }), ...(pages && { [PAGES]: PAGES_SCHEMA }) } };
  const outputSchema = fields && output ? selectable(output) : tool.outputSchema;
  return { tool: { ...tool, inputSchema, ...(outputSchema && { outputSchema }) }, answerArguments: { fields, pages } };
}

/** Output schemas with `selected` added, by the schema they come from: tools that share an output schema share this too. */
let selectables = new WeakMap<object, Tool['outputSchema']>();

/** Forgets the output schemas made: they serve one build (see `catalog/fit`'s `forgetFitting`). */
export function forgetSelectables(): void {
  selectables = new WeakMap();
}

/** `output` as a tool with `fields` answers: `selected` besides its properties, and no `required`. */
function selectable(output: { properties?: Record<string, unknown>; required?: string[] }): Tool['outputSchema'] {
  let schema = selectables.get(output);
  if (!schema) {
    const { required: _required, ...rest } = output;
    schema = { ...rest, type: 'object', properties: { ...output.properties, [SELECTED]: { description: 'Only with "fields": the parts of the answer it selected (then the only property).' } } } as Tool['outputSchema'];
    selectables.set(output, schema);
  }
  return schema;
}

/** Claude Code's own cut of a tool's output, in tokens: a tool allowed more says so (`resultSizeHint`). */
export const CLIENT_DEFAULT_TOKENS = 25_000;
/** The key clients that honour it read a tool's largest result from (Claude Code). */
export const MAX_RESULT_SIZE_META = 'anthropic/maxResultSizeChars';

/** The answer budgets a catalog is built for (`BuildOptions.answerBudgets`), in tokens, and bytes per token. */
export interface BudgetHints {
  readonly tokens: number;
  readonly perTool: Readonly<Record<string, number>>;
  readonly bytesPerToken: number;
}

/**
 * `tool` with `_meta["anthropic/maxResultSizeChars"]` when its answer budget is above what clients take by default
 * (25,000 tokens), so a client that honours the hint does not cut what the gateway let through. Below, no hint: the
 * gateway's budget is the tighter one already.
 */
export function withSizeHint(tool: Tool, hints: BudgetHints | undefined): Tool {
  if (!hints) return tool;
  const tokens = hints.perTool[tool.name] ?? hints.tokens;
  if (tokens <= CLIENT_DEFAULT_TOKENS) return tool;
  return { ...tool, _meta: { ...tool._meta, [MAX_RESULT_SIZE_META]: tokens * hints.bytesPerToken } };
}
