/**
 * @module demo/context
 * What every route module of the demo API is built from.
 */
import type { Sessions } from './auth';
import type { AppLogins } from './routes/app-login';
import type { ResolvedDemoOptions } from './options';
import type { SpecDocument } from './spec';
import type { DemoStore } from './store';

export interface DemoContext {
  readonly store: DemoStore;
  readonly sessions: Sessions;
  readonly spec: SpecDocument;
  readonly options: ResolvedDemoOptions;
  /** The app's own login page for Portico: where it may return, and its one-time codes. */
  readonly appLogins: AppLogins;
}

/** A 204 answer. */
export const noContent = (): Response => new Response(null, { status: 204 });
