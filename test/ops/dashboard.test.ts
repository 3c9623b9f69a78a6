/**
 * The Grafana dashboard in the repository (src/ops/grafana-dashboard.json) shows what Portico exports: every query
 * names a metric a running gateway serves at /metrics (read from a real one, signed in, so that every family is
 * registered), and every portico_* metric is on some panel — a metric renamed or added without the dashboard fails
 * here. Its shape is one Grafana imports: unique panel ids, a grid 24 wide, every query on the Prometheus input.
 */
import { afterAll, expect, test } from 'bun:test';
import dashboard from '../../src/ops/grafana-dashboard.json';
import { startSignedInGateway } from '../fixtures/signed-in-gateway';
import { removeTempDirs, tempDir } from '../fixtures/temp';

afterAll(removeTempDirs);

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
}
const panels = dashboard.panels as Panel[];
const queries = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr, uid: target.datasource.uid })));
const HISTOGRAM_PARTS = /_(bucket|sum|count)$/;

test('every query names a metric the gateway exports, and every portico_* metric is on a panel', async () => {
  const gw = await startSignedInGateway({ PORTICO_PLUGINS: tempDir() });
  try {
    const text = await (await fetch(`${gw.origin}/metrics`)).text();
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\w+)$/gm)].map((match) => [match[1]!, match[2]!]));
    expect(types.size).toBeGreaterThan(10);
    const shown = new Set<string>();
    for (const { panel, expr } of queries) {
      const names = expr.match(/\b(?:portico|process)_[a-z_]+\b/g) ?? [];
      expect({ panel, names: names.length }).not.toEqual({ panel, names: 0 });
      for (const name of names) {
        const family = types.has(name) ? name : name.replace(HISTOGRAM_PARTS, '');
        expect({ panel, metric: name, exported: types.has(family) && (family === name || types.get(family) === 'histogram') }).toEqual({ panel, metric: name, exported: true });
        shown.add(family);
      }
    }
    const missing = [...types.keys()].filter((name) => name.startsWith('portico_') && !shown.has(name));
    expect(missing).toEqual([]);
  } finally {
    await gw.stop();
  }
});

test('Grafana can import it: unique panel ids, a grid 24 wide, every query on the Prometheus input', () => {
  const ids = panels.map((panel) => panel.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const panel of panels) expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
  expect(dashboard.__inputs.map((input) => input.name)).toEqual(['DS_PROMETHEUS']);
  for (const query of queries) expect(query.uid).toBe('${DS_PROMETHEUS}');
  expect(queries.length).toBeGreaterThan(10);
});
