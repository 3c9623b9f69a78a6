/**
 * @module demo/seed
 * The demo data every new demo API starts with: three users with simple passwords, two organizations (one
 * inside the other), five projects, five databases with roles, and backups. Ids are fixed so that README and
 * tests can name them; backup times are relative to the start, so the automatic ones look recent.
 */
import type { DatabaseRecord, DemoStore, RoleRecord } from './store';
import { databaseHost } from './database-rules';
import { stableId } from './ids';
import type { Database, MemberRole, Region } from './models';

/** A user you can log in as. */
export interface DemoUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly name: string;
  /** The user's role in each organization, by organization slug; absent means not a member. */
  readonly roles: Readonly<Partial<Record<'acme' | 'acme-labs', MemberRole>>>;
}

/** The demo users and their passwords (README lists them). */
export const DEMO_USERS: readonly DemoUser[] = Object.freeze([
  { id: 'usr_a1ice7k2', email: 'alice@example.com', password: 'alice-demo-password', name: 'Alice Anderson', roles: { acme: 'owner', 'acme-labs': 'owner' } },
  { id: 'usr_b0b4m9x3', email: 'bob@example.com', password: 'bob-demo-password', name: 'Bob Brown', roles: { acme: 'developer', 'acme-labs': 'viewer' } },
  { id: 'usr_c4r0l8q1', email: 'carol@example.com', password: 'carol-demo-password', name: 'Carol Chen', roles: { acme: 'viewer' } },
]);

/**
 * Users who signed up with the demo's OpenID provider (as with Google) and have no password at the API: they
 * sign in only through the provider, with the password they have there.
 */
export const PROVIDER_USERS: readonly (Omit<DemoUser, 'password'> & { readonly providerPassword: string })[] = Object.freeze([
  { id: 'usr_d4v3p6n8', email: 'dave@example.com', providerPassword: 'dave-demo-password', name: 'Dave Davis', roles: { acme: 'developer' } },
]);

/** Ids of the seed records, for tests and docs. */
export const SEED_IDS = Object.freeze({
  orgs: { acme: 'org_2n4x7c1v', acmeLabs: 'org_9p3w6z2k' },
  projects: {
    billing: 'prj_7d3f8a1b',
    storefront: 'prj_3c8v1n5m',
    analytics: 'prj_6h2j4k8l',
    internalTools: 'prj_9q1w3e5r',
    mlExperiments: 'prj_5t7y9u1i',
  },
  databases: {
    billingProd: 'db_8f3k2m9q',
    billingStaging: 'db_2x4c6v8b',
    storefrontProd: 'db_1z3x5c7v',
    warehouse: 'db_4g6h8j0k',
    features: 'db_7m9n1b3v',
  },
  /** The manual backup of billing_prod (`before-migration-42`). */
  backups: { beforeMigration: 'bkp_4r6t8y0u' },
});

const DAY = 86_400_000;
const GIB = 1_073_741_824;

/** What the seed states about a database; the rest (status, host, …) is derived when it is stored. */
type SeedDatabase = Pick<Database, 'id' | 'project_id' | 'name' | 'plan' | 'region' | 'postgres_version' | 'size_gb' | 'created_at'>;

const P = SEED_IDS.projects;
const D = SEED_IDS.databases;

const DATABASES: SeedDatabase[] = [
  { id: D.billingProd, project_id: P.billing, name: 'billing_prod', plan: 'pro', region: 'aws-eu-central-1', postgres_version: 16, size_gb: 100, created_at: '2024-03-01T12:05:00Z' },
  { id: D.billingStaging, project_id: P.billing, name: 'billing_staging', plan: 'starter', region: 'aws-eu-central-1', postgres_version: 17, size_gb: 20, created_at: '2024-03-02T08:30:00Z' },
  { id: D.storefrontProd, project_id: P.storefront, name: 'storefront_prod', plan: 'enterprise', region: 'aws-us-east-1', postgres_version: 17, size_gb: 500, created_at: '2024-04-10T15:00:00Z' },
  { id: D.warehouse, project_id: P.analytics, name: 'warehouse', plan: 'pro', region: 'aws-us-west-2', postgres_version: 15, size_gb: 1024, created_at: '2024-05-20T09:10:00Z' },
  { id: D.features, project_id: P.mlExperiments, name: 'features', plan: 'free', region: 'gcp-europe-west1', postgres_version: 17, size_gb: 10, created_at: '2024-07-15T11:45:00Z' },
];

