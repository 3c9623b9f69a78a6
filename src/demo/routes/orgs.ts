/**
 * @module demo/routes/orgs
 * `GET /v1/orgs` (`listOrganizations`), `GET /v1/orgs/{orgId}` (`getOrganization`) and
 * `GET /v1/orgs/{orgId}/members` (`listMembers`). Any member may read; others get 403.
 */
import { Elysia } from 'elysia';
import { findOrg, READ, requireRole } from '../access';
import { authenticated } from '../auth';
import type { DemoContext } from '../context';
import { renderMember, renderOrg } from '../render';
import { ListMembersQuery } from '../schemas';
import { readQuery } from '../validate';

export const orgRoutes = ({ store, sessions }: DemoContext) =>
  new Elysia({ prefix: '/v1' })
    .use(authenticated(store, sessions))
    .get('/orgs', function listOrganizations({ user }) {
      return store.orgsOf(user.id).map((org) => renderOrg(store, org));
    })
    .get('/orgs/:orgId', function getOrganization({ user, params }) {
      const org = findOrg(store, params.orgId);
      requireRole(store, user, org, READ);
      return renderOrg(store, org);
    })
    .get('/orgs/:orgId/members', function listMembers({ user, params, query }) {
      const { role } = readQuery(ListMembersQuery, query);
      const org = findOrg(store, params.orgId);
      requireRole(store, user, org, READ);
      return store
        .membersOf(org.id)
        .filter((membership) => role === undefined || membership.role === role)
        .flatMap((membership) => renderMember(store, membership) ?? []);
    });
