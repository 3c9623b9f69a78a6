/**
 * @module demo/app
 * `createDemoApi`: the demo upstream API as an Elysia app, with handles on its state. A managed-PostgreSQL host
 * (organizations, projects, databases, roles, backups, metrics) that implements `swagger.json` exactly.
 */
import { Elysia } from 'elysia';
import { Sessions } from './auth';
import type { DemoContext } from './context';
import { errorHandler } from './errors';
import { jsonOnly } from './json-only';
import { resolveDemoOptions, type DemoApiOptions, type ResolvedDemoOptions } from './options';
import { backupRoutes } from './routes/backups';
import { controlRoutes } from './routes/control';
import { databaseRoutes } from './routes/databases';
import { healthRoutes } from './routes/health';
import { loginRoutes } from './routes/login';
import { meRoutes } from './routes/me';
import { oidcLoginRoutes } from './routes/oidc-login';
import { AppLogins, appLoginRoutes } from './routes/app-login';
import { metricRoutes } from './routes/metrics';
import { orgRoutes } from './routes/orgs';
import { projectRoutes } from './routes/projects';
import { regionRoutes } from './routes/regions';
import { roleRoutes } from './routes/roles';
import { specRoutes } from './routes/spec';
import { DEMO_USERS, seedStore, type DemoUser } from './seed';
import { SpecDocument } from './spec';
import { DemoStore } from './store';

function buildApp(context: DemoContext) {
  const app = new Elysia({ name: 'demo/api' })
    .use(errorHandler())
    .use(jsonOnly())
    .use(healthRoutes(context))
    .use(specRoutes(context))
    .use(loginRoutes(context))
    .use(oidcLoginRoutes(context))
    .use(appLoginRoutes(context))
    .use(meRoutes(context))
    .use(orgRoutes(context))
    .use(projectRoutes(context))
    .use(databaseRoutes(context))
    .use(roleRoutes(context))
    .use(backupRoutes(context))
    .use(metricRoutes(context));
  return context.options.control ? app.use(regionRoutes(context)).use(controlRoutes(context)) : app;
}

export type DemoApp = ReturnType<typeof buildApp>;

/** A demo API and its handles. */
export interface DemoApi {
  /** The Elysia app: `app.handle(request)`, `app.listen(…)`, or mount it. */
  readonly app: DemoApp;
  /** The in-memory state, seeded. */
  readonly store: DemoStore;
  /** The served document (`spec.extend()` is what `POST /_demo/extend` calls). */
  readonly spec: SpecDocument;
  /** The users you can log in as, with their passwords. */
  readonly users: readonly DemoUser[];
  /** Lets the app's login page send the browser back to `uri` (Portico's callback, once it listens). */
  allowReturnTo(uri: string): void;
  readonly options: ResolvedDemoOptions;
}

/**
 * Builds a demo API with fresh, seeded state.
 * @param options - see `DemoApiOptions`; tests usually pass `{ slowMs: 0, settleMs: 0 }`.
 * @throws TypeError (`ERR_INVALID_ARG_VALUE`) for a negative or non-finite duration.
 * @example
 * const { app } = createDemoApi({ slowMs: 0 });
 * const res = await app.handle(new Request('http://localhost/v1/healthz'));
 */
export function createDemoApi(options?: DemoApiOptions): DemoApi {
  const resolved = resolveDemoOptions(options);
  const store = new DemoStore(resolved.now);
  seedStore(store);
  const spec = new SpecDocument();
  const appLogins = new AppLogins(resolved.now);
  const context: DemoContext = { store, sessions: new Sessions(resolved.tokenTtlMs, resolved.now), spec, options: resolved, appLogins };
  return { app: buildApp(context), store, spec, users: DEMO_USERS, options: resolved, allowReturnTo: (uri) => void appLogins.returnTo.add(uri) };
}
