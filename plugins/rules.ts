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
import type { Caller, PluginApi, SettingsBuilder, ToolDraft } from './portico';

/** Which operations a filter picks: any of them matching is enough. */
function filterSchema(T: SettingsBuilder) {
  return T.Optional(
    T.Object({
      tags: T.Optional(T.Array(T.String())),
      methods: T.Optional(T.Array(T.String())),
      /** Path templates, as globs. */
      paths: T.Optional(T.Array(T.String())),
      operationIds: T.Optional(T.Array(T.String())),
      /** `x-` extensions: a name matches when the operation has it (and it is not false); `{name: value}` when it equals value. */
      extensions: T.Optional(T.Union([T.Array(T.String()), T.Record(T.String(), T.Unknown())])),
    }),
  );
}

type Filter = NonNullable<ReturnType<typeof settingsOf>['include']>;

function settingsOf(api: PluginApi) {
  // every key is optional and unknown keys are refused: a misspelt rule must stop the start, not be skipped
  return api.settingsSchema((T) =>
    T.Object({
      include: filterSchema(T),
      exclude: filterSchema(T),
      hide: T.Optional(T.Array(T.String())),
      rename: T.Optional(T.Record(T.String(), T.String({ minLength: 1 }))),
      describe: T.Optional(T.Record(T.String(), T.String())),
      scope: T.Optional(T.Record(T.String(), T.Union(api.helpers.scopes.map((scope) => T.Literal(scope))))),
      pin: T.Optional(T.Record(T.String(), T.Record(T.String(), T.Unknown()))),
      pinCaller: T.Optional(T.Record(T.String(), T.Record(T.String(), T.Union([T.Literal('userId'), T.Literal('userName'), T.Literal('clientId')])))),
    }),
  );
}

export default function rules(api: PluginApi): void {
  const settings = settingsOf(api);
  if (Object.keys(settings).length === 0) return;
  const glob = api.helpers.glob;

  api.catalog((tools) => {
    for (const tool of tools) {
      const original = tool.name;
      if (settings.include && !matches(tool, settings.include, glob)) tool.hide();
      if (settings.exclude && matches(tool, settings.exclude, glob)) tool.hide();
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

function matches(tool: ToolDraft, filter: Filter, glob: (pattern: string) => RegExp): boolean {
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
