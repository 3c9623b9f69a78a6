/**
 * @module mcp/discover
 * Discover mode: for an API too large to list (GitHub's 1,223 operations would be a 4 MB `tools/list` and more
 * tools than clients take), `tools/list` offers three tools instead, and the agent finds its way:
 *
 *   search_operations {query, limit?} → the operations that best match, in plain language (`catalog/search`);
 *   describe_operation {name | names} → their input and output schemas;
 *   call_operation {name, arguments}  → the call itself.
 *
 * What a caller may not call is not found, described or called (scopes, plugins' `visibleTo`), exactly as in the full
 * list; a call made this way is the same call as a direct one — scope, arguments, pins, policy hooks,
 * confirmation, audit under the operation's own name — because it is one: `ToolRequests.call` of that name.
 * The operations' own names still work as tools/call names too (a client that kept them from a search).
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { searchableTool, ToolSearch } from '../catalog/search';
import type { Toolbox } from '../calls/toolbox';
import type { Principal } from '../oauth/bearer';
import { reaches } from './plugin-features';

export const SEARCH = 'search_operations';
export const DESCRIBE = 'describe_operation';
export const CALL = 'call_operation';

/** The most operations one search returns. */
export const MAX_RESULTS = 50;
const DEFAULT_RESULTS = 10;
/** How much of a description a search result carries (describe_operation gives the whole of it). */
const SHORT_DESCRIPTION = 160;

/** The three tools of discover mode, as tools/list shows them. */
export const DISCOVER_TOOLS: readonly Tool[] = [
  {
    name: SEARCH,
    title: 'Search the API’s operations',
    description:
      'Find the operations of this API that do what you need, described in plain language (e.g. "open an issue", "list my repositories"). Returns the best matches first, with their names; then call describe_operation for a name’s arguments, and call_operation to run it.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1, description: 'What you want to do, in plain words' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_RESULTS, default: DEFAULT_RESULTS, description: 'How many operations to return' },
      },
      required: ['query'],
      additionalProperties: false,
    },
    outputSchema: {
      type: 'object',
      properties: {
        results: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' }, scope: { type: 'string' }, annotations: { type: 'object' } },
            required: ['name', 'scope'],
          },
        },
      },
      required: ['results'],
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: DESCRIBE,
    title: 'Describe operations',
    description: 'The full description and the input and output schemas of one operation (`name`) or several (`names`), by the names search_operations returned.',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, description: 'One operation’s name' },
        names: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1, maxItems: 20, description: 'Several operations’ names' },
      },
      additionalProperties: false,
    },
    annotations: { readOnlyHint: true, openWorldHint: false },
  },
  {
    name: CALL,
    title: 'Call an operation',
    description: 'Run one operation of this API by its name, with arguments as describe_operation gives its input schema. The same permissions, checks and confirmations apply as to any call.',
    inputSchema: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, description: 'The operation’s name, as search_operations returned it' },
        arguments: { type: 'object', description: 'Its arguments', additionalProperties: true },
      },
      required: ['name'],
      additionalProperties: false,
    },
    annotations: { openWorldHint: true },
  },
];

const META_NAMES: ReadonlySet<string> = new Set(DISCOVER_TOOLS.map((tool) => tool.name));

/** Whether `name` is one of discover mode's own tools. */
export function isDiscoverTool(name: string): boolean {
  return META_NAMES.has(name);
}

/** The index of a toolbox's tools, made again when the catalog changes (not on a request's time: once per change). */
export class OperationIndex {
  private built: { entries: Toolbox['all']; search: ToolSearch } | undefined;

  constructor(private readonly tools: Toolbox) {}

  /** The operations `principal` may call that best match `query`, as search_operations answers. */
  search(query: string, limit: number, principal: Principal | undefined, marked: boolean): { results: Record<string, unknown>[] } {
    const { search } = this.current();
    const hits = search.search(query, limit, (name) => {
      const entry = this.tools.findToolFor(name, principal);
      return entry !== undefined && (marked || reaches(principal, entry.scope));
    });
    const results = hits.map(({ name }) => {
      const entry = this.tools.findTool(name)!;
      const { tool } = entry;
      return {
        name,
        ...(tool.title && { title: tool.title }),
        ...(tool.description && { description: short(tool.description) }),
        scope: entry.scope,
        ...(principal && !reaches(principal, entry.scope) && { locked: true }),
        ...(tool.annotations && { annotations: tool.annotations }),
      };
    });
    return { results };
  }

  private current(): { entries: Toolbox['all']; search: ToolSearch } {
    const entries = this.tools.all;
    if (this.built?.entries !== entries) {
      this.built = { entries, search: new ToolSearch(entries.map((entry) => searchableTool(entry.tool, entry.kind === 'operation' ? entry.target : undefined))) };
    }
    return this.built;
  }
}

function short(text: string): string {
  const first = text.split(/\n\s*\n/)[0] ?? text;
  return first.length > SHORT_DESCRIPTION ? `${first.slice(0, SHORT_DESCRIPTION - 1).trimEnd()}…` : first;
}
