/**
 * @module cli/usage
 * The help texts, kept next to each other so they stay consistent.
 */
import { version } from '../../package.json';
import { CONFIG_ENV, ENV_NAMES, flagName, ServeConfigSchema } from '../config/serve';

export const VERSION = version;

export const USAGE = `portico ${VERSION}: an MCP gateway for REST APIs described by OpenAPI

Usage: portico <command> [options]

Commands:
  demo         Run the bundled demo API and the gateway in front of it (no configuration)
  audit        Show the audit log of tool calls (who called what, how it ended)
  serve        Run the gateway in front of an API (PORTICO_UPSTREAM)
  tools        Print the MCP tools built from an OpenAPI document
  check        Check the configuration, the OpenAPI document and the store; print what would run
  healthcheck  Exit 0 when a running gateway's /healthz answers (the container's HEALTHCHECK)
  version      Print the version and the commit it was built from
  help         Print this help

Run "portico <command> --help" (or "portico help <command>") for a command's options.
Settings come from flags, PORTICO_* variables and a config file (portico.json or portico.yaml):
see "portico serve --help".
`;

export const TOOLS_USAGE = `Usage: portico tools --spec <file|url> [options]

Builds the tool catalog from an OpenAPI document (Swagger 2.0, OpenAPI 3.0 or 3.1; JSON or YAML)
and prints it: a table by default, or with --json exactly what MCP tools/list returns.
A summary (operations, tools, skipped operations with the reason) goes to stderr.

Options:
  --spec <file|url>         The OpenAPI document [env PORTICO_SPEC]
  --json                    Print {"tools":[...]} as tools/list returns it
  --mode <mode>             What tools/list offers in that tool mode: all (the default: every
                            operation), toolsets (those of --toolsets), discover (the three tools that
                            search, describe and call them), code (search_operations and execute), or
                            auto (all up to PORTICO_TOOL_MODE_THRESHOLD tools (80), discover above)
  --toolsets <a,b>          Only these toolsets' tools, as /mcp?toolsets=a,b lists them (a toolset is
                            an operation's tag, written as in a URL: "Pull Requests" is pull-requests)
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
from its OpenAPI document and refreshed every PORTICO_SPEC_TTL seconds. "portico check" takes the same
options and reports what would run without starting it.

Each setting is read from, first to last: its flag; its environment variable, or that variable with
_FILE appended naming a file that holds the value (trimmed; e.g. PORTICO_UPSTREAM_HEADERS_FILE, so a
secret stays out of the environment; setting both is an error); the config file; the default.

The config file is portico.json, portico.yaml or portico.yml in the working directory (none is fine),
or the file named by --config <file> / PORTICO_CONFIG (it must exist). Its keys are the settings'
names in camelCase, with typed values:
  upstream: https://api.example.com/v1
  specTtl: 600
  allowedOrigins: [https://app.example.com]
  loginRoles: { owner: admin, developer: write, viewer: read }
An unknown key, a value of the wrong type or a syntax error stops the start with the key (or line and
column), what was expected and what was found. A key set to null is left at its default.

Options (flag, environment variable, default):
  --config <file>          ${CONFIG_ENV.padEnd(30)} The config file [./portico.json, ./portico.yaml or ./portico.yml]
${Object.entries(ServeConfigSchema.properties)
  .map(([key, schema]) => {
    const fallback = 'default' in schema ? ` [default ${JSON.stringify(schema.default)}]` : '';
    return `  ${flagName(key).padEnd(24)} ${ENV_NAMES[key as keyof typeof ENV_NAMES].padEnd(30)} ${schema.description ?? ''}${fallback}`;
  })
  .join('\n')}
  -h, --help               Print this help

Exit status: 0 after SIGINT or SIGTERM, 1 when it cannot start (the OpenAPI document, the store, the
secret), 2 on a usage or configuration error.
`;

export const CHECK_USAGE = `Usage: portico check [--config <file>] [options]

Does what "portico serve" does before it listens, and prints what would run: where each setting came
from, the upstream, the OpenAPI document and the tools by scope (read, write, admin), the auth mode and
who checks passwords, the store (reached and read, never created, migrated or written) and the server
secret (never shown), the listen address, the public and MCP URLs, the MCP mode, whose address a
request counts as (PORTICO_TRUSTED_PROXIES), the plugins.
Nothing is started and no request goes upstream except to read (or discover) the OpenAPI document.

Options: every "portico serve" option, and the same PORTICO_* variables, *_FILE variables and config
file (see "portico serve --help").
  -h, --help   Print this help

Exit status: 0 when "portico serve" would start, 1 when it would not (the document cannot be read or
built, the store cannot be reached or has a newer schema, the secret or public URL is unusable; the
reasons go to stderr), 2 on a usage or configuration error (an unknown option or key, a wrong value).
`;

export const VERSION_USAGE = `Usage: portico version   (or: portico --version, portico -v)

Prints the version and the commit it was built from.
`;

export const DEMO_USAGE = `Usage: portico demo [options]

Starts the bundled demo API (a managed-PostgreSQL host: orgs, projects, databases, roles, backups,
metrics) and the gateway in front of it. Connect an MCP client to the printed /mcp URL: a browser
opens Portico's sign-in page; sign in as a demo user (printed at start) and approve.

Options:
  --api-port <n>     Port of the demo API [default 4010; 0 picks a free one]
  --as <email>       No sign-in: /mcp is open and every call goes to the API as this demo user
  --control          Let POST /_demo/extend add an operation at run time (shows list_changed)
  Any "portico serve" option (--port, --mcp-mode, --spec-ttl, …), variable or config file setting
  applies to the gateway, except those the demo sets itself (the upstream and sign-in settings).
  -h, --help         Print this help
`;

export const AUDIT_USAGE = `Usage: portico audit [options]

Shows the audit log of tool calls, newest first: time, user, client, tool, outcome (ok, tool_error,
upstream_error, denied, invalid_arguments), the API's status and the latency. Users and clients are
shown by name and id, e.g. "alice@example.com (usr_a1ice7k2)"; by id alone once the name is no longer
known (the user's apps all disconnected, the client deleted). Arguments are kept as
PORTICO_AUDIT_ARGUMENTS says (sensitive names redacted) and shown with --json, which has the names
as userName and clientName (null when not known).

Options:
  --user <id>            Only this user's calls
  --tool <name>          Only calls of this tool
  --since <when>         Only calls since a duration ago (30m, 1h, 7d) or a date (2026-11-25T10:00:00Z)
  --limit <n>            At most this many [default 100]
  --json                 One JSON object per line instead of a table
  --database-url <url>   The store to read [PORTICO_DATABASE_URL, else the config file's databaseUrl,
                         else ./data/portico.db]
  --config <file>        The config file to take databaseUrl from [PORTICO_CONFIG, else portico.json,
                         portico.yaml or portico.yml in the working directory]
  -h, --help             Print this help
`;

export const HEALTHCHECK_USAGE = `Usage: portico healthcheck [options]

Asks a running gateway's /healthz and exits 0 when it answers 2xx, 1 otherwise (unreachable, an
error status, a timeout, a usage error). The container image's HEALTHCHECK runs it: that image has
no shell and no curl. Proxy variables (HTTP_PROXY…) are not used.

Options:
  --url <url>          What to ask [http://PORTICO_HOST:PORTICO_PORT/healthz; 127.0.0.1 when
                       PORTICO_HOST is 0.0.0.0, [::1] when it is ::; port 8787]
  --timeout <seconds>  Give up after this long [default 5]
  -q, --quiet          Print nothing when healthy
  -h, --help           Print this help
`;
