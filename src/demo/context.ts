/**
 * @module demo/context
 * What every route module of the demo API is built from.
 */
import type { Sessions } from './auth';
import type { ResolvedDemoOptions } from './options';
import type { SpecDocument } from './spec';
import type { DemoStore } from './store';

export interface DemoContext {
  readonly store: DemoStore;
  readonly sessions: Sessions;
  readonly spec: SpecDocument;
  readonly options: ResolvedDemoOptions;
}

/** A 204 answer. */
export const noContent = (): Response => new Response(null, { status: 204 });
