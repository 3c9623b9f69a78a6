/**
 * @module demo/routes/login
 * `POST /v1/auth/login` (`login`): email + password → a bearer token. An unknown email and a wrong password get
 * the same 401, after the same amount of work.
 */
import { Elysia } from 'elysia';
import { RANK } from '../access';
import type { DemoContext } from '../context';
import type { MemberRole } from '../models';
import { ApiError } from '../errors';
import { renderUser } from '../render';
import { LoginBody } from '../schemas';
import type { UserRecord } from '../store';
import { readBody } from '../validate';

function highestRole(roles: readonly MemberRole[]): MemberRole | undefined {
  return roles.reduce<MemberRole | undefined>((top, role) => (top === undefined || RANK[role] > RANK[top] ? role : top), undefined);
}

/** Checked when the email is unknown, so that both failures cost one bcrypt verification. */
const DUMMY_HASH = Bun.password.hashSync('no-such-user-password', { algorithm: 'bcrypt', cost: 4 });

export const loginRoutes = ({ store, sessions }: DemoContext) =>
  new Elysia({ prefix: '/v1' }).post('/auth/login', async function login({ body }) {
    const { email, password } = readBody(LoginBody, body);
    const user = await checkPassword(store, email, password);
    if (!user) throw new ApiError(401, 'invalid_credentials', 'wrong email or password');
    return sessionAnswer({ store, sessions }, user);
  });

/**
 * The user with this email and password, or undefined — after the same work either way. A user who signed up
 * with the OpenID provider has no password here: the same refusal as a wrong one.
 */
export async function checkPassword(store: DemoContext['store'], email: string, password: string): Promise<UserRecord | undefined> {
  const user = store.userByEmail(email);
  const matches = await Bun.password.verify(password, user?.passwordHash ?? DUMMY_HASH);
  return user && user.passwordHash && matches ? user : undefined;
}

/** The answer of every sign-in endpoint: a new token for `user`, when it expires, their highest role and who they are. */
export function sessionAnswer({ store, sessions }: Pick<DemoContext, 'store' | 'sessions'>, user: UserRecord) {
  const { token, expiresAt } = sessions.issue(user.id);
  const role = highestRole(store.memberships.filter((m) => m.user_id === user.id).map((m) => m.role));
  return { token, expires_at: store.iso(expiresAt), ...(role && { role }), user: renderUser(user) };
}
