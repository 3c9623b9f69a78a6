/**
 * @module demo/routes/databases
 * `GET|POST /v1/projects/{projectId}/databases` (`listDatabases`; `createDatabase`, developer) and
 * `GET|PATCH|DELETE …/databases/{databaseId}` (`getDatabase`; `updateDatabase`, developer; `deleteDatabase`,
 * owner). Creating, updating and deleting start background work (`settleMs`); a busy database refuses more.
 */
import { Elysia } from 'elysia';
import { databaseFor, projectFor, READ, type Need } from '../access';
import { authenticated } from '../auth';
import type { DemoContext } from '../context';
import { assertDatabaseNameFree, assertIdle, databaseHost, operation } from '../database-rules';
import { validationFailed, type FieldError } from '../errors';
import { newId } from '../ids';
import { renderDatabase } from '../render';
import { CreateDatabaseBody, ListDatabasesQuery, UpdateDatabaseBody } from '../schemas';
import type { DatabaseRecord } from '../store';
import { readBody, readQuery } from '../validate';

const CREATE: Need = { role: 'developer', action: 'creating a database' };
const UPDATE: Need = { role: 'developer', action: 'changing a database' };
const DELETE: Need = { role: 'owner', action: 'deleting a database' };

export const databaseRoutes = ({ store, sessions, options }: DemoContext) =>
  new Elysia({ prefix: '/v1/projects/:projectId/databases' })
    .use(authenticated(store, sessions))
    .get('', function listDatabases({ user, params, query }) {
      const { status } = readQuery(ListDatabasesQuery, query);
      const project = projectFor(store, user, params.projectId, READ);
      return store
        .databasesOf(project.id)
        .filter((database) => status === undefined || database.status === status)
        .map(renderDatabase);
    })
    .post('', function createDatabase({ user, params, body, set }) {
      const input = readBody(CreateDatabaseBody, body);
      const project = projectFor(store, user, params.projectId, CREATE);
      const region = input.region ?? project.default_region;
      if (region === undefined) {
        throw validationFailed([{ field: 'region', message: `is required: project ${project.name} has no default_region` }]);
      }
      assertDatabaseNameFree(store, project.id, input.name);
      const id = newId('db');
      const now = store.iso();
      const database: DatabaseRecord = {
        id,
        project_id: project.id,
        name: input.name,
        plan: input.plan,
        region,
        postgres_version: input.postgres_version ?? 17,
        size_gb: input.size_gb ?? 10,
        status: 'provisioning',
        host: databaseHost(id, region),
        port: 5432,
        created_at: now,
        updated_at: now,
        busyUntil: null,
      };
      store.addDatabase(database);
      store.startWork(database, 'provisioning', options.settleMs);
      store.addRole({ database_id: id, name: 'app_owner', login: true, member_of: [], grants: [{ object: '*', privileges: ['CONNECT', 'CREATE', 'TEMPORARY'] }], managed: true, created_by_id: null, created_at: now });
      set.status = 201;
      return renderDatabase(database);
    })
    .get('/:databaseId', function getDatabase({ user, params }) {
      return renderDatabase(databaseFor(store, user, params, READ).database);
    })
    .patch('/:databaseId', function updateDatabase({ user, params, body }) {
      const input = readBody(UpdateDatabaseBody, body);
      const { database } = databaseFor(store, user, params, UPDATE);
      const problems: FieldError[] = [];
      if (input.size_gb !== undefined && input.size_gb < database.size_gb) {
        problems.push({ field: 'size_gb', message: `cannot shrink storage from ${database.size_gb} to ${input.size_gb} GiB` });
      }
      if (input.postgres_version !== undefined && input.postgres_version < database.postgres_version) {
        problems.push({ field: 'postgres_version', message: `cannot downgrade from PostgreSQL ${database.postgres_version} to ${input.postgres_version}` });
      }
      if (problems.length > 0) throw validationFailed(problems);
      const changes = {
        plan: input.plan ?? database.plan,
        size_gb: input.size_gb ?? database.size_gb,
        postgres_version: input.postgres_version ?? database.postgres_version,
      };
      const changed = (Object.keys(changes) as Array<keyof typeof changes>).some((key) => changes[key] !== database[key]);
      if (!changed) return renderDatabase(database);
      assertIdle(store, database);
      Object.assign(database, changes);
      store.startWork(database, 'updating', options.settleMs);
      return renderDatabase(database);
    })
    .delete('/:databaseId', function deleteDatabase({ user, params, set }) {
      const { database } = databaseFor(store, user, params, DELETE);
      assertIdle(store, database);
      store.startWork(database, 'deleting', options.settleMs);
      set.status = 202;
      return operation(store, 'delete_database', database);
    });
