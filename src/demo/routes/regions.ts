/**
 * @module demo/routes/regions
 * `GET /v1/regions` (`listRegions`): the operation `/_demo/extend` adds. Until then it answers exactly like a
 * path no route serves, before even looking at the token.
 */
import { Elysia } from 'elysia';
import { authenticated } from '../auth';
import type { DemoContext } from '../context';
import { routeNotFound } from '../errors';
import { REGION_NAMES, REGIONS, type RegionInfo } from '../models';

export const regionRoutes = ({ store, sessions, spec }: DemoContext) =>
  new Elysia({ prefix: '/v1' })
    .onTransform(function hideUntilExtended({ request }) {
      if (!spec.extended) throw routeNotFound(request.method, new URL(request.url).pathname);
    })
    .use(authenticated(store, sessions))
    .get('/regions', function listRegions(): RegionInfo[] {
      return REGIONS.map((id) => ({
        id,
        name: REGION_NAMES[id],
        provider: id.startsWith('gcp-') ? 'gcp' : 'aws',
        available: id !== 'aws-ap-southeast-1',
      }));
    });
