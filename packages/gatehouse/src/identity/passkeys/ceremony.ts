import { hashToken, newId } from '../../crypto/index.ts';
import { GatehouseError } from '../../errors/index.ts';
import type { Db, Tx } from '../../store/db.ts';
import type { IdentityOptions } from '../core.ts';
import { mfaStore as m } from '../mfa/store.ts';

/**
 * The passkey sign-in ceremony, sealed instead of stored. Its options are asked for by anyone (no handle),
 * so writing a row for each would cost a commit per attempt and let a flood of requests fill the table.
 * The ceremony token is the WebAuthn challenge and its expiry sealed (AES-256-GCM) with the server's
 * secret key: it cannot be forged or extended, and any instance that shares the key can take its answer.
 * Single use is the database's: the answer's session transaction inserts the spent ceremony (keyed by
 * the SHA-256 of its challenge, unique) and a second use, concurrent or later, finds it and rolls back
 * with its session. The spent row outlives the ceremony's expiry, after which it is refused anyway.
 */

const PREFIX = 'ghp_';
const CONTEXT = 'gatehouse passkey sign-in ceremony';
const TOKEN_RE = /^ghp_v1\.[A-Za-z0-9_-]{40,200}$/;
const CHALLENGE_RE = /^[A-Za-z0-9_-]{16,128}$/;
/** Spent ceremonies are kept this long past their expiry (they are refused once expired in any case). */
const KEEP_SPENT_MS = 86_400_000;

type Box = NonNullable<IdentityOptions['secretBox']>;

export interface Ceremony {
  challenge: string;
  expiresAt: number;
}

export function sealCeremony(box: Box, challenge: string, expiresAt: number): string {
  return `${PREFIX}${box.seal(`${challenge}.${expiresAt}`, CONTEXT)}`;
}

/** The ceremony of this token, or SIGNIN_CHALLENGE_INVALID (malformed, forged, sealed with another key, expired). */
export function openCeremony(box: Box, token: string, now: number): Ceremony {
  const invalid = () => new GatehouseError('SIGNIN_CHALLENGE_INVALID');
  if (typeof token !== 'string' || !TOKEN_RE.test(token)) throw invalid();
  let plain: string;
  try {
    plain = box.open(token.slice(PREFIX.length), CONTEXT);
  } catch {
    throw invalid();
  }
  const dot = plain.lastIndexOf('.');
  const challenge = plain.slice(0, dot);
  const expiresAt = Number(plain.slice(dot + 1));
  if (dot < 0 || !CHALLENGE_RE.test(challenge) || !Number.isSafeInteger(expiresAt) || expiresAt <= now)
    throw invalid();
  return { challenge, expiresAt };
}

const spentKey = (c: Ceremony) => hashToken(`passkey_signin|${c.challenge}`);

/**
 * SIGNIN_CHALLENGE_INVALID when the ceremony was spent already: a used ceremony says so before its answer
 * is checked (the insert in `spendCeremony` is what makes it single-use).
 */
export async function refuseSpent(db: Db, c: Ceremony): Promise<void> {
  if (await m.challengeByHash(db, spentKey(c))) throw new GatehouseError('SIGNIN_CHALLENGE_INVALID');
}

/**
 * Spends the ceremony in the answer's transaction; SIGNIN_CHALLENGE_INVALID (and the transaction rolls
 * back) when it was spent before.
 */
export async function spendCeremony(
  tx: Tx,
  c: Ceremony,
  at: { accountId: string; ip: string; now: number },
): Promise<void> {
  const id = newId('sch');
  const fresh = await m.insertSpentChallenge(tx, {
    id,
    token_hash: spentKey(c),
    kind: 'passkey_signin',
    account_id: at.accountId,
    data: '{}',
    ip: at.ip,
    attempts: 0,
    created_at: at.now,
    expires_at: c.expiresAt,
    used_at: at.now,
  });
  if (!fresh) throw new GatehouseError('SIGNIN_CHALLENGE_INVALID');
  // spent ceremonies of no further use: forgotten now and then
  if (id.charCodeAt(5) % 16 === 0) await m.pruneChallenges(tx, at.now - KEEP_SPENT_MS);
}
