import { appendAuditInTx } from '../../audit/index.ts';
import { GatehouseError } from '../../errors/index.ts';
import { rateLimited } from '../../ratelimit/index.ts';
import type { RequestContext } from '../core.ts';
import { parseDevice } from '../device.ts';
import { networkOf } from '../network.ts';
import type { AccountsTable } from '../schema.ts';
import { accountView, sessionView, type IdentityService } from '../service.ts';
import { identityStore as q } from '../store.ts';
import { failChallenge, issueChallenge, openChallenge, spendChallenge } from './challenges.ts';
import { mfaStore as m } from './store.ts';

/**
 * The second factor at sign-in. An account with an authenticator app or a passkey that signs in with
 * its password from a device or network it never signed in from gets no session yet: the answer is
 * SIGNIN_SECOND_FACTOR_REQUIRED with a short-lived single-use challenge token, which
 * POST /v1/auth/signin/second-factor exchanges, with a TOTP code, a recovery code or a passkey, for the
 * session. Answers are counted per account and per network before they are checked.
 */

export type SecondFactorMethod = 'totp' | 'recovery_code' | 'passkey';

export interface SecondFactorStep {
  /** The device token the session will remember (a new one when the device was not known). */
  deviceToken: string | undefined;
  newDevice: boolean;
  /**
   * What the sign-in read already (identity/store.ts `accountForSignIn`): the account's second factors and
   * whether it signed in from this network before. Read here when absent.
   */
  read?: { factors: { totp: boolean; passkeys: number }; knownNetwork: boolean };
}

const WINDOW_MS = 15 * 60_000;

/** Which second factors the account has; empty when it has none (then no step is asked). */
export async function secondFactorMethods(id: IdentityService, accountId: string) {
  return methodsOf(id, await m.hasSecondFactor(id.db, accountId));
}

function methodsOf(id: IdentityService, f: { totp: boolean; passkeys: number }): SecondFactorMethod[] {
  const out: SecondFactorMethod[] = [];
  if (f.totp) out.push('totp');
  if (f.passkeys > 0) out.push('passkey');
  if (out.length && id.opts.spendRecoveryCode) out.push('recovery_code');
  return out;
}

/**
 * After a correct password: throws SIGNIN_SECOND_FACTOR_REQUIRED (with the step's token) when the account
 * has a second factor and the device or the network is new to it; returns otherwise.
 */
export async function askSecondFactorIfNeeded(
  id: IdentityService,
  account: AccountsTable,
  ctx: RequestContext,
  step: SecondFactorStep,
): Promise<void> {
  const methods = step.read ? methodsOf(id, step.read.factors) : await secondFactorMethods(id, account.id);
  if (methods.length === 0) return;
  const network = networkOf(ctx.ip);
  const knownNetwork = step.read
    ? step.read.knownNetwork
    : !!(await q.knownContext(id.db, account.id, 'network', network));
  if (!step.newDevice && knownNetwork) return;
  const now = id.now();
  const c = await issueChallenge(id.db, {
    kind: 'second_factor',
    accountId: account.id,
    data: { deviceToken: step.deviceToken, newDevice: step.newDevice },
    ip: ctx.ip,
    ttlMs: id.signinOpts.challengeMs,
    now,
  });
  const device = parseDevice(ctx.userAgent).label;
  // every held sign-in explains itself: each named signal with its value, in both languages
  const signals = [
    ...(step.newDevice
      ? [
          {
            name: 'new_device',
            value: device,
            en: `No device token this account issued: a device it never signed in from (${device})`,
            zh: `没有该账号签发的设备令牌：从未登录过的设备（${device}）`,
          },
        ]
      : []),
    ...(knownNetwork
      ? []
      : [
          {
            name: 'new_network',
            value: network,
            en: `A network this account never signed in from (${network})`,
            zh: `该账号从未登录过的网络（${network}）`,
          },
        ]),
  ];
  const why = signals.map((x) => x.name);
  throw new GatehouseError(
    'SIGNIN_SECOND_FACTOR_REQUIRED',
    'This device or network is new to the account: confirm with your authenticator app, a passkey or a recovery code',
    {
      extra: {
        challenge: c.token,
        expiresAt: c.expiresAt,
        methods,
        why,
        signals,
        path: '/v1/auth/signin/second-factor',
        zh: '此设备或网络对该账号是新的：请用身份验证器应用、通行密钥或恢复码确认',
      },
    },
  );
}

