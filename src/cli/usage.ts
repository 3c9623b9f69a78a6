/**
 * @module cli/usage
 * The help texts, kept next to each other so they stay consistent.
 */
import { version } from '../../package.json';
import { ENV_NAMES, flagName, ServeConfigSchema } from '../config/serve';

export const VERSION = version;

export const USAGE = `portico ${VERSION}: an MCP gateway for REST APIs described by OpenAPI

Usage: portico <command> [options]

Commands:
  demo       Run the bundled demo API and the gateway in front of it (no configuration)
  audit      Show the audit log of tool calls (who called what, how it ended)
  serve      Run the gateway in front of an API (PORTICO_UPSTREAM)
  tools      Print the MCP tools built from an OpenAPI document
  version    Print the version
  help       Print this help

Run "portico <command> --help" for a command's options.
`;

export const TOOLS_USAGE = `Usage: portico tools --spec <file|url> [options]

Builds the tool catalog from an OpenAPI document (Swagger 2.0, OpenAPI 3.0 or 3.1; JSON or YAML)
and prints it: a table by default, or with --json exactly what MCP tools/list returns.
A summary (operations, tools, skipped operations with the reason) goes to stderr.

Options:
  --spec <file|url>         The OpenAPI document [env PORTICO_SPEC]
  --json                    Print {"tools":[...]} as tools/list returns it
  --max-name-length <n>     Longest tool name, 16 to 64 [env PORTICO_MAX_TOOL_NAME_LENGTH, default 64]
  --allow-remote-refs       Follow $refs to other hosts [env PORTICO_ALLOW_REMOTE_REFS=true]
  --strict                  Exit 1 if any operation had to be skipped
  -h, --help                Print this help

Exit status: 0 on success, 1 when the document is broken (or --strict and something was
skipped), 2 on a usage error.
`;

/** Generated from the configuration schema, so it cannot drift from what is accepted. */
export const SERVE_USAGE = `Usage: portico serve [options]

Runs the MCP gateway: /mcp (Streamable HTTP) in front of the API at PORTICO_UPSTREAM, with tools built
from its OpenAPI document and refreshed every PORTICO_SPEC_TTL seconds.

Options (flag, environment variable, default):
${Object.entries(ServeConfigSchema.properties)
  .map(([key, schema]) => {
    const fallback = 'default' in schema ? ` [default ${JSON.stringify(schema.default)}]` : '';
    return `  ${flagName(key).padEnd(24)} ${ENV_NAMES[key as keyof typeof ENV_NAMES].padEnd(30)} ${schema.description ?? ''}${fallback}`;
  })
  .join('\n')}
  -h, --help               Print this help
`;

export const DEMO_USAGE = `Usage: portico demo [options]

Starts the bundled demo API (a managed-PostgreSQL host: orgs, projects, databases, roles, backups,
metrics) and the gateway in front of it. Connect an MCP client to the printed /mcp URL: a browser
opens Portico's sign-in page; sign in as a demo user (printed at start) and approve.

Options:
  --api-port <n>     Port of the demo API [default 4010; 0 picks a free one]
  --as <email>       No sign-in: /mcp is open and every call goes to the API as this demo user
  --control          Let POST /_demo/extend add an operation at run time (shows list_changed)
  Any "portico serve" option (--port, --mcp-mode, --spec-ttl, …) applies to the gateway.
  -h, --help         Print this help
`;

export const AUDIT_USAGE = `Usage: portico audit [options]

Shows the audit log of tool calls, newest first: time, user, client, tool, outcome (ok, tool_error,
upstream_error, denied, invalid_arguments), the API's status and the latency. Arguments are kept as
PORTICO_AUDIT_ARGUMENTS says (sensitive names redacted) and shown with --json.

Options:
  --user <id>            Only this user's calls
  --tool <name>          Only calls of this tool
  --since <when>         Only calls since a duration ago (30m, 1h, 7d) or a date (2026-11-25T10:00:00Z)
  --limit <n>            At most this many [default 100]
  --json                 One JSON object per line instead of a table
  --database-url <url>   The store to read [PORTICO_DATABASE_URL, else ./data/portico.db]
  -h, --help             Print this help
`;
