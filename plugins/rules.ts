/**
 * rules.ts — catalog rules from the configuration, no code needed. Off until configured:
 *
 *   pluginSettings:
 *     rules:
 *       include: { tags: [projects, databases] }      # keep only these (tags, methods, paths as globs, operationIds, extensions)
 *       exclude: { methods: [DELETE], paths: ["/v1/orgs/*"], extensions: [x-internal] }   # or { x-audience: internal }
 *       hide: ["*_backup*"]                           # tool names (globs)
 *       rename: { get_project: project_details }
 *       describe: { list_projects: "Projects you can see, newest first." }
 *       scope: { "restore_backup": admin }            # tool names (globs) → read | write | admin
 *       pin: { list_projects: { per_page: 50 }, get_current_user: {} }
 *       pinCaller: { list_audit: { user_id: userId } } # an argument filled from the caller (userId | userName | clientId)
 *
 * Names are matched before renaming; globs use `*` (any run of characters) and `?` (one character).
 */
import type { Caller, PluginApi, Scope, ToolDraft } from './portico';

interface Filter {
  tags?: string[];
  methods?: string[];
  paths?: string[];
  operationIds?: string[];
  /** `x-` extensions: a name matches when the operation has it (and it is not false); `{name: value}` when it equals value. */
  extensions?: string[] | Record<string, unknown>;
}

interface RuleSettings {
  include?: Filter;
  exclude?: Filter;
  hide?: string[];
  rename?: Record<string, string>;
  describe?: Record<string, string>;
  scope?: Record<string, Scope>;
  pin?: Record<string, Record<string, unknown>>;
  pinCaller?: Record<string, Record<string, keyof Caller>>;
}

const KNOWN = ['include', 'exclude', 'hide', 'rename', 'describe', 'scope', 'pin', 'pinCaller'];

export default function rules(api: PluginApi): void {
  const settings = api.settings as RuleSettings;
  const unknown = Object.keys(settings).filter((key) => !KNOWN.includes(key));
  if (unknown.length > 0) throw new Error(`unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${KNOWN.join(', ')}`);
  if (Object.keys(settings).length === 0) return;
  for (const [name, scope] of Object.entries(settings.scope ?? {})) {
    if (!['read', 'write', 'admin'].includes(scope)) throw new Error(`scope.${name} is "${scope}"; use read, write or admin`);
  }
  for (const [tool, fields] of Object.entries(settings.pinCaller ?? {})) {
    for (const [argument, field] of Object.entries(fields)) {
      if (!['userId', 'userName', 'clientId'].includes(field)) throw new Error(`pinCaller.${tool}.${argument} is "${field}"; use userId, userName or clientId`);
    }
  }

  api.catalog((tools) => {
    for (const tool of tools) {
      const original = tool.name;
      if (settings.include && !matches(tool, settings.include)) tool.hide();
      if (settings.exclude && matches(tool, settings.exclude)) tool.hide();
      if (settings.hide?.some((pattern) => glob(pattern).test(original))) tool.hide();
      for (const [pattern, scope] of Object.entries(settings.scope ?? {})) if (glob(pattern).test(original)) tool.scope = scope;
      for (const [argument, value] of Object.entries(settings.pin?.[original] ?? {})) tool.pin(argument, value);
      for (const [argument, field] of Object.entries(settings.pinCaller?.[original] ?? {})) {
        tool.pin(argument, (caller: Caller | undefined) => {
          if (!caller) throw new Error(`${original}.${argument} is filled from the signed-in user, and there is none`);
          return caller[field];
        });
      }
      if (settings.describe?.[original] !== undefined) tool.description = settings.describe[original];
      if (settings.rename?.[original] !== undefined) tool.name = settings.rename[original]!;
    }
  });
  api.log.info('rules_active', { rules: Object.keys(settings).join(',') });
}

function matches(tool: ToolDraft, filter: Filter): boolean {
  const operation = tool.operation;
  if (!operation) return false;
  if (filter.tags?.some((tag) => operation.tags.includes(tag))) return true;
  if (filter.methods?.some((method) => method.toUpperCase() === operation.method)) return true;
  if (filter.paths?.some((pattern) => glob(pattern).test(operation.path))) return true;
  if (filter.operationIds?.some((id) => id === operation.operationId)) return true;
  const { extensions } = filter;
  if (Array.isArray(extensions)) return extensions.some((name) => name in operation.extensions && operation.extensions[name] !== false);
  if (extensions) return Object.entries(extensions).some(([name, value]) => JSON.stringify(operation.extensions[name]) === JSON.stringify(value));
  return false;
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}
