import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { webauthn } from './webauthn.ts';
import { appendAuditInTx } from '../../audit/index.ts';
import { newToken } from '../../crypto/index.ts';
import { GatehouseError } from '../../errors/index.ts';
import { rateLimited, RateLimiter } from '../../ratelimit/index.ts';
import type { Db, Tx } from '../../store/db.ts';
import type { RequestContext } from '../core.ts';
import { issueChallenge, openChallenge, spendChallenge } from '../mfa/challenges.ts';
import { openCeremony, refuseSpent, sealCeremony, spendCeremony } from './ceremony.ts';
import type { PasskeysTable } from '../mfa/schema.ts';
import { keepRemovedFactor } from '../mfa/revert.ts';
import { attachWebauthn } from '../mfa/second-factor.ts';
import { mfaStore as m } from '../mfa/store.ts';
import { parseDevice } from '../device.ts';
import { deviceKey, DEVICE_TOKEN_RE } from '../limits.ts';
import { networkOf } from '../network.ts';
import { engineDenied, engineVerdict } from '../risk/engine.ts';
import { accountView, sessionView, type Authenticated, type IdentityService } from '../service.ts';
import { identityStore as q } from '../store.ts';

/**
 * Passkeys (WebAuthn) with @simplewebauthn/server: several per account, each with a name, registered
 * and removed only by a re-authenticated session; usable as the first factor (a discoverable credential,
 * no handle typed) and as the second factor after a password. Every ceremony's challenge is a
 * single-use sign-in step (mfa/challenges.ts) bound to the relying party id and the platform's origins,
 * so an assertion made for a phishing domain never verifies here.
 */

const MAX_PER_ACCOUNT = 20;
const CEREMONY_MS = 5 * 60_000;
const WINDOW_MS = 15 * 60_000;

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  backedUp: boolean;
}

const view = (p: PasskeysTable): PasskeyView => ({
  id: p.id,
  name: p.name,
  createdAt: p.created_at,
  lastUsedAt: p.last_used_at,
  backedUp: p.backed_up === 1,
});

const transportsOf = (p: PasskeysTable) => JSON.parse(p.transports) as string[];

export class Passkeys {
  private readonly id: IdentityService;
  /** Ceremonies started per network (in memory: options check no credential; answers are counted in the database). */
  private readonly options: RateLimiter;
  constructor(id: IdentityService) {
    this.id = id;
    this.options = new RateLimiter({ limit: 300, windowMs: WINDOW_MS, now: id.now });
  }

  private limitOptions(ip: string): void {
    const l = this.options.hit(networkOf(ip));
    if (!l.allowed) throw rateLimited(l.retryAfterSeconds);
  }
  /** The server's secret key seals sign-in ceremonies (as it seals TOTP secrets). */
  private get box() {
    const b = this.id.opts.secretBox;
    if (!b) throw new Error('passkey sign-in needs the server secret key (IdentityOptions.secretBox)');
    return b;
  }
  private get rp() {
    const o = this.id.signinOpts;
    return { id: o.rpId(), name: o.rpName, origins: o.rpOrigins() };
  }

  async list(accountId: string): Promise<PasskeyView[]> {
    return (await m.passkeys(this.id.db, accountId)).map(view);
  }

  /** Registration, step 1 (re-authenticated): the creation options and the ceremony token. */
  async registrationOptions(auth: Authenticated, name: string, ctx: RequestContext) {
    this.id.requireReauth(auth.session);
    const existing = await m.passkeys(this.id.db, auth.account.id);
    if (existing.length >= MAX_PER_ACCOUNT)
      throw new GatehouseError('VALIDATION_FAILED', `at most ${MAX_PER_ACCOUNT} passkeys per account`);
    const options = await (
      await webauthn()
    ).generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: auth.account.handle,
      userID: new TextEncoder().encode(auth.account.id),
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.id, transports: transportsOf(p) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    const c = await issueChallenge(this.id.db, {
      kind: 'passkey_register',
      accountId: auth.account.id,
      data: { challenge: options.challenge, name, session: auth.session.id },
      ip: ctx.ip,
      ttlMs: CEREMONY_MS,
      now: this.id.now(),
    });
    return { ceremony: c.token, options: { ...options } };
  }

