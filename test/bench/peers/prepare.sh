#!/usr/bin/env bash
# Prepares the peers `bun run bench startup` and `bun run bench proxy` measure Portico against, in a folder OUTSIDE
# this project (its package.json and lockfile are never touched):
#
#   test/bench/peers/prepare.sh /work/bench-peers            # the demo API, GitHub and Microsoft Graph
#   test/bench/peers/prepare.sh /work/bench-peers demo       # the demo API only (what `bench proxy` needs; seconds)
#   test/bench/peers/prepare.sh /work/bench-peers github     # GitHub only (Graph's generated server is ~260 MB
#                                                            # of JavaScript, ~2 min to build, ~3 GiB to run)
#   BENCH_PEERS=/work/bench-peers bun run bench startup [github|graph]
#   BENCH_PEERS=/work/bench-peers bun run bench proxy
#
# Needs node (≥ 20) and npm, and the npm registry (nothing else is downloaded). What it puts in <dir>:
#
#   node_modules/@ivotoby/openapi-mcp-server   ivo-toby/mcp-openapi-server, a runtime OpenAPI → MCP server
#                                              (the benchmark starts it with --transport http on a local spec)
#   node_modules/openapi-mcp-generator         harsha-iiiv/openapi-mcp-generator, a code generator
#   node_modules/swagger2openapi               Mermade/swagger2openapi, for the demo document (below)
#   demo/openapi.json                          the demo API's document (src/demo/swagger.json, Swagger 2.0) converted
#                                              to OpenAPI 3.0 with `swagger2openapi --patch`: both peers read Swagger
#                                              2.0 without its parameters (a path parameter's type is on the
#                                              parameter, not in a `schema`), so their get-project tool takes no
#                                              projectId. The peers are given the API's base URL when started.
#   generated/<spec>/                          its output for the spec (--transport=streamable-http), built to
#                                              generated/<spec>/build/index.js
#   generated/node_modules                     the generated servers' dependencies, at the pinned versions below
#                                              (node finds them from generated/<spec>/build/ by walking up)
#
# Pinned versions (the peers' latest on the npm registry when this was written; change them here):
IVOTOBY_VERSION=1.16.1
GENERATOR_VERSION=4.0.1
SWAGGER2OPENAPI_VERSION=7.0.8
# The generated project's package.json asks for caret ranges; these are what they resolved to (tested), except:
# it asks for "@modelcontextprotocol/sdk": "^1.10.0", which resolves to 1.25 or later today.
# From 1.25 on, the SDK's Node StreamableHTTPServerTransport reads the request again through @hono/node-server after
# the generated server (Hono + fetch-to-node) has read its body: with 1.32.2 the process dies right after answering
# initialize ("TypeError: Invalid state: ReadableStream is locked", from fetch-to-node). 1.24.3 (tested) does not.
GENERATED_DEPS='{
  "@modelcontextprotocol/sdk": "1.24.3",
  "axios": "1.21.1",
  "dotenv": "16.6.1",
  "zod": "3.25.76",
  "json-schema-to-zod": "2.8.1",
  "hono": "4.13.23",
  "@hono/node-server": "1.19.19",
  "uuid": "11.1.1",
  "fetch-to-node": "2.1.0",
  "typescript": "5.9.3"
}'
#
# The generated servers are built with the generated project's own tsconfig but `tsc --noCheck` (the same
# JavaScript): its `npm run build` (plain `tsc`) stops GitHub's with "TS2590: Expression produces a union type that
# is too complex to represent" (the JavaScript is emitted all the same), after ~30 s of type checking (not tried on Graph).
# The upstream base URL written into the generated servers is a dummy (http://127.0.0.1:9): tools/list never calls the
# API, and `bench proxy` gives the demo's generated server the demo API's URL in API_BASE_URL when it starts it.
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
DIR="$(realpath -m "$1")"
shift
SPECS=("$@")
[[ ${#SPECS[@]} -eq 0 ]] && SPECS=(demo github graph)
case "$DIR/" in
  "$ROOT/"*) echo "prepare.sh: $DIR is inside the project ($ROOT); give a folder outside it" >&2; exit 2 ;;
esac
mkdir -p "$DIR"
for cmd in node npm; do
  command -v "$cmd" >/dev/null || { echo "prepare.sh: $cmd is not on PATH" >&2; exit 2; }
done
BUN="$(command -v bun || echo "$ROOT/node_modules/.bin/bun")"
[[ -x "$BUN" ]] || { echo "prepare.sh: no bun (run npm install in $ROOT first)" >&2; exit 2; }

echo "== peers into $DIR (node $(node --version), npm $(npm --version))"
[[ -f "$DIR/package.json" ]] || echo '{ "private": true }' >"$DIR/package.json"
npm install --prefix "$DIR" --no-audit --no-fund --save-exact \
  "@ivotoby/openapi-mcp-server@$IVOTOBY_VERSION" "openapi-mcp-generator@$GENERATOR_VERSION" "swagger2openapi@$SWAGGER2OPENAPI_VERSION"

mkdir -p "$DIR/generated"
node -e '
  const deps = JSON.parse(process.argv[1]);
  const { typescript, ...runtime } = deps;
  const pkg = { private: true, type: "module", dependencies: runtime, devDependencies: { typescript } };
  require("fs").writeFileSync(process.argv[2], JSON.stringify(pkg, null, 2) + "\n");
' "$GENERATED_DEPS" "$DIR/generated/package.json"
echo "== the generated servers' dependencies (generated/node_modules)"
npm install --prefix "$DIR/generated" --no-audit --no-fund

status=0
for spec in "${SPECS[@]}"; do
  case "$spec" in
    demo)
      file="$DIR/demo/openapi.json"
      mkdir -p "$DIR/demo"
      echo "== swagger2openapi $SWAGGER2OPENAPI_VERSION: src/demo/swagger.json → $file"
      node "$DIR/node_modules/swagger2openapi/swagger2openapi.js" --patch --outfile "$file" "$ROOT/src/demo/swagger.json"
      ;;
    github | graph)
      # the cached copy the benchmarks use (downloaded from npm on first use: test/fixtures/npm-specs.ts)
      file="$(cd "$ROOT" && "$BUN" -e "import { npmSpec } from './test/fixtures/npm-specs'; console.log(await npmSpec('$spec'))")"
      ;;
    *) echo "prepare.sh: unknown spec \"$spec\" (demo, github or graph)" >&2; exit 2 ;;
  esac
  out="$DIR/generated/$spec"
  echo "== openapi-mcp-generator $GENERATOR_VERSION: $spec ($file) → $out"
  rm -rf "$out/src" "$out/build"
  # no --port: the generated server then listens on $PORT (the benchmark gives each launch a free port)
  if ! node --max-old-space-size=8192 "$DIR/node_modules/openapi-mcp-generator/bin/openapi-mcp-generator.js" \
    --input "$file" --output "$out" --transport=streamable-http --base-url http://127.0.0.1:9 --force >"$DIR/generated/$spec.log" 2>&1; then
    echo "   generating failed (see $DIR/generated/$spec.log):"; tail -5 "$DIR/generated/$spec.log" | sed 's/^/   /'
    status=1
    continue
  fi
  echo "   $(grep -c '^  \["' "$out/src/index.ts") tools in src/index.ts ($(du -h "$out/src/index.ts" | cut -f1)); building (tsc --noCheck)…"
  started=$SECONDS
  if ! (cd "$out" && node --max-old-space-size=8192 "$DIR/generated/node_modules/typescript/bin/tsc" --noCheck >>"$DIR/generated/$spec.log" 2>&1) || [[ ! -f "$out/build/index.js" ]]; then
    echo "   building failed (see $DIR/generated/$spec.log):"; tail -5 "$DIR/generated/$spec.log" | sed 's/^/   /'
    status=1
    continue
  fi
  echo "   built in $((SECONDS - started)) s: $out/build/index.js ($(du -h "$out/build/index.js" | cut -f1))"
done

echo "== prepared: @ivotoby/openapi-mcp-server $IVOTOBY_VERSION, openapi-mcp-generator $GENERATOR_VERSION (generated servers on @modelcontextprotocol/sdk $(node -p 'require(process.argv[1]).version' "$DIR/generated/node_modules/@modelcontextprotocol/sdk/package.json"))"
echo "   BENCH_PEERS=$DIR bun run bench startup [github|graph]"
echo "   BENCH_PEERS=$DIR bun run bench proxy"
exit $status
