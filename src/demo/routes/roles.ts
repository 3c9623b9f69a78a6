/**
 * @module demo/routes/roles
 * PostgreSQL roles of a database: `GET|POST …/databases/{databaseId}/roles` (`listRoles`; `createRole`,
 * developer) and `DELETE …/roles/{roleName}` (`deleteRole`, owner; managed roles are refused with 403).
 */
import { Elysia } from 'elysia';
import { databaseFor, READ, type Need } from '../access';
import { authenticated } from '../auth';
import { noContent, type DemoContext } from '../context';
import { conflict, forbidden, notFound, validationFailed } from '../errors';
import { secret } from '../ids';
import { renderRole } from '../render';
import { CreateRoleBody } from '../schemas';
import type { RoleRecord } from '../store';
import { readBody } from '../validate';

const CREATE: Need = { role: 'developer', action: 'creating a role' };
const DELETE: Need = { role: 'owner', action: 'deleting a role' };

export const roleRoutes = ({ store, sessions }: DemoContext) =>
  new Elysia({ prefix: '/v1/projects/:projectId/databases/:databaseId/roles' })
    .use(authenticated(store, sessions))
    .get('', function listRoles({ user, params }) {
      const { database } = databaseFor(store, user, params, READ);
      return store.rolesOf(database.id).map((role) => renderRole(store, role));
    })
    .post('', function createRole({ user, params, body, set }) {
      const input = readBody(CreateRoleBody, body);
      const { database } = databaseFor(store, user, params, CREATE);
      if (store.role(database.id, input.name)) {
        throw conflict('name_taken', `a role named "${input.name}" already exists in database ${database.name}`);
      }
      const memberOf = input.member_of ?? [];
      const unknown = memberOf.flatMap((name, index) =>
        store.role(database.id, name) ? [] : [{ field: `member_of[${index}]`, message: `role "${name}" does not exist in database ${database.name}` }],
      );
      if (unknown.length > 0) throw validationFailed(unknown);
      const login = input.login ?? true;
      const role: RoleRecord = {
        database_id: database.id,
        name: input.name,
        login,
        member_of: [...new Set(memberOf)],
        grants: [],
        managed: false,
        created_by_id: user.id,
        created_at: store.iso(),
      };
      store.addRole(role);
      set.status = 201;
      // A login role without a password gets a generated one, shown this once; the demo stores none.
      const generated = login && input.password === undefined ? secret(12) : undefined;
      return generated === undefined ? { role: renderRole(store, role) } : { role: renderRole(store, role), password: generated };
    })
    .delete('/:roleName', function deleteRole({ user, params }) {
      const { database } = databaseFor(store, user, params, DELETE);
      const role = store.role(database.id, params.roleName);
      if (!role) throw notFound('role', params.roleName);
      if (role.managed) throw forbidden(`role ${role.name} is managed by the platform and cannot be dropped`);
      store.removeRole(database.id, role.name);
      return noContent();
    });
