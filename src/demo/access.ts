/**
 * @module demo/access
 * Who may do what. Roles are per organization: a viewer reads; a developer also creates and changes projects,
 * databases, roles and backups; an owner also deletes and restores. Resources are found from the path, outermost
 * first, so an unknown id is a 404 and a known one the caller may not touch is a 403 saying which role it needs.
 */
import { forbidden, notFound } from './errors';
import type { MemberRole } from './models';
import type { BackupRecord, DatabaseRecord, DemoStore, OrgRecord, ProjectRecord, UserRecord } from './store';

export const RANK: Readonly<Record<MemberRole, number>> = { viewer: 0, developer: 1, owner: 2 };

/** What an operation needs: the lowest role allowed, and the action in words for the 403 message. */
export interface Need {
  role: MemberRole;
  action: string;
}

/** Reading: any member. */
export const READ: Need = { role: 'viewer', action: 'reading' };

/** `user`'s role in `org`, if it is at least `need.role`; else a 403 naming the organization and the role needed. */
export function requireRole(store: DemoStore, user: UserRecord, org: OrgRecord, need: Need): MemberRole {
  const role = store.roleIn(org.id, user.id);
  const where = `organization "${org.name}" (${org.id})`;
  if (!role) throw forbidden(`${user.email} is not a member of ${where}`);
  if (RANK[role] < RANK[need.role]) {
    const wanted = need.role === 'owner' ? 'the owner role' : `the ${need.role} or owner role`;
    throw forbidden(`${need.action} needs ${wanted} in ${where}; ${user.email} is a ${role}`);
  }
  return role;
}

export function findOrg(store: DemoStore, orgId: string): OrgRecord {
  const org = store.orgs.get(orgId);
  if (!org) throw notFound('organization', orgId);
  return org;
}

/** The project, if `user` may do `need` in its organization. */
export function projectFor(store: DemoStore, user: UserRecord, projectId: string, need: Need): ProjectRecord {
  const project = locateProject(store, projectId);
  requireRole(store, user, findOrg(store, project.org_id), need);
  return project;
}

/** The database (of that project), if `user` may do `need` in the project's organization. */
export function databaseFor(
  store: DemoStore,
  user: UserRecord,
  ids: { projectId: string; databaseId: string },
  need: Need,
): { project: ProjectRecord; database: DatabaseRecord } {
  const project = locateProject(store, ids.projectId);
  const database = locateDatabase(store, project, ids.databaseId);
  requireRole(store, user, findOrg(store, project.org_id), need);
  return { project, database };
}

/** The backup (of that database), if `user` may do `need`. */
export function backupFor(
  store: DemoStore,
  user: UserRecord,
  ids: { projectId: string; databaseId: string; backupId: string },
  need: Need,
): { project: ProjectRecord; database: DatabaseRecord; backup: BackupRecord } {
  const project = locateProject(store, ids.projectId);
  const database = locateDatabase(store, project, ids.databaseId);
  const backup = store.backup(ids.backupId);
  if (!backup || backup.database_id !== database.id) throw notFound('backup', ids.backupId);
  requireRole(store, user, findOrg(store, project.org_id), need);
  return { project, database, backup };
}

function locateProject(store: DemoStore, projectId: string): ProjectRecord {
  const project = store.projects.get(projectId);
  if (!project) throw notFound('project', projectId);
  return project;
}

function locateDatabase(store: DemoStore, project: ProjectRecord, databaseId: string): DatabaseRecord {
  const database = store.database(databaseId);
  if (!database || database.project_id !== project.id) throw notFound('database', databaseId);
  return database;
}
