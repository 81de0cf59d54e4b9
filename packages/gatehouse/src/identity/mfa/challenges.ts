import { hashToken, newId, newToken } from '../../crypto/index.ts';
import { GatehouseError } from '../../errors/index.ts';
import type { Db, Tx } from '../../store/db.ts';
import type { SigninChallengesTable } from './schema.ts';
import { mfaStore as m } from './store.ts';

/**
 * Short-lived, single-use sign-in steps (a token the client holds, its SHA-256 in the database): the
 * second factor after a correct password, and WebAuthn ceremonies. A step is spent exactly once, dies
 * after a few wrong answers, and is never valid past its expiry.
 */

export const CHALLENGE_MAX_ATTEMPTS = 5;
const TOKEN_RE = /^ghc_[A-Za-z0-9_-]{43}$/;

export type ChallengeKind = 'second_factor' | 'passkey_register' | 'passkey_signin';

export async function issueChallenge(
  q: Db | Tx,
  c: { kind: ChallengeKind; accountId: string | null; data: unknown; ip: string; ttlMs: number; now: number },
): Promise<{ token: string; id: string; expiresAt: number }> {
  const token = newToken('ghc');
  const row: SigninChallengesTable = {
    id: newId('sch'),
    token_hash: hashToken(token),
    kind: c.kind,
    account_id: c.accountId,
    data: JSON.stringify(c.data),
    ip: c.ip,
    attempts: 0,
    created_at: c.now,
    expires_at: c.now + c.ttlMs,
    used_at: null,
  };
  await m.insertChallenge(q, row);
  // old steps are of no use to anyone: forget them now and then
  if (row.id.charCodeAt(5) % 16 === 0) await m.pruneChallenges(q, c.now - 86_400_000);
  return { token, id: row.id, expiresAt: row.expires_at };
}

/** The open step of this token and kind, or SIGNIN_CHALLENGE_INVALID (unknown, expired, spent, dead). */
export async function openChallenge<T>(
  q: Db | Tx,
  token: string,
  kind: ChallengeKind,
  now: number,
): Promise<SigninChallengesTable & { parsed: T }> {
  const row = TOKEN_RE.test(token) ? await m.challengeByHash(q, hashToken(token)) : undefined;
  if (
    !row ||
    row.kind !== kind ||
    row.used_at !== null ||
    row.expires_at <= now ||
    row.attempts >= CHALLENGE_MAX_ATTEMPTS
  )
    throw new GatehouseError('SIGNIN_CHALLENGE_INVALID');
  return { ...row, parsed: JSON.parse(row.data) as T };
}

/** A wrong answer: counted, and the step dies at CHALLENGE_MAX_ATTEMPTS. */
export async function failChallenge(q: Db | Tx, row: SigninChallengesTable, now: number): Promise<void> {
  await m.failChallenge(q, row.id);
  if (row.attempts + 1 >= CHALLENGE_MAX_ATTEMPTS) await m.spendChallenge(q, row.id, now);
}

/** Spends the step; SIGNIN_CHALLENGE_INVALID when a concurrent request spent it first. */
export async function spendChallenge(q: Db | Tx, id: string, now: number): Promise<void> {
  if (!(await m.spendChallenge(q, id, now))) throw new GatehouseError('SIGNIN_CHALLENGE_INVALID');
}
