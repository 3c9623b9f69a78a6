/**
 * @module demo/routes/backups
 * `GET|POST …/databases/{databaseId}/backups` (`listBackups`; `createBackup`, developer),
 * `GET …/backups/{backupId}` (`getBackup`) and `POST …/backups/{backupId}/restore` (`restoreBackup`, owner:
 * in place, or into a new database of the same project when `target_database_name` is given).
 */
import { Elysia } from 'elysia';
import { backupFor, databaseFor, READ, type Need } from '../access';
import { authenticated } from '../auth';
import type { DemoContext } from '../context';
import { assertDatabaseNameFree, assertIdle, databaseHost, operation } from '../database-rules';
import { conflict } from '../errors';
import { newId } from '../ids';
import { renderBackup } from '../render';
import { CreateBackupBody, ListBackupsQuery, RestoreBackupBody } from '../schemas';
import type { BackupRecord, DatabaseRecord } from '../store';
import { readBody, readQuery } from '../validate';

const CREATE: Need = { role: 'developer', action: 'creating a backup' };
const RESTORE: Need = { role: 'owner', action: 'restoring a backup' };
const DAY = 86_400_000;
const GIB = 1_073_741_824;

export const backupRoutes = ({ store, sessions, options }: DemoContext) =>
  new Elysia({ prefix: '/v1/projects/:projectId/databases/:databaseId/backups' })
    .use(authenticated(store, sessions))
    .get('', function listBackups({ user, params, query }) {
      const { kind } = readQuery(ListBackupsQuery, query);
      const { database } = databaseFor(store, user, params, READ);
      return store
        .backupsOf(database.id)
        .filter((backup) => kind === undefined || backup.kind === kind)
        .map(renderBackup);
    })
    .post('', function createBackup({ user, params, body, set }) {
      const input = readBody(CreateBackupBody, body, { optional: true });
      const { database } = databaseFor(store, user, params, CREATE);
      assertIdle(store, database);
      const running = store.backupsOf(database.id).find((backup) => backup.kind === 'manual' && backup.status !== 'completed' && backup.status !== 'failed');
      if (running) throw conflict('backup_in_progress', `backup ${running.id} of database ${database.name} is still ${running.status}`);
      const now = store.now();
      const size = Math.round(database.size_gb * GIB * 0.3);
      const backup: BackupRecord = {
        id: newId('bkp'),
        database_id: database.id,
        kind: 'manual',
        label: input.label ?? '',
        status: 'pending',
        size_bytes: 0,
        finalSizeBytes: size,
        created_at: store.iso(now),
        completed_at: null,
        expires_at: store.iso(now + (input.retention_days ?? 7) * DAY),
        completesAt: now + options.settleMs,
      };
      store.addBackup(backup);
      set.status = 202;
      return renderBackup(backup);
    })
    .get('/:backupId', function getBackup({ user, params }) {
      return renderBackup(backupFor(store, user, params, READ).backup);
    })
    .post('/:backupId/restore', function restoreBackup({ user, params, body, set }) {
      const input = readBody(RestoreBackupBody, body, { optional: true });
      const { project, database, backup } = backupFor(store, user, params, RESTORE);
      if (backup.status !== 'completed') {
        throw conflict('backup_not_completed', `backup ${backup.id} is ${backup.status}; only completed backups can be restored`);
      }
      set.status = 202;
      const target = input.target_database_name;
      if (!target) {
        assertIdle(store, database);
        store.startWork(database, 'restoring', options.settleMs);
        return operation(store, 'restore_backup', database);
      }
      assertDatabaseNameFree(store, project.id, target);
      const id = newId('db');
      const now = store.iso();
      const copy: DatabaseRecord = { ...database, id, name: target, host: databaseHost(id, database.region), created_at: now, updated_at: now, busyUntil: null };
      store.addDatabase(copy);
      for (const role of store.rolesOf(database.id)) {
        store.addRole({ ...role, database_id: id, member_of: [...role.member_of], grants: role.grants.map((grant) => ({ ...grant, privileges: [...grant.privileges] })) });
      }
      store.startWork(copy, 'restoring', options.settleMs);
      return operation(store, 'restore_backup', copy);
    });
