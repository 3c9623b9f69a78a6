/**
 * @module demo/routes/me
 * `GET /v1/me` (`getCurrentUser`): who the bearer token belongs to.
 */
import { Elysia } from 'elysia';
import { authenticated } from '../auth';
import type { DemoContext } from '../context';
import { renderUser } from '../render';

export const meRoutes = ({ store, sessions }: DemoContext) =>
  new Elysia({ prefix: '/v1' }).use(authenticated(store, sessions)).get('/me', function getCurrentUser({ user }) {
    return renderUser(user);
  });
