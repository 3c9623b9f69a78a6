/**
 * @module demo/routes/metrics
 * `GET …/databases/{databaseId}/metrics` (`getDatabaseMetrics`: one point per step, at most 31 days) and
 * `GET …/databases/{databaseId}/query-stats` (`getQueryStats`: the slow endpoint, it waits `slowMs`).
 */
import { Elysia } from 'elysia';
import { databaseFor, READ } from '../access';
import { authenticated } from '../auth';
import type { DemoContext } from '../context';
import { badRequest, conflict } from '../errors';
import { STEP_MS } from '../models';
import { MetricsQuery, QueryStatsQuery } from '../schemas';
import { metricSeries, queryStats } from '../synthetic';
import { readQuery } from '../validate';

const MAX_RANGE_MS = 31 * 86_400_000;

export const metricRoutes = ({ store, sessions, options }: DemoContext) =>
  new Elysia({ prefix: '/v1/projects/:projectId/databases/:databaseId' })
    .use(authenticated(store, sessions))
    .get('/metrics', function getDatabaseMetrics({ user, params, query }) {
      const input = readQuery(MetricsQuery, query);
      const { database } = databaseFor(store, user, params, READ);
      const from = Date.parse(input.from);
      const to = input.to === undefined ? store.now() : Date.parse(input.to);
      if (from > to) {
        throw badRequest(`from (${input.from}) is after to (${input.to ?? 'now'})`, 'invalid_range', [{ field: 'from', message: 'must not be after to' }]);
      }
      if (to - from > MAX_RANGE_MS) {
        throw badRequest('from and to are more than 31 days apart', 'invalid_range', [{ field: 'from', message: 'must be at most 31 days before to' }]);
      }
      return metricSeries(database, input.metric, from, to, STEP_MS[input.step ?? '5m']);
    })
    .get('/query-stats', async function getQueryStats({ user, params, query }) {
      const input = readQuery(QueryStatsQuery, query);
      const { database } = databaseFor(store, user, params, READ);
      if (database.status !== 'ready') {
        throw conflict('database_busy', `database ${database.name} is ${database.status}; query statistics need a ready database`);
      }
      // Collecting pg_stat_statements from a live database is what makes this endpoint slow.
      if (options.slowMs > 0) await Bun.sleep(options.slowMs);
      return queryStats(database, input.order_by ?? 'total_time', input.limit ?? 20);
    });
