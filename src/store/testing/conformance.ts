/**
 * @module store/testing/conformance
 * The one suite every store backend passes. A backend's test file calls `storeConformance` with a function that
 * opens a Store on ONE database (every call a new Store on the same database, so cases can check what a second
 * instance sees). Cases use unique ids, so they share that database; only the migration cases need a database of
 * their own, which `freshDatabase` provides.
 */
import { afterAll, beforeAll, describe } from 'bun:test';
import type { Store } from '../contract';
import { auditCases, consentCases, snapshotCases, throttleCases } from './cases/small-stores';
import { answerCases } from './cases/answers';
import { browserSessionCases } from './cases/browser-sessions';
import { clientCases } from './cases/clients';
import { codeCases } from './cases/codes';
import { grantUseCases } from './cases/grant-uses';
import { grantCases } from './cases/grants';
import { lifecycleCases } from './cases/lifecycle';
import { migrationCases } from './cases/migrations';
import { rotationCases } from './cases/rotation';
import { sweepCases } from './cases/sweep';

/** An empty database of the backend under test, for the migration cases. */
export interface FreshDatabase {
  /** Opens (and so migrates) a Store on it. */
  open(): Promise<Store>;
  /** Runs one SQL statement on it behind the store's back; rejects if the statement fails. */
  exec(statement: string): Promise<void>;
  /** Migrates it only up to `version`, as an older Portico left it. */
  migrateTo(version: number): Promise<void>;
  /** Removes it. */
  dispose(): Promise<void>;
}

export interface ConformanceOptions {
  /** Makes an empty database; without it the migration cases are not registered. */
  freshDatabase?: () => Promise<FreshDatabase>;
}

/** What each group of cases gets: the suite's store, and a second instance on the same database. */
export interface SuiteContext {
  store(): Store;
  /** A second Store on the same database, opened on first use. */
  second(): Promise<Store>;
  /** Opens a further Store on the same database; the caller closes it. */
  open(): Promise<Store>;
}

/** Registers the conformance cases for one backend under `describe(name)`. */
export function storeConformance(name: string, open: () => Promise<Store>, options: ConformanceOptions = {}): void {
  describe(name, () => {
    let main: Store | undefined;
    let secondStore: Promise<Store> | undefined;
    beforeAll(async () => {
      main = await open();
    });
    afterAll(async () => {
      await main?.close();
      await (await secondStore)?.close();
    });
    const ctx: SuiteContext = {
      store() {
        if (!main) throw new Error('the store did not open (see the beforeAll error)');
        return main;
      },
      second() {
        secondStore ??= open();
        return secondStore;
      },
      open,
    };
    clientCases(ctx);
    codeCases(ctx);
    grantCases(ctx);
    grantUseCases(ctx);
    rotationCases(ctx);
    consentCases(ctx);
    throttleCases(ctx);
    snapshotCases(ctx);
    auditCases(ctx);
    browserSessionCases(ctx);
    answerCases(ctx);
    sweepCases(ctx);
    lifecycleCases(ctx);
    if (options.freshDatabase) migrationCases(options.freshDatabase);
  });
}
