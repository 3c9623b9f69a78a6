/**
 * @module demo/render
 * Store records → the exact shapes of `swagger.json`'s models: no password hashes, no timers, computed fields
 * (`database_count`, the nested `parent`) filled in.
 */
import type { Backup, Database, Member, Organization, Project, Role, User } from './models';
import type { BackupRecord, DatabaseRecord, DemoStore, MembershipRecord, OrgRecord, ProjectRecord, RoleRecord, UserRecord } from './store';

export function renderUser(user: UserRecord): User {
  return { id: user.id, email: user.email, name: user.name, created_at: user.created_at };
}

/** An organization with its parents nested, as far up as they go. */
export function renderOrg(store: DemoStore, org: OrgRecord): Organization {
  const parent = org.parent_id === null ? undefined : store.orgs.get(org.parent_id);
  return { id: org.id, name: org.name, slug: org.slug, created_at: org.created_at, parent: parent ? renderOrg(store, parent) : null };
}

export function renderMember(store: DemoStore, membership: MembershipRecord): Member | undefined {
  const user = store.users.get(membership.user_id);
  return user && { user: renderUser(user), role: membership.role, joined_at: membership.joined_at };
}

export function renderProject(store: DemoStore, project: ProjectRecord): Project {
  return {
    id: project.id,
    org_id: project.org_id,
    name: project.name,
    description: project.description,
    ...(project.default_region && { default_region: project.default_region }),
    database_count: store.databasesOf(project.id).length,
    created_at: project.created_at,
    updated_at: project.updated_at,
  };
}

export function renderDatabase(database: DatabaseRecord): Database {
  const { busyUntil: _, ...shown } = database;
  return shown;
}

export function renderRole(store: DemoStore, role: RoleRecord): Role {
  const creator = role.created_by_id === null ? undefined : store.users.get(role.created_by_id);
  return {
    name: role.name,
    login: role.login,
    member_of: [...role.member_of],
    grants: role.grants.map((grant) => ({ object: grant.object, privileges: [...grant.privileges] })),
    managed: role.managed,
    created_by: creator ? renderUser(creator) : null,
    created_at: role.created_at,
  };
}

export function renderBackup(backup: BackupRecord): Backup {
  const { completesAt: _, finalSizeBytes: __, ...shown } = backup;
  return shown;
}