export interface SecondFactorAnswer {
  challenge: string;
  method: SecondFactorMethod;
  code?: string | undefined;
  /** A passkey assertion (for method "passkey"), against the options of /second-factor/passkey. */
  credential?: unknown;
  /** Binds the new session to this P-256 public key (identity/binding). */
  bindingKey?: unknown;
}

/** Checks the answer and, when it is right, starts the session the password step held back. */
export async function completeSecondFactor(id: IdentityService, a: SecondFactorAnswer, ctx: RequestContext) {
  const now = id.now();
  const ch = await openChallenge<{ deviceToken?: string; newDevice: boolean; webauthn?: string }>(
    id.db,
    a.challenge,
    'second_factor',
    now,
  );
  const accountId = ch.account_id!;
  const r = await id.counters.reserve([
    { key: `mfa|account|${accountId}`, limit: id.signinOpts.secondFactorMaxPerAccount, windowMs: WINDOW_MS },
    {
      key: `mfa|network|${networkOf(ctx.ip)}`,
      limit: id.signinOpts.secondFactorMaxPerNetwork,
      windowMs: WINDOW_MS,
    },
  ]);
  if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
  const ok = await id.db.transaction().execute(async (tx) => {
    let good = false;
    if (a.method === 'totp') good = !!a.code && (await id.totp.verify(tx, accountId, a.code));
    else if (a.method === 'recovery_code')
      good =
        !!a.code && !!id.opts.spendRecoveryCode && (await id.opts.spendRecoveryCode(tx, accountId, a.code));
    else if (a.method === 'passkey')
      good =
        ch.parsed.webauthn !== undefined &&
        (await id.passkeys.verifySecondFactor(tx, accountId, ch.parsed.webauthn, a.credential));
    if (good) {
      await spendChallenge(tx, ch.id, now);
      await appendAuditInTx(tx, {
        actor: `account:${accountId}`,
        action: 'signin.second_factor',
        subject: accountId,
        data: { method: a.method, ip: ctx.ip },
        at: now,
      });
    }
    return good;
  });
  if (!ok) {
    await failChallenge(id.db, ch, now);
    throw new GatehouseError('SECOND_FACTOR_INVALID');
  }
  await id.counters.clear([`mfa|account|${accountId}`]);
  const account = await q.accountById(id.db, accountId);
  if (!account || account.state !== 'active')
    throw new GatehouseError(account?.state === 'frozen' ? 'ACCOUNT_FROZEN' : 'ACCOUNT_DELETED');
  const { token, session } = await id.startSession(account, 'password', ctx, ch.parsed.deviceToken, {
    steppedUp: a.method,
    ...(a.bindingKey !== undefined ? { bindingKey: a.bindingKey } : {}),
  });
  return {
    token,
    session: sessionView(session, session.id),
    account: accountView(account),
    ...(ch.parsed.newDevice && ch.parsed.deviceToken ? { deviceToken: ch.parsed.deviceToken } : {}),
  };
}

/** Stores the WebAuthn challenge of a passkey answer on the step (the options the client signs). */
export async function attachWebauthn(id: IdentityService, token: string, webauthnChallenge: string) {
  const ch = await openChallenge<Record<string, unknown>>(id.db, token, 'second_factor', id.now());
  await m.setChallengeData(id.db, ch.id, JSON.stringify({ ...ch.parsed, webauthn: webauthnChallenge }));
  return ch.account_id!;
}

/**
 * Step-up with the authenticator app: the session proves a second factor now (it may then answer "was
 * this you?" about activity older than itself, like a recovery-code step-up). Counted per account.
 */
export async function stepUpWithTotp(
  id: IdentityService,
  auth: { account: { id: string }; session: { id: string } },
  code: string,
  ctx: RequestContext,
): Promise<{ steppedUpAt: number }> {
  const accountId = auth.account.id;
  const r = await id.counters.reserve([
    { key: `mfa|account|${accountId}`, limit: id.signinOpts.secondFactorMaxPerAccount, windowMs: WINDOW_MS },
    {
      key: `mfa|network|${networkOf(ctx.ip)}`,
      limit: id.signinOpts.secondFactorMaxPerNetwork,
      windowMs: WINDOW_MS,
    },
  ]);
  if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
  const t = id.now();
  await id.db.transaction().execute(async (tx) => {
    if (!(await id.totp.verify(tx, accountId, code))) throw new GatehouseError('SECOND_FACTOR_INVALID');
    await id.markStepUp(accountId, auth.session.id, 'totp', tx);
  });
  await id.counters.clear([`mfa|account|${accountId}`]);
  return { steppedUpAt: t };
}
