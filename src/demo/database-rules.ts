/**
 * @module demo/database-rules
 * Rules about databases that more than one route applies: a busy database takes no more work, names are unique
 * per project, background work answers with a `models.Operation`, and hosts follow one pattern.
 */
import { conflict } from './errors';
import { newId } from './ids';
import type { Operation, OperationKind, Region } from './models';
import type { DatabaseRecord, DemoStore } from './store';

/** 409 when the database is in the middle of other work. */
export function assertIdle(store: DemoStore, database: DatabaseRecord): void {
  if (store.isBusy(database)) {
    throw conflict('database_busy', `database ${database.name} is ${database.status}; try again when it is ready`);
  }
}

/** 409 when the project already has a database called `name`. */
export function assertDatabaseNameFree(store: DemoStore, projectId: string, name: string): void {
  if (store.databasesOf(projectId).some((database) => database.name === name)) {
    throw conflict('name_taken', `a database named "${name}" already exists in project ${projectId}`);
  }
}

/** The `models.Operation` answered for background work on `database`. */
export function operation(store: DemoStore, kind: OperationKind, database: DatabaseRecord): Operation {
  return { id: newId('op'), kind, status: 'running', database_id: database.id, created_at: store.iso() };
}

/** The connection host of a database, shaped like the document's example. */
export function databaseHost(id: string, region: Region): string {
  return `${id.replace('_', '-')}.${region}.pg.example.dev`;
}
