/**
 * @module demo/routes/control
 * Test-only controls, mounted with `{ control: true }`: `POST /_demo/extend` adds `GET /v1/regions`
 * (`listRegions`) to the served document and to the routes, so a gateway's tests can watch its catalog change.
 * No token needed; never mount it in front of real users.
 */
import { Elysia } from 'elysia';
import type { DemoContext } from '../context';

export const controlRoutes = ({ spec }: DemoContext) =>
  new Elysia({ prefix: '/_demo' }).post('/extend', function extend() {
    const changed = spec.extend();
    return { changed, added: changed ? ['listRegions'] : [] };
  });
