/**
 * @module demo/routes/health
 * `GET /v1/healthz` (`healthCheck`, as the document places it under `basePath`) and the same at `/healthz` for
 * process supervisors. No token needed.
 */
import { Elysia } from 'elysia';
import type { DemoContext } from '../context';
import type { Health } from '../models';

export const healthRoutes = ({ spec }: DemoContext) => {
  const health = function healthCheck(): Health {
    return { status: 'ok', version: spec.version };
  };
  return new Elysia().get('/healthz', health).get('/v1/healthz', health);
};