  /** Registration, step 2: the authenticator's answer; the passkey is stored under its name. */
  async register(auth: Authenticated, ceremony: string, credential: unknown): Promise<PasskeyView> {
    this.id.requireReauth(auth.session);
    const t = this.id.now();
    const ch = await openChallenge<{ challenge: string; name: string; session: string }>(
      this.id.db,
      ceremony,
      'passkey_register',
      t,
    );
    if (ch.account_id !== auth.account.id || ch.parsed.session !== auth.session.id)
      throw new GatehouseError('SIGNIN_CHALLENGE_INVALID');
    let info;
    try {
      const r = await (
        await webauthn()
      ).verifyRegistrationResponse({
        response: credential as RegistrationResponseJSON,
        expectedChallenge: ch.parsed.challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.id,
        requireUserVerification: false,
      });
      if (!r.verified) throw new Error('not verified');
      info = r.registrationInfo;
    } catch (e) {
      throw new GatehouseError('PASSKEY_INVALID', String((e as Error).message).slice(0, 200));
    }
    const row: PasskeysTable = {
      id: info.credential.id,
      account_id: auth.account.id,
      name: ch.parsed.name,
      public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: JSON.stringify(info.credential.transports ?? []),
      backed_up: info.credentialBackedUp ? 1 : 0,
      created_at: t,
      last_used_at: null,
    };
    await this.id.db.transaction().execute(async (tx) => {
      await spendChallenge(tx, ch.id, t);
      if (await m.passkey(tx, row.id)) throw new GatehouseError('PASSKEY_INVALID', 'already registered');
      await m.insertPasskey(tx, row);
      await appendAuditInTx(tx, {
        actor: `account:${auth.account.id}`,
        action: 'passkey.registered',
        subject: auth.account.id,
        data: { passkey: row.id.slice(0, 32), name: row.name, session: auth.session.id },
        at: t,
      });
    });
    return view(row);
  }

  async remove(auth: Authenticated, passkeyId: string): Promise<void> {
    this.id.requireReauth(auth.session);
    const t = this.id.now();
    await this.id.db.transaction().execute(async (tx) => {
      const row = await m.passkey(tx, passkeyId);
      if (!row || row.account_id !== auth.account.id) throw new GatehouseError('PASSKEY_NOT_FOUND');
      // kept, so that a recovery can put the owner's passkey back when an intruder removed it
      await keepRemovedFactor(tx, auth.account.id, { kind: 'passkey', row }, auth.session.id, t);
      const r = await m.deletePasskey(tx, auth.account.id, passkeyId);
      if (Number(r.numDeletedRows) === 0) throw new GatehouseError('PASSKEY_NOT_FOUND');
      await appendAuditInTx(tx, {
        actor: `account:${auth.account.id}`,
        action: 'passkey.removed',
        subject: auth.account.id,
        data: { passkey: passkeyId.slice(0, 32), session: auth.session.id },
        at: t,
      });
    });
  }

  /**
   * First factor, step 1: options for a discoverable passkey (no handle: nothing to enumerate). The
   * ceremony is sealed with the server's secret key (passkeys/ceremony.ts): nothing is written until it
   * is answered, and any instance that shares the key and the database can take the answer.
   */
  async signInOptions(ctx: RequestContext) {
    this.limitOptions(ctx.ip);
    const options = await (
      await webauthn()
    ).generateAuthenticationOptions({
      rpID: this.rp.id,
      userVerification: 'preferred',
    });
    const ceremony = sealCeremony(this.box, options.challenge, this.id.now() + CEREMONY_MS);
    return { ceremony, options: { ...options } };
  }

