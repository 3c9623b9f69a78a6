/**
 * `portico check` and the password sign-in, against the bundled demo API running for real (its document discovered
 * at the upstream, as `serve` finds it): the login operation is looked up in the document and must take the fields
 * Portico will send; a login path or field the document does not have fails the check, naming the setting to fix.
 * The operations `serve` withholds from the tools are listed with why.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { startDemoApi, type RunningDemoApi } from '../../src/demo';
import { removeTempDirs, ROOT, run, tempDir } from './run';

let demo: RunningDemoApi;
beforeAll(async () => {
  demo = await startDemoApi({ port: 0 });
});
afterAll(async () => {
  await demo.stop();
  removeTempDirs();
});

/** `portico check …` from the sources, with sign-in against the demo API and only the PORTICO_* variables given here. */
function check(env: Record<string, string> = {}) {
  const inherited = Object.keys(process.env).filter((name) => name.startsWith('PORTICO_'));
  const dir = tempDir();
  return run([process.execPath, join(ROOT, 'src/main.ts'), 'check'], {
    cwd: dir,
    env: { PORTICO_UPSTREAM: demo.baseUrl, PORTICO_DATABASE_URL: join(dir, 'portico.db'), ...env },
    unsetEnv: inherited.filter((name) => !(name in env)),
  });
}

/** The report's line for `label` (its text, continuation lines included). */
function line(stdout: string, label: string): string {
  const match = new RegExp(`^  ${label.replace(' ', '\\s')}\\s+(.*(?:\\n {4,}\\S.*)*)`, 'm').exec(stdout);
  return match?.[1]?.replace(/\n\s+/g, ' ') ?? '';
}

describe('portico check: the password sign-in', () => {
  test('no login settings: the fields come from the login operation in the API\'s document, which takes them; the login is no tool', async () => {
    const { code, stdout, stderr } = await check();
    expect(stderr).not.toContain('sign-in');
    expect(code).toBe(0);
    expect(line(stdout, 'sign-in')).toBe(
      `password, checked by the API's login endpoint POST ${demo.baseUrl}/auth/login (fields email, password); the fields from the API's document ` +
        "checked: POST /auth/login (login) in the API's document takes them",
    );
    expect(line(stdout, 'tools')).toStartWith('24 ');
    expect(stdout).toContain('note: withheld POST /auth/login (login): sign-in operation, not offered as a tool');
    expect(stdout).toContain('All checks passed');
  });

  test('fields set explicitly win, and are checked too', async () => {
    const { code, stdout } = await check({ PORTICO_LOGIN_USERNAME_FIELD: 'email', PORTICO_LOGIN_PASSWORD_FIELD: 'password' });
    expect(code).toBe(0);
    // "password" is the default, so it counts as not set: it is what the document names as well
    expect(line(stdout, 'sign-in')).toContain('(fields email, password); the fields email from the settings, password from the API\'s document checked:');
  });

  test('a login path that is not an operation of the document: exit 1, naming the operation it has and the setting', async () => {
    const { code, stdout, stderr } = await check({ PORTICO_LOGIN_PATH: '/auth/signin' });
    expect(code).toBe(1);
    expect(line(stdout, 'sign-in')).toBe('FAILED (see below)');
    expect(stderr).toContain(
      "sign-in: password, checked by the API's login endpoint POST " +
        `${demo.baseUrl}/auth/signin (fields username, password); the fields from the defaults; ` +
        "the login operation POST /auth/signin (PORTICO_LOGIN_PATH) is not in the API's document; it has POST /auth/login (login): set PORTICO_LOGIN_PATH to the path of the API's login operation",
    );
    // not the sign-in operation any more: the login is a tool again, which is what the operator should notice
    expect(line(stdout, 'tools')).toStartWith('25 ');
  });

  test('a username field the login operation does not take: exit 1, naming the fields it reads and the setting', async () => {
    const { code, stderr } = await check({ PORTICO_LOGIN_USERNAME_FIELD: 'nickname' });
    expect(code).toBe(1);
    expect(stderr).toContain('POST /auth/login (login) reads "email", "password" from its request body; it takes no "nickname" field for the username: set PORTICO_LOGIN_USERNAME_FIELD');
  });

  test('PORTICO_CREDENTIAL_OPERATIONS: the operations named are withheld too; a rule that names nothing is pointed out', async () => {
    const { code, stdout } = await check({ PORTICO_CREDENTIAL_OPERATIONS: 'createRole, POST /no/such/path' });
    expect(code).toBe(0);
    expect(line(stdout, 'tools')).toStartWith('23 ');
    expect(stdout).toContain('note: withheld POST /projects/{projectId}/databases/{databaseId}/roles (createRole): issues credentials (a configured credential operation), not offered as a tool');
    expect(stdout).toContain('note: the credential operation "POST /no/such/path" is not an operation of the document (PORTICO_CREDENTIAL_OPERATIONS)');
  });

  test('with auth none there is no sign-in to check, and the login is withheld all the same', async () => {
    const { code, stdout } = await check({ PORTICO_AUTH: 'none' });
    expect(code).toBe(0);
    expect(line(stdout, 'sign-in')).toBe('');
    expect(stdout).toContain('note: withheld POST /auth/login (login): sign-in operation, not offered as a tool');
  });
});
