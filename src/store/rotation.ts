/**
 * @module store/rotation
 * The refresh-token reuse policy (security research §2.6), decided in one place so both backends apply it alike.
 * Every refresh rotates, and the rotation keeps its successor (sealed by the caller) with the token it replaced.
 * That token may be presented again for a short while, as long as no successor has been used: that covers a client
 * that lost the response or refreshed twice at once, and it is answered with the same successor — never a new one,
 * so retries cannot fork the grant into chains of which a thief keeps one. Any other reuse means two parties hold
 * the token, and we cannot tell which one is the thief, so the whole grant goes.
 */
import type { RefreshTokenRecord } from './contract';

/** The presented token as the policy sees it, read under the lock that serialises rotations of its grant. */
export interface RotationState extends Pick<RefreshTokenRecord, 'expiresAt' | 'usedAt'> {
  /**
   * The sealed successor its rotation kept; null while it is unused, and for a token rotated before successors
   * were kept (an upgrade), which then has no answer for a retry.
   */
  successor: string | null;
  /** Whether any token rotated from it has itself been presented. */
  successorUsed: boolean;
}

/** An unknown token is answered before any decision: there is nothing to decide about. */
export type RotationDecision =
  | { kind: 'expired' }
  | { kind: 'rotate' }
  /** Answer with the successor the rotation kept; store nothing. */
  | { kind: 'grace'; successor: string }
  | { kind: 'revoke' };

export function decideRotation(token: RotationState, now: number, graceMs: number): RotationDecision {
  if (now >= token.expiresAt) return { kind: 'expired' };
  if (token.usedAt === null) return { kind: 'rotate' };
  // without a kept successor a retry could only be given a new pair, a fork: it is treated as any other reuse
  if (now - token.usedAt <= graceMs && !token.successorUsed && token.successor !== null) return { kind: 'grace', successor: token.successor };
  return { kind: 'revoke' };
}
