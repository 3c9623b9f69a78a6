/**
 * @module plugins/catalog
 * The catalog as plugins shape it: each rule sees every tool as a draft it may rename, re-describe,
 * re-scope, hide, pin arguments of or add arguments to (for the plugins' own use); plugin tools are added
 * after. Runs on every catalog (re)build.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Caller, PluginTool, ToolDraft, ToolInfo } from '../../plugins/portico';
import { SCOPES, type CatalogEntry, type Scope } from '../catalog/types';
import { PluginError, whereIn } from './errors';
import type { PluginHost } from './host';

/** A pinned argument's value: fixed, or worked out from the caller on each call. */
export type PinnedValue = unknown | ((caller: Caller | undefined) => unknown);

/** An operation of the API, as published after the rules. */
export interface OperationEntry extends CatalogEntry {
  readonly kind: 'operation';
  /** Arguments filled server-side on every call (removed from the published schema). */
  readonly pinned: ReadonlyMap<string, PinnedValue>;
  /** Arguments plugins added for their own use (in the published schema, never sent to the API). */
  readonly added: ReadonlySet<string>;
  readonly info: ToolInfo;
}

/** A tool a plugin added, with its handler. */
export interface PluginEntry {
  readonly kind: 'plugin';
  readonly tool: Tool;
  readonly scope: Scope;
  readonly plugin: string;
  readonly handler: PluginTool['handler'];
  readonly info: ToolInfo;
}

