/**
 * @module demo/schemas
 * The request schemas of the demo API (`handlers.*Request` and the query parameters of `swagger.json`), in
 * TypeBox. Defaults the document states (`size_gb` 10, `postgres_version` 17, …) are applied by the handlers.
 *
 * Plain TypeBox rather than Elysia's `t`: Elysia's `t.Integer`, `t.Number` and `t.Boolean` are unions that also
 * accept numeric and boolean strings, which would let `"size_gb": "5"` through. Query strings are converted
 * explicitly in `validate.ts` instead.
 */
import { Type as t } from '@sinclair/typebox';
import {
  BACKUP_KINDS,
  DATABASE_STATUSES,
  MEMBER_ROLES,
  METRICS,
  PLANS,
  POSTGRES_VERSIONS,
  QUERY_ORDERS,
  REGIONS,
  STEPS,
} from './models';

/** One of `values`: a union of literals, so a bad value is reported as "must be one of: …". */
function oneOf<const V extends string | number>(values: readonly V[]) {
  return t.Union(values.map((value) => t.Literal(value)));
}

const DATABASE_NAME = { minLength: 1, maxLength: 63, pattern: '^[a-z][a-z0-9_]*$', error: 'must be 1 to 63 lowercase letters, digits and underscores, starting with a letter' };
const ROLE_NAME = { minLength: 1, maxLength: 63, pattern: '^[a-z_][a-z0-9_]*$', error: 'must be 1 to 63 lowercase letters, digits and underscores, not starting with a digit' };
const PAGE = t.Integer({ minimum: 1 });
const PER_PAGE = t.Integer({ minimum: 1, maximum: 100 });

export const LoginBody = t.Object({
  email: t.String({ format: 'email' }),
  password: t.String({ minLength: 8 }),
});

export const ListMembersQuery = t.Object({ role: t.Optional(oneOf(MEMBER_ROLES)) });

export const ListProjectsQuery = t.Object({
  org_id: t.Optional(t.String()),
  page: t.Optional(PAGE),
  per_page: t.Optional(PER_PAGE),
});

export const CreateProjectBody = t.Object({
  org_id: t.String({ minLength: 1 }),
  name: t.String({ minLength: 1, maxLength: 64 }),
  description: t.Optional(t.String({ maxLength: 512 })),
  default_region: t.Optional(oneOf(REGIONS)),
});

export const UpdateProjectBody = t.Object({
  name: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
  description: t.Optional(t.String({ maxLength: 512 })),
  default_region: t.Optional(oneOf(REGIONS)),
});

export const ListDatabasesQuery = t.Object({ status: t.Optional(oneOf(DATABASE_STATUSES)) });

export const CreateDatabaseBody = t.Object({
  name: t.String(DATABASE_NAME),
  plan: oneOf(PLANS),
  /** Optional: the project's `default_region` applies when left out. */
  region: t.Optional(oneOf(REGIONS)),
  postgres_version: t.Optional(oneOf(POSTGRES_VERSIONS)),
  size_gb: t.Optional(t.Integer({ minimum: 1, maximum: 1024 })),
});

export const UpdateDatabaseBody = t.Object({
  plan: t.Optional(oneOf(PLANS)),
  postgres_version: t.Optional(oneOf(POSTGRES_VERSIONS)),
  size_gb: t.Optional(t.Integer({ minimum: 1, maximum: 1024 })),
});

export const ListBackupsQuery = t.Object({ kind: t.Optional(oneOf(BACKUP_KINDS)) });

export const CreateBackupBody = t.Object({
  label: t.Optional(t.String({ maxLength: 100 })),
  retention_days: t.Optional(t.Integer({ minimum: 1, maximum: 35 })),
});

export const RestoreBackupBody = t.Object({
  // Empty means "in place", as the document says, so the pattern allows it.
  target_database_name: t.Optional(t.String({ ...DATABASE_NAME, minLength: 0, pattern: '^([a-z][a-z0-9_]*)?$' })),
});

export const CreateRoleBody = t.Object({
  name: t.String(ROLE_NAME),
  login: t.Optional(t.Boolean()),
  member_of: t.Optional(t.Array(t.String(ROLE_NAME))),
  password: t.Optional(t.String({ minLength: 12 })),
});

export const MetricsQuery = t.Object({
  metric: oneOf(METRICS),
  from: t.String({ format: 'date-time' }),
  to: t.Optional(t.String({ format: 'date-time' })),
  step: t.Optional(oneOf(STEPS)),
});

export const QueryStatsQuery = t.Object({
  order_by: t.Optional(oneOf(QUERY_ORDERS)),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
});
