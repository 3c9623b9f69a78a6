/**
 * @module cli/usage
 * The help texts, kept next to each other so they stay consistent.
 */
import { version } from '../../package.json';

export const VERSION = version;

export const USAGE = `portico ${VERSION}: an MCP gateway for REST APIs described by OpenAPI

Usage: portico <command> [options]

Commands:
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
