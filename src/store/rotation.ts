/**
 * @module store/rotation
 * The refresh-token reuse policy (security research §2.6), decided in one place so both backends apply it alike.
 * Every refresh rotates. The token just rotated may be presented again for a short while, as long as no successor
 * has been used: that covers a client that lost the response or refreshed twice at once. Any other reuse means two
 * parties hold the token, and we cannot tell which one is the thief, so the whole grant goes.
 */
import type { RefreshTokenRecord } from './contract';

/** An unknown token is answered before any decision: there is nothing to decide about. */
export type RotationDecision = 'expired' | 'rotate' | 'grace' | 'revoke';

/**
 * @param token the presented token, read under the lock that serialises rotations of its grant
 * @param successorUsed whether any token rotated from it has itself been presented
 */
export function decideRotation(
  token: Pick<RefreshTokenRecord, 'expiresAt' | 'usedAt'>,
  successorUsed: boolean,
  now: number,
  graceMs: number,
): RotationDecision {
  if (now >= token.expiresAt) return 'expired';
  if (token.usedAt === null) return 'rotate';
  if (now - token.usedAt <= graceMs && !successorUsed) return 'grace';
  return 'revoke';
}
