/**
 * @module demo/synthetic
 * Made-up but plausible numbers for the metrics and query-statistics endpoints: a daily cycle plus noise,
 * derived from the database id and the time, so the same request always gets the same answer.
 */
import type { Database, Metric, MetricPoint, QueryOrder, QueryStat } from './models';

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const GIB = 1_073_741_824;

/** A number in [0, 1) that depends only on `key`. */
function noise(key: string): number {
  return Number(Bun.hash.wyhash(key, 11n) % 10_000n) / 10_000;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

function sample(database: Database, metric: Metric, at: number): number {
  const daily = Math.sin((2 * Math.PI * (at % DAY)) / DAY);
  const jitter = noise(`${database.id}:${metric}:${at}`);
  switch (metric) {
    case 'cpu_percent':
      return round1(clamp(35 + 20 * daily + 15 * jitter, 0, 100));
    case 'memory_percent':
      return round1(clamp(55 + 6 * daily + 8 * jitter, 0, 100));
    case 'storage_used_bytes': {
      const age = Math.max(0, at - Date.parse(database.created_at)) / YEAR;
      return Math.round(database.size_gb * GIB * Math.min(0.95, 0.2 + 0.1 * age + 0.002 * jitter));
    }
    case 'connections':
      return Math.round(40 + 25 * daily + 10 * jitter);
    case 'iops':
      return Math.round(800 + 500 * daily + 200 * jitter);
  }
}

/**
 * One point per `stepMs` from `fromMs` (rounded up to a step boundary) to before `toMs`, never before the
 * database existed.
 */
export function metricSeries(database: Database, metric: Metric, fromMs: number, toMs: number, stepMs: number): MetricPoint[] {
  const start = Math.ceil(Math.max(fromMs, Date.parse(database.created_at)) / stepMs) * stepMs;
  const points: MetricPoint[] = [];
  for (let at = start; at < toMs; at += stepMs) {
    points.push({ metric, timestamp: new Date(at).toISOString().replace('.000Z', 'Z'), value: sample(database, metric, at) });
  }
  return points;
}

const QUERIES = [
  'SELECT * FROM invoices WHERE customer_id = $1',
  'UPDATE invoices SET status = $1, updated_at = now() WHERE id = $2',
  'INSERT INTO events (kind, payload, created_at) VALUES ($1, $2, $3)',
  'SELECT count(*) FROM orders WHERE created_at > $1',
  'SELECT o.id, o.total, c.email FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.status = $1 ORDER BY o.created_at DESC LIMIT $2',
  'DELETE FROM sessions WHERE expires_at < $1',
  'SELECT * FROM products WHERE sku = ANY($1)',
  'UPDATE inventory SET quantity = quantity - $1 WHERE product_id = $2',
  'SELECT date_trunc($1, created_at), sum(total) FROM orders GROUP BY 1 ORDER BY 1',
  'INSERT INTO audit_log (actor, action, target) VALUES ($1, $2, $3)',
  'SELECT * FROM customers WHERE lower(email) = lower($1)',
  'VACUUM ANALYZE events',
];

const ORDER_KEY: Readonly<Record<QueryOrder, keyof QueryStat>> = {
  total_time: 'total_time_ms',
  mean_time: 'mean_time_ms',
  calls: 'calls',
  rows: 'rows',
};

/** The `limit` most expensive queries of a database by `orderBy`, descending, as pg_stat_statements would show. */
export function queryStats(database: Database, orderBy: QueryOrder, limit: number): QueryStat[] {
  const stats = QUERIES.map((query, index): QueryStat => {
    const key = `${database.id}:${index}`;
    const calls = Math.round(50 + 40_000 * noise(`${key}:calls`));
    const mean = Math.round((0.05 + 120 * noise(`${key}:mean`) ** 3) * 100) / 100;
    return {
      query_id: BigInt.asIntN(64, Bun.hash.wyhash(key, 13n)).toString(),
      query,
      calls,
      rows: Math.round(calls * 20 * noise(`${key}:rows`)),
      total_time_ms: Math.round(calls * mean * 10) / 10,
      mean_time_ms: mean,
    };
  });
  const field = ORDER_KEY[orderBy];
  return stats.sort((a, b) => Number(b[field]) - Number(a[field])).slice(0, limit);
}