/** Fills an empty store with the demo data. */
export function seedStore(store: DemoStore): void {
  for (const user of DEMO_USERS) {
    store.users.set(user.id, {
      id: user.id,
      email: user.email,
      name: user.name,
      created_at: '2024-01-15T09:30:00Z',
      // bcrypt at its lowest cost: the passwords are public anyway, and every test starts a new API.
      passwordHash: Bun.password.hashSync(user.password, { algorithm: 'bcrypt', cost: 4 }),
    });
  }
  for (const user of PROVIDER_USERS) store.users.set(user.id, { id: user.id, email: user.email, name: user.name, created_at: '2024-08-01T09:30:00Z', passwordHash: null });
  const { acme, acmeLabs } = SEED_IDS.orgs;
  store.orgs.set(acme, { id: acme, name: 'Acme Inc.', slug: 'acme', parent_id: null, created_at: '2024-01-10T08:00:00Z' });
  store.orgs.set(acmeLabs, { id: acmeLabs, name: 'Acme Labs', slug: 'acme-labs', parent_id: acme, created_at: '2024-02-20T10:00:00Z' });
  for (const user of [...DEMO_USERS, ...PROVIDER_USERS]) {
    for (const [slug, role] of Object.entries(user.roles)) {
      const orgId = slug === 'acme' ? acme : acmeLabs;
      store.memberships.push({ org_id: orgId, user_id: user.id, role, joined_at: '2024-02-01T10:00:00Z' });
    }
  }
  const project = (id: string, org_id: string, name: string, description: string, created_at: string, default_region?: Region) =>
    store.projects.set(id, { id, org_id, name, description, created_at, updated_at: created_at, ...(default_region && { default_region }) });
  project(P.billing, acme, 'billing-service', 'Databases for the billing service', '2024-03-01T12:00:00Z', 'aws-eu-central-1');
  project(P.storefront, acme, 'storefront', 'The web shop', '2024-04-10T14:30:00Z', 'aws-us-east-1');
  project(P.analytics, acme, 'analytics', 'Reporting warehouse', '2024-05-20T09:00:00Z', 'aws-us-west-2');
  project(P.internalTools, acme, 'internal-tools', '', '2024-06-02T16:00:00Z');
  project(P.mlExperiments, acmeLabs, 'ml-experiments', 'Feature store for model training', '2024-07-15T11:30:00Z', 'gcp-europe-west1');

  for (const seed of DATABASES) seedDatabase(store, seed);
  const alice = DEMO_USERS[0]!.id;
  const bob = DEMO_USERS[1]!.id;
  store.addRole({ ...role(D.billingProd, 'app_reader', '2024-03-04T10:00:00Z', bob), login: true, member_of: ['readonly'] });
  store.role(D.billingProd, 'readonly')!.grants.push({ object: 'public.invoices', privileges: ['SELECT'] });
  store.role(D.billingProd, 'readonly')!.created_by_id = alice;

  const now = store.now();
  store.addBackup({
    id: SEED_IDS.backups.beforeMigration,
    database_id: D.billingProd,
    kind: 'manual',
    label: 'before-migration-42',
    status: 'completed',
    size_bytes: 36 * GIB,
    finalSizeBytes: 36 * GIB,
    created_at: store.iso(now - DAY),
    completed_at: store.iso(now - DAY + 4 * 60_000),
    expires_at: store.iso(now - DAY + 14 * DAY),
    completesAt: null,
  });
}

/** A database with its managed owner role, a `readonly` group and three daily automatic backups. */
function seedDatabase(store: DemoStore, seed: SeedDatabase): void {
  const database: DatabaseRecord = {
    ...seed,
    status: 'ready',
    host: databaseHost(seed.id, seed.region),
    port: 5432,
    updated_at: seed.created_at,
    busyUntil: null,
  };
  store.addDatabase(database);
  store.addRole({ ...role(seed.id, 'app_owner', seed.created_at, null), managed: true, login: true, grants: [{ object: '*', privileges: ['CONNECT', 'CREATE', 'TEMPORARY'] }] });
  store.addRole({ ...role(seed.id, 'readonly', seed.created_at, null), grants: [{ object: 'public', privileges: ['USAGE'] }] });
  const today = Math.floor(store.now() / DAY) * DAY;
  for (let daysAgo = 0; daysAgo < 3; daysAgo++) {
    const created = today - daysAgo * DAY + 2 * 3_600_000;
    if (created > store.now()) continue;
    const size = Math.round(seed.size_gb * GIB * (0.3 - daysAgo * 0.004));
    store.addBackup({
      id: stableId('bkp', `${seed.id}:${daysAgo}`),
      database_id: seed.id,
      kind: 'automatic',
      label: `daily-${store.iso(created).slice(0, 10)}`,
      status: 'completed',
      size_bytes: size,
      finalSizeBytes: size,
      created_at: store.iso(created),
      completed_at: store.iso(created + 4 * 60_000),
      expires_at: store.iso(created + 7 * DAY),
      completesAt: null,
    });
  }
}

function role(database_id: string, name: string, created_at: string, created_by_id: string | null): RoleRecord {
  return { database_id, name, login: false, member_of: [], grants: [], managed: false, created_by_id, created_at };
}
