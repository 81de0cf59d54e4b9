import { createHash } from 'node:crypto';
import { webauthn } from '../identity/passkeys/webauthn.ts';
import { safeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { IdentityService } from '../identity/index.ts';
import { mfaStore as m } from '../identity/mfa/store.ts';
import type { Db, Tx } from '../store/db.ts';
import { changeCounts, type FactorScope } from './factors.ts';
import { recoveryStore as q } from './store.ts';
import type { Answer, CaseRef, CheckResult, ScopeFor, StartResult, Verifier } from './verifiers.ts';

/**
 * The owner's sign-in factors as appeal verifiers: a passkey (WebAuthn assertion against the account's
 * credentials, with a single-use challenge bound to the case) and an authenticator app (TOTP, each time
 * step accepted once, shared with sign-in). Like every recovery factor they count only in the case's
 * scope (factors.ts): a passkey registered or an authenticator app confirmed inside the compromise
 * window, or still in its cooling-off, is not offered and does not verify, so an intruder who enrolled
 * its own during the takeover cannot use it to win the appeal.
 */

interface SigninVerifierOptions {
  now: () => number;
  scopeFor: ScopeFor;
  ttlMs: number;
}

/** The case's challenge as stored: a hash, so the table holds nothing an assertion could be replayed against. */
const challengeHash = (caseId: string, challenge: string) =>
  createHash('sha256').update(`gatehouse-recovery-webauthn|${caseId}|${challenge}`).digest('hex');

/** The challenge an assertion was made for, from its clientDataJSON (undefined if unreadable). */
function assertedChallenge(credential: unknown): string | undefined {
  const c = credential as { response?: { clientDataJSON?: unknown } } | undefined;
  const raw = c?.response?.clientDataJSON;
  if (typeof raw !== 'string' || raw.length > 4096) return undefined;
  try {
    const data = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' && data.challenge.length <= 512 ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}

export class PasskeyVerifier implements Verifier {
  readonly kind = 'passkey' as const;
  private readonly db: Db;
  private readonly identity: IdentityService;
  private readonly o: SigninVerifierOptions;
  constructor(db: Db, identity: IdentityService, o: SigninVerifierOptions) {
    this.db = db;
    this.identity = identity;
    this.o = o;
  }
  /** The account's passkeys that count in `scope` (registered before the window and past the cooling-off). */
  private async usable(q0: Db | Tx, accountId: string, scope: FactorScope) {
    return (await m.passkeys(q0, accountId)).filter((p) => changeCounts(p.created_at, scope));
  }
  async available(accountId: string, scope = this.o.scopeFor(accountId)): Promise<boolean> {
    return (await this.usable(this.db, accountId, scope)).length > 0;
  }
  async start(c: CaseRef): Promise<StartResult> {
    const keys = await this.usable(this.db, c.accountId, c.scope);
    if (keys.length === 0) throw new GatehouseError('RECOVERY_METHOD_UNAVAILABLE');
    const options = await (
      await webauthn()
    ).generateAuthenticationOptions({
      rpID: this.identity.signinOpts.rpId(),
      userVerification: 'preferred',
      allowCredentials: keys.map((p) => ({
        id: p.id,
        transports: JSON.parse(p.transports) as never,
      })),
    });
    const expiresAt = this.o.now() + this.o.ttlMs;
    return {
      instructions: {
        en: 'Use a passkey you added to this account before it was taken over (your phone, computer or security key).',
        zh: '请使用账号被盗之前您添加的通行密钥（手机、电脑或安全密钥）。',
      },
      webauthn: { ...options },
      expiresAt,
      challenges: [{ target: 'webauthn', codeHash: challengeHash(c.id, options.challenge), expiresAt }],
    };
  }
  async check(tx: Tx, c: CaseRef, answer: Answer): Promise<CheckResult> {
    const t = this.o.now();
    const live = (await q.challenges(tx, c.id, this.kind)).filter(
      (r) => r.consumed_at === null && r.expires_at > t,
    );
    if (live.length === 0) return { outcome: 'expired' };
    const challenge = assertedChallenge(answer.credential);
    if (challenge === undefined) return { outcome: 'wrong' };
    const hit = live.find((r) => safeEqual(challengeHash(c.id, challenge), r.code_hash));
    if (!hit) return { outcome: 'wrong' };
    // only a passkey that counts in the case's scope: not one the intruder registered during the takeover
    const credId = (answer.credential as { id?: unknown }).id;
    const keys = await this.usable(tx, c.accountId, c.scope);
    if (typeof credId !== 'string' || !keys.some((p) => p.id === credId)) return { outcome: 'wrong' };
    if (!(await this.identity.passkeys.verifySecondFactor(tx, c.accountId, challenge, answer.credential)))
      return { outcome: 'wrong' };
    return (await q.consumeChallenge(tx, hit.id, t)) ? { outcome: 'verified' } : { outcome: 'expired' };
  }
}

export class TotpVerifier implements Verifier {
  readonly kind = 'totp' as const;
  private readonly db: Db;
  private readonly identity: IdentityService;
  private readonly o: SigninVerifierOptions;
  constructor(db: Db, identity: IdentityService, o: SigninVerifierOptions) {
    this.db = db;
    this.identity = identity;
    this.o = o;
  }
  /** Whether the account's authenticator app counts in `scope` (confirmed before the window, cooled off). */
  private async counts(q0: Db | Tx, accountId: string, scope: FactorScope): Promise<boolean> {
    const row = await m.totp(q0, accountId);
    return !!row && row.confirmed_at !== null && changeCounts(row.confirmed_at, scope);
  }
  async available(accountId: string, scope = this.o.scopeFor(accountId)): Promise<boolean> {
    return this.identity.opts.secretBox !== undefined && (await this.counts(this.db, accountId, scope));
  }
  async start(): Promise<StartResult> {
    return {
      instructions: {
        en: 'Enter the 6-digit code from the authenticator app you set up before the account was taken over.',
        zh: '请输入账号被盗之前您设置的身份验证器应用中的 6 位验证码。',
      },
    };
  }
  async check(tx: Tx, c: CaseRef, answer: Answer): Promise<CheckResult> {
    if (!(await this.counts(tx, c.accountId, c.scope))) return { outcome: 'wrong' };
    // a code's time step is accepted once, for sign-in and appeals alike: a seen code never works again
    return (await this.identity.totp.verify(tx, c.accountId, answer.code))
      ? { outcome: 'verified' }
      : { outcome: 'wrong' };
  }
}
