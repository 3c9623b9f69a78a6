/**
 * @module demo/models
 * The wire shapes of the demo API, as `swagger.json` defines them (`models.*`, `handlers.*`), and the enums
 * they use. Records in the store carry more (password hashes, timers); `render.ts` turns them into these.
 */

/** `models.MemberRole`: viewer reads; developer also creates and changes; owner also deletes and restores. */
export const MEMBER_ROLES = ['viewer', 'developer', 'owner'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** `models.Plan`. */
export const PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/** `models.Region`, with the names `GET /v1/regions` (added by `/_demo/extend`) shows. */
export const REGION_NAMES = {
  'aws-us-east-1': 'US East (N. Virginia)',
  'aws-us-west-2': 'US West (Oregon)',
  'aws-eu-central-1': 'Europe (Frankfurt)',
  'aws-ap-southeast-1': 'Asia Pacific (Singapore)',
  'gcp-europe-west1': 'Europe West (Belgium)',
} as const;
export type Region = keyof typeof REGION_NAMES;
export const REGIONS = Object.keys(REGION_NAMES) as Region[];

/** `models.PostgresVersion`. */
export const POSTGRES_VERSIONS = [14, 15, 16, 17] as const;
export type PostgresVersion = (typeof POSTGRES_VERSIONS)[number];

/** `models.DatabaseStatus`. */
export const DATABASE_STATUSES = ['provisioning', 'ready', 'updating', 'restoring', 'deleting', 'failed'] as const;
export type DatabaseStatus = (typeof DATABASE_STATUSES)[number];

/** `models.BackupKind` and `models.BackupStatus`. */
export const BACKUP_KINDS = ['automatic', 'manual'] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];
export type BackupStatus = 'pending' | 'running' | 'completed' | 'failed';

/** `models.OperationKind` and `models.OperationStatus`. */
export type OperationKind = 'create_database' | 'update_database' | 'delete_database' | 'restore_backup';
export type OperationStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/** `models.Metric` and the `step` query parameter of `getDatabaseMetrics`, with its length in ms. */
export const METRICS = ['cpu_percent', 'memory_percent', 'storage_used_bytes', 'connections', 'iops'] as const;
export type Metric = (typeof METRICS)[number];
export const STEP_MS = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type Step = keyof typeof STEP_MS;
export const STEPS = Object.keys(STEP_MS) as Step[];

/** The `order_by` query parameter of `getQueryStats`. */
export const QUERY_ORDERS = ['total_time', 'mean_time', 'calls', 'rows'] as const;
export type QueryOrder = (typeof QUERY_ORDERS)[number];

/** `models.Privilege`. */
export type Privilege =
  | 'SELECT'
  | 'INSERT'
  | 'UPDATE'
  | 'DELETE'
  | 'TRUNCATE'
  | 'REFERENCES'
  | 'TRIGGER'
  | 'USAGE'
  | 'CREATE'
  | 'CONNECT'
  | 'TEMPORARY';

export interface User {
  id: string;
  email: string;
  name: string;
  created_at: string;
}

export interface Organization {
  id: string;
  name: string;
  slug: string;
  created_at: string;
  /** The whole parent, recursively; null for a top-level organization. */
  parent: Organization | null;
}

export interface Member {
  user: User;
  role: MemberRole;
  joined_at: string;
}

export interface Project {
  id: string;
  org_id: string;
  name: string;
  description: string;
  /** Left out when the project has none: the document does not mark it nullable. */
  default_region?: Region;
  database_count: number;
  created_at: string;
  updated_at: string;
}

export interface Database {
  id: string;
  project_id: string;
  name: string;
  plan: Plan;
  region: Region;
  postgres_version: PostgresVersion;
  size_gb: number;
  status: DatabaseStatus;
  host: string;
  port: number;
  created_at: string;
  updated_at: string;
}

export interface Grant {
  object: string;
  privileges: Privilege[];
}

export interface Role {
  name: string;
  login: boolean;
  member_of: string[];
  grants: Grant[];
  managed: boolean;
  created_by: User | null;
  created_at: string;
}

export interface Backup {
  id: string;
  database_id: string;
  kind: BackupKind;
  label: string;
  status: BackupStatus;
  size_bytes: number;
  created_at: string;
  completed_at: string | null;
  expires_at: string;
}

export interface Operation {
  id: string;
  kind: OperationKind;
  status: OperationStatus;
  database_id: string;
  created_at: string;
}

export interface MetricPoint {
  metric: Metric;
  timestamp: string;
  value: number;
}

export interface QueryStat {
  query_id: string;
  query: string;
  calls: number;
  rows: number;
  total_time_ms: number;
  mean_time_ms: number;
}

export interface Health {
  status: 'ok' | 'degraded';
  version: string;
}

/** `handlers.Page`: the envelope of every paginated list. */
export interface Page<T> {
  items: T[];
  page: number;
  per_page: number;
  total: number;
  next_page: number | null;
}

/** One entry of `GET /v1/regions` (`models.RegionInfo`, added at run time by `/_demo/extend`). */
export interface RegionInfo {
  id: Region;
  name: string;
  provider: 'aws' | 'gcp';
  available: boolean;
}
