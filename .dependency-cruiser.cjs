/**
 * The layers of src/, from the top (what starts things) down to the ground (what everything may use). A folder
 * imports only from layers below its own: no arrow runs back up, and so no two folders can form a loop (a
 * loop would need an arrow up). Folders on one layer do not import each other. `test/architecture/layers.test.ts` runs this with the tests, so an
 * upward import fails CI; `npm run -s layers` shows the violations.
 *
 * The request path reads down the list: http → mcp → calls (policy, plugins) → proxy → the upstream; oauth beside
 * the proxy; the store below both.
 */
const LAYERS = [
  ['main'],
  ['cli'],
  ['gateway'],
  ['http'],
  ['mcp'],
  ['calls'],
  ['plugins'],
  ['proxy', 'oauth'],
  ['catalog', 'audit'],
  ['store', 'config', 'ops', 'sandbox'],
  ['log', 'wire', 'read-capped'],
];
/** The bundled sample API stands apart: only main and the CLI start it, and it uses nothing of the gateway's but the ground. */
const APART = ['demo'];
const STARTERS = ['main', 'cli'];

const path = (folders) => `^src/(${folders.join('|')})(/|\\.tsx?$)`;
const ground = LAYERS[LAYERS.length - 1];

const forbidden = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(0, index).flat();
  const rules = [];
  if (above.length > 0) {
    rules.push({
      name: `no-upward-from-${layer.join('-')}`,
      comment: `${layer.join(', ')} may not import from a layer above it (${above.join(', ')})`,
      severity: 'error',
      from: { path: path(layer) },
      to: { path: path([...above, ...(layer.some((folder) => STARTERS.includes(folder)) ? [] : APART)]) },
    });
  }
  for (const folder of layer) {
    const siblings = layer.filter((other) => other !== folder);
    if (siblings.length === 0) continue;
    rules.push({
      name: `no-sideways-from-${folder}`,
      comment: `${folder} may not import from ${siblings.join(', ')} on its own layer`,
      severity: 'error',
      from: { path: path([folder]) },
      to: { path: path(siblings) },
    });
  }
  return rules;
});

module.exports = {
  forbidden: [
    ...forbidden,
    {
      name: 'plugins-through-their-api',
      comment: 'a shipped plugin gets everything through the API object it is handed (the compiled binary has no src/ to import)',
      severity: 'error',
      from: { path: '^plugins/' },
      to: { path: '^src/' },
    },
    {
      name: 'src-sees-only-the-plugin-types',
      comment: 'the gateway knows plugins only through their API types (plugins/portico.d.ts), never a plugin file',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^plugins/', pathNot: '^plugins/portico(\\.d)?\\.ts$' },
    },
    {
      name: 'demo-apart',
      comment: 'the demo API is a stand-in for a real upstream: it uses only the ground layer',
      severity: 'error',
      from: { path: path(APART) },
      to: { path: path(LAYERS.slice(0, -1).flat()) },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
