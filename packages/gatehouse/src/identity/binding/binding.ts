import { randomBytes } from 'node:crypto';
import { GatehouseError } from '../../errors/index.ts';
import type { Db } from '../../store/db.ts';
import { p256Key, verifyEs256 } from '../p256.ts';
import type { SessionsTable } from '../schema.ts';

/**
 * Device-bound sessions, in the shape of Chrome's Device Bound Session Credentials: a client that signs in
 * with a `bindingKey` (the public half of a P-256 key pair it cannot export) gets a session whose proof
 * lasts `sessionBindingRefreshMinutes`; then every request answers SESSION_REFRESH_REQUIRED until the
 * client signs a fresh server challenge with its key (POST /v1/auth/session/challenge, then
 * /v1/auth/session/refresh). A cookie or token copied off the device (malware, a relayed page) works at
 * most until that refresh and never after it.
 */

const CHALLENGE_MS = 5 * 60_000;

export const bindingKeyOf = (jwk: unknown): string => p256Key(jwk, 'bindingKey').canonical;

export const refreshMessage = (sessionId: string, challenge: string) =>
  `gatehouse-session-refresh|${sessionId}|${challenge}`;

export function refreshRequired(): GatehouseError {
  return new GatehouseError(
    'SESSION_REFRESH_REQUIRED',
    'This device-bound session must prove its key: POST /v1/auth/session/challenge, sign it, POST /v1/auth/session/refresh',
    {
      extra: {
        challengePath: '/v1/auth/session/challenge',
        refreshPath: '/v1/auth/session/refresh',
        zh: '此会话已绑定设备，需要用设备密钥重新证明：先获取挑战，签名后提交刷新',
      },
    },
  );
}

/** A fresh challenge for a bound session (replaces any pending one). */
export async function refreshChallenge(
  db: Db,
  session: SessionsTable,
  now: number,
): Promise<{ challenge: string; expiresAt: number }> {
  if (session.binding_key === null)
    throw new GatehouseError('SESSION_BINDING_INVALID', 'This session is not bound to a device key');
  const challenge = `${now}.${randomBytes(32).toString('base64url')}`;
  await db
    .updateTable('sessions')
    .set({ binding_challenge: challenge })
    .where('id', '=', session.id)
    .execute();
  return { challenge, expiresAt: now + CHALLENGE_MS };
}

/** Checks the signature of the pending challenge (spent either way) and extends the proof. */
export async function refreshBound(
  db: Db,
  session: SessionsTable,
  signature: string,
  now: number,
  refreshMs: number,
): Promise<{ boundUntil: number }> {
  const challenge = session.binding_challenge;
  if (session.binding_key === null || challenge === null)
    throw new GatehouseError('SESSION_BINDING_INVALID', 'Ask for a challenge first');
  const issued = Number(challenge.split('.')[0]);
  // the challenge is spent by this attempt, right or wrong (one guess per challenge)
  const spent = await db
    .updateTable('sessions')
    .set({ binding_challenge: null })
    .where('id', '=', session.id)
    .where('binding_challenge', '=', challenge)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) !== 1)
    throw new GatehouseError('SESSION_BINDING_INVALID', 'The challenge was already used');
  if (
    !(issued + CHALLENGE_MS > now) ||
    !verifyEs256(session.binding_key, refreshMessage(session.id, challenge), signature)
  )
    throw new GatehouseError(
      'SESSION_BINDING_INVALID',
      'The signature is not this session’s key over the challenge',
    );
  const boundUntil = now + refreshMs;
  await db.updateTable('sessions').set({ bound_until: boundUntil }).where('id', '=', session.id).execute();
  return { boundUntil };
}