  /** First factor, step 2: the assertion; a session for the passkey's account. */
  async signIn(
    ceremony: string,
    credential: unknown,
    ctx: RequestContext,
    deviceToken?: string,
    bindingKey?: unknown,
  ) {
    await this.limit(`passkey|signin|${networkOf(ctx.ip)}`, 100);
    const t = this.id.now();
    const ch = openCeremony(this.box, ceremony, t);
    await refuseSpent(this.id.db, ch);
    // verified on reads alone; the ceremony is spent and the counter moved in the session's own
    // transaction (one commit): a concurrent or later second use of the ceremony finds it spent there
    // and rolls back with its session
    const verified = await this.checkAssertion(this.id.db, undefined, ch.challenge, credential);
    if (!verified) throw new GatehouseError('PASSKEY_INVALID');
    // the account and when it last signed in from this device and network: one statement
    const read = await q.accountForSignIn(
      this.id.db,
      { id: verified.passkey.account_id },
      {
        network: networkOf(ctx.ip),
        deviceKey: deviceToken && DEVICE_TOKEN_RE.test(deviceToken) ? deviceKey(deviceToken) : undefined,
      },
    );
    const account = read?.account;
    const deviceSeen = read?.seen.device;
    const known = deviceSeen !== undefined;
    if (!account || account.state !== 'active')
      throw new GatehouseError(account?.state === 'frozen' ? 'ACCOUNT_FROZEN' : 'ACCOUNT_DELETED');
    // the engine asked before the session on a new device (risk/engine.ts): a passkey added while the
    // account was taken may be the intruder's own, so the engine's hold refuses it too
    const engine = await engineVerdict(this.id, account, ctx.ip, known, true);
    if (engine?.deny) {
      const parsed = parseDevice(ctx.userAgent);
      await this.id.recordFailure(account, account.handle_key, 'risk_denied', ctx, parsed, 'passkey');
      throw engineDenied(engine.signals);
    }
    const device = known ? deviceToken : undefined;
    const issued = device ?? newToken('ghd');
    const { token, session } = await this.id.startSession(account, 'passkey', ctx, issued, {
      steppedUp: 'passkey',
      ...(bindingKey !== undefined ? { bindingKey } : {}),
      seen: { device: deviceSeen, network: read!.seen.network },
      also: async (tx) => {
        await spendCeremony(tx, ch, { accountId: account.id, ip: ctx.ip, now: t });
        await m.usePasskey(tx, verified.passkey.id, verified.counter, t);
      },
    });
    return {
      token,
      session: sessionView(session, session.id),
      account: accountView(account),
      ...(known ? {} : { deviceToken: issued }),
    };
  }

  /** Second factor: options that allow only this account's passkeys, attached to the step. */
  async secondFactorOptions(step: string, ctx: RequestContext) {
    this.limitOptions(ctx.ip);
    const probe = await openChallenge<unknown>(this.id.db, step, 'second_factor', this.id.now());
    const keys = await m.passkeys(this.id.db, probe.account_id!);
    if (keys.length === 0) throw new GatehouseError('PASSKEY_NOT_FOUND');
    const options = await (
      await webauthn()
    ).generateAuthenticationOptions({
      rpID: this.rp.id,
      userVerification: 'preferred',
      allowCredentials: keys.map((p) => ({ id: p.id, transports: transportsOf(p) })),
    });
    await attachWebauthn(this.id, step, options.challenge);
    return { options: { ...options } };
  }

  /** Second factor: the assertion must come from one of this account's passkeys. */
  async verifySecondFactor(tx: Tx, accountId: string, challenge: string, credential: unknown) {
    return !!(await this.verifyAssertion(tx, accountId, challenge, credential));
  }

  private async verifyAssertion(
    tx: Db | Tx,
    accountId: string | undefined,
    challenge: string,
    credential: unknown,
  ): Promise<PasskeysTable | undefined> {
    const v = await this.checkAssertion(tx, accountId, challenge, credential);
    if (!v) return undefined;
    await m.usePasskey(tx, v.passkey.id, v.counter, this.id.now());
    return v.passkey;
  }

  /** The passkey an assertion verifies against and its new signature counter (reads only), or undefined. */
  private async checkAssertion(
    q: Db | Tx,
    accountId: string | undefined,
    challenge: string,
    credential: unknown,
  ): Promise<{ passkey: PasskeysTable; counter: number } | undefined> {
    const c = credential as AuthenticationResponseJSON | undefined;
    if (!c || typeof c.id !== 'string' || c.id.length > 1024) return undefined;
    const p = await m.passkey(q, c.id);
    if (!p || (accountId !== undefined && p.account_id !== accountId)) return undefined;
    try {
      const r = await (
        await webauthn()
      ).verifyAuthenticationResponse({
        response: c,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.id,
        credential: {
          id: p.id,
          publicKey: Buffer.from(p.public_key, 'base64url'),
          counter: p.counter,
          transports: transportsOf(p) as never,
        },
        requireUserVerification: false,
      });
      return r.verified ? { passkey: p, counter: r.authenticationInfo.newCounter } : undefined;
    } catch {
      return undefined;
    }
  }

  private async limit(key: string, limit: number): Promise<void> {
    const r = await this.id.counters.reserve([{ key, limit, windowMs: WINDOW_MS }]);
    if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
  }
}