export type ToolEntry = OperationEntry | PluginEntry;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** `entries` after every plugin's rules, plus the plugins' tools. Throws `PluginError` naming the plugin at fault. */
export function applyPlugins(host: PluginHost | undefined, entries: readonly CatalogEntry[]): ToolEntry[] {
  const drafts = entries.map(draftOf);
  for (const { plugin, value: rule } of host?.rules ?? []) {
    try {
      rule(drafts.filter((draft) => !draft.hidden));
    } catch (error) {
      throw new PluginError(plugin, `${whereIn(plugin, error)}: its catalog rule failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  const published: ToolEntry[] = [];
  const names = new Map<string, string>();
  const claim = (name: string, by: string) => {
    if (!TOOL_NAME.test(name)) throw new PluginError(by, `${by}: the tool name "${name}" must match ${TOOL_NAME}`);
    const other = names.get(name);
    if (other) throw new PluginError(by, `${by}: the tool name "${name}" is already used by ${other}`);
    names.set(name, by);
  };
  for (const draft of drafts) {
    if (draft.hidden) continue;
    if (!SCOPES.includes(draft.scope)) throw new PluginError(draft.changedBy ?? 'a plugin', `the scope of "${draft.name}" was set to "${String(draft.scope)}"; use read, write or admin`);
    const api = draft.entry.api ? ` of the API "${draft.entry.api}"` : '';
    claim(draft.name, draft.entry.tool.name === draft.name ? `the operation ${draft.entry.target.method.toUpperCase()} ${draft.entry.target.path}${api}` : `a renamed operation${api}`);
    published.push(publish(draft));
  }
  for (const { plugin, value: tool } of host?.tools ?? []) {
    claim(tool.name, plugin);
    const scope = tool.scope ?? 'read';
    const published_: Tool = {
      name: tool.name,
      ...(tool.title && { title: tool.title }),
      description: tool.description,
      inputSchema: tool.inputSchema as Tool['inputSchema'],
      ...(tool.annotations && { annotations: tool.annotations }),
    };
    published.push({ kind: 'plugin', tool: published_, scope, plugin, handler: tool.handler, info: { name: tool.name, title: tool.title, description: tool.description, scope, inputSchema: tool.inputSchema, annotations: tool.annotations } });
  }
  return published;
}

interface Draft extends ToolDraft {
  readonly entry: CatalogEntry;
  hidden: boolean;
  /** Made on a rule's first pin or added argument: most tools get neither (Microsoft Graph: 22,844 empty maps). */
  pins?: Map<string, PinnedValue>;
  added?: Map<string, { schema: Record<string, unknown>; required: boolean }>;
  changedBy?: string;
}

function draftOf(entry: CatalogEntry): Draft {
  const { tool, target } = entry;
  const draft: Draft = {
    entry,
    name: tool.name,
    title: tool.title,
    description: tool.description,
    scope: entry.scope,
    inputSchema: tool.inputSchema,
    annotations: tool.annotations,
    operation: { method: target.method.toUpperCase(), path: target.path, operationId: target.operationId, tags: target.tags, extensions: target.extensions, ...(entry.api && { api: entry.api }) },
    hidden: false,
    hide() {
      draft.hidden = true;
    },
    pin(name, value) {
      const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
      if (!Object.hasOwn(properties, name)) throw new Error(`"${tool.name}" has no argument "${name}" to pin (it has: ${Object.keys(properties).join(', ') || 'none'})`);
      (draft.pins ??= new Map()).set(name, value);
    },
    addArgument(name, schema, options = {}) {
      const properties = (tool.inputSchema.properties ?? {}) as Record<string, unknown>;
      if (Object.hasOwn(properties, name) || draft.added?.has(name)) throw new Error(`"${tool.name}" already has an argument "${name}"; pick another name`);
      if (!schema || typeof schema !== 'object' || Array.isArray(schema)) throw new Error(`the schema of the argument "${name}" added to "${tool.name}" must be a JSON Schema object`);
      (draft.added ??= new Map()).set(name, { schema: { ...schema }, required: options.required === true });
    },
  };
  return draft;
}

/**
 * Whether the rules left `draft`'s tool as the catalog built it. Then the catalog's own tool object is published: its
 * `tools/list` bytes, made once per tool object, are then the ones made ahead (`prepareToolBytes`), and Microsoft
 * Graph's 11,422 tools are not held twice.
 */
function unchanged(draft: Draft, inputSchema: Tool['inputSchema']): boolean {
  const { tool } = draft.entry;
  return draft.name === tool.name && draft.title === tool.title && draft.description === tool.description && inputSchema === tool.inputSchema;
}

function changedTool(original: Tool, draft: Draft, inputSchema: Tool['inputSchema']): Tool {
  const tool: Tool = { ...original, name: draft.name, inputSchema };
  if (draft.title === undefined) delete tool.title;
  else tool.title = draft.title;
  if (draft.description === undefined) delete tool.description;
  else tool.description = draft.description;
  return tool;
}

const NONE_PINNED: ReadonlyMap<string, PinnedValue> = new Map();
const NONE_ADDED: ReadonlyMap<string, { schema: Record<string, unknown>; required: boolean }> = new Map();
const NONE: ReadonlySet<string> = new Set();

function publish(draft: Draft): OperationEntry {
  const { entry } = draft;
  let inputSchema = entry.tool.inputSchema;
  const pins = draft.pins ?? NONE_PINNED;
  const added = draft.added ?? NONE_ADDED;
  if (pins.size > 0 || added.size > 0) {
    const properties = { ...(inputSchema.properties ?? {}) };
    for (const name of pins.keys()) delete properties[name];
    for (const [name, { schema }] of added) properties[name] = schema;
    const required = [...(inputSchema.required ?? []).filter((name) => !pins.has(name)), ...[...added].filter(([, argument]) => argument.required).map(([name]) => name)];
    const { required: _, ...rest } = inputSchema;
    inputSchema = required.length > 0 ? { ...rest, properties, required } : { ...rest, properties };
  }
  const tool = unchanged(draft, inputSchema) ? entry.tool : changedTool(entry.tool, draft, inputSchema);
  const info: ToolInfo = { name: draft.name, title: draft.title, description: draft.description, scope: draft.scope, inputSchema, annotations: tool.annotations, operation: draft.operation };
  return { ...entry, kind: 'operation', tool, scope: draft.scope, pinned: pins, added: added.size > 0 ? new Set(added.keys()) : NONE, info };
}
