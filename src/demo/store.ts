/**
 * @module demo/store
 * The demo API's state, in memory. Background work (provisioning, updates, restores, deletes, backups) is not
 * run by timers: each record keeps the time its work is done, and reading it past that time settles it.
 * Rules about who may do what live in the routes; this module only keeps and finds records.
 */
import type {
  Backup,
  Database,
  DatabaseStatus,
  Grant,
  MemberRole,
  Region,
} from './models';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  created_at: string;
  /** `Bun.password` hash; never leaves the store. Null for a user who signed up with the OpenID provider and has no password here. */
  passwordHash: string | null;
}

export interface OrgRecord {
  id: string;
  name: string;
  slug: string;
  parent_id: string | null;
  created_at: string;
}

export interface MembershipRecord {
  org_id: string;
  user_id: string;
  role: MemberRole;
  joined_at: string;
}

export interface ProjectRecord {
  id: string;
  org_id: string;
  name: string;
  description: string;
  default_region?: Region;
  created_at: string;
  updated_at: string;
}

export interface DatabaseRecord extends Database {
  /** When the current background work ends (ms); null when the database is settled. */
  busyUntil: number | null;
}

export interface RoleRecord {
  database_id: string;
  name: string;
  login: boolean;
  member_of: string[];
  grants: Grant[];
  managed: boolean;
  created_by_id: string | null;
  created_at: string;
}

export interface BackupRecord extends Backup {
  /** When a pending backup completes (ms); null once it has. */
  completesAt: number | null;
  /** The size it will have once completed. */
  finalSizeBytes: number;
}

/** Statuses in which a database is doing something and refuses other changes. */
const BUSY: ReadonlySet<DatabaseStatus> = new Set(['provisioning', 'updating', 'restoring', 'deleting']);

export class DemoStore {
  readonly users = new Map<string, UserRecord>();
  readonly orgs = new Map<string, OrgRecord>();
  readonly memberships: MembershipRecord[] = [];
  readonly projects = new Map<string, ProjectRecord>();
  readonly #databases = new Map<string, DatabaseRecord>();
  /** Roles by database id, then by name. */
  readonly #roles = new Map<string, Map<string, RoleRecord>>();
  readonly #backups = new Map<string, BackupRecord>();

  constructor(readonly now: () => number) {}

  /** The current time as RFC 3339, or `ms` as RFC 3339. */
  iso(ms: number = this.now()): string {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  userByEmail(email: string): UserRecord | undefined {
    const wanted = email.trim().toLowerCase();
    for (const user of this.users.values()) if (user.email === wanted) return user;
    return undefined;
  }

  /** The organizations `userId` belongs to, oldest first. */
  orgsOf(userId: string): OrgRecord[] {
    return this.memberships
      .filter((membership) => membership.user_id === userId)
      .flatMap((membership) => this.orgs.get(membership.org_id) ?? [])
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** `userId`'s role in `orgId`, or undefined when not a member. */
  roleIn(orgId: string, userId: string): MemberRole | undefined {
    return this.memberships.find((membership) => membership.org_id === orgId && membership.user_id === userId)?.role;
  }

  membersOf(orgId: string): MembershipRecord[] {
    return this.memberships.filter((membership) => membership.org_id === orgId);
  }

  // Databases ------------------------------------------------------------------------------------------------

  database(id: string): DatabaseRecord | undefined {
    const database = this.#databases.get(id);
    return database && this.#settleDatabase(database);
  }

  databasesOf(projectId: string): DatabaseRecord[] {
    return [...this.#databases.values()]
      .filter((database) => database.project_id === projectId)
      .flatMap((database) => this.#settleDatabase(database) ?? [])
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.name.localeCompare(b.name));
  }

  addDatabase(database: DatabaseRecord): void {
    this.#databases.set(database.id, database);
    this.#roles.set(database.id, new Map());
  }

  /** Starts background work on `database`: it shows `status` until `settleMs` from now. */
  startWork(database: DatabaseRecord, status: DatabaseStatus, settleMs: number): void {
    database.status = status;
    database.busyUntil = this.now() + settleMs;
    database.updated_at = this.iso();
  }

  isBusy(database: DatabaseRecord): boolean {
    return BUSY.has(database.status);
  }

  #settleDatabase(database: DatabaseRecord): DatabaseRecord | undefined {
    if (database.busyUntil === null || this.now() < database.busyUntil) return database;
    if (database.status === 'deleting') {
      this.#databases.delete(database.id);
      this.#roles.delete(database.id);
      for (const backup of this.#backups.values()) if (backup.database_id === database.id) this.#backups.delete(backup.id);
      return undefined;
    }
    database.status = 'ready';
    database.updated_at = this.iso(database.busyUntil);
    database.busyUntil = null;
    return database;
  }

  // Roles ----------------------------------------------------------------------------------------------------

  rolesOf(databaseId: string): RoleRecord[] {
    return [...(this.#roles.get(databaseId)?.values() ?? [])];
  }

  role(databaseId: string, name: string): RoleRecord | undefined {
    return this.#roles.get(databaseId)?.get(name);
  }

  addRole(role: RoleRecord): void {
    let roles = this.#roles.get(role.database_id);
    if (!roles) this.#roles.set(role.database_id, (roles = new Map()));
    roles.set(role.name, role);
  }

  /** Drops a role and takes it out of every role that was a member of it. */
  removeRole(databaseId: string, name: string): void {
    const roles = this.#roles.get(databaseId);
    roles?.delete(name);
    for (const role of roles?.values() ?? []) role.member_of = role.member_of.filter((group) => group !== name);
  }

  // Backups --------------------------------------------------------------------------------------------------

  backup(id: string): BackupRecord | undefined {
    const backup = this.#backups.get(id);
    return backup && this.#settleBackup(backup);
  }

  /** The backups of a database that have not expired, newest first. */
  backupsOf(databaseId: string): BackupRecord[] {
    return [...this.#backups.values()]
      .filter((backup) => backup.database_id === databaseId)
      .flatMap((backup) => this.#settleBackup(backup) ?? [])
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
  }

  addBackup(backup: BackupRecord): void {
    this.#backups.set(backup.id, backup);
  }

  #settleBackup(backup: BackupRecord): BackupRecord | undefined {
    const now = this.now();
    if (Date.parse(backup.expires_at) <= now) {
      this.#backups.delete(backup.id);
      return undefined;
    }
    if (backup.completesAt === null) return backup;
    if (now >= backup.completesAt) {
      backup.status = 'completed';
      backup.completed_at = this.iso(backup.completesAt);
      backup.size_bytes = backup.finalSizeBytes;
      backup.completesAt = null;
    } else if (now >= (Date.parse(backup.created_at) + backup.completesAt) / 2) {
      backup.status = 'running';
    }
    return backup;
  }
}
