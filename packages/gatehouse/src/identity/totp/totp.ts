import { generateSecret, generateURI, verifySync } from 'otplib';
import QRCode from 'qrcode';
import { appendAuditInTx } from '../../audit/index.ts';
import { GatehouseError } from '../../errors/index.ts';
import { rateLimited } from '../../ratelimit/index.ts';
import type { Db, Tx } from '../../store/db.ts';
import { keepRemovedFactor } from '../mfa/revert.ts';
import { mfaStore as m } from '../mfa/store.ts';
import type { Authenticated, IdentityService } from '../service.ts';

/**
 * An authenticator app (RFC 6238 TOTP, 6 digits, 30 s) as a second factor, with otplib.
 *
 * - Enrolment (re-authenticated session) makes a 160-bit secret, sealed at rest with the server's
 *   secret key, and shows it as an otpauth:// URI and a QR code; it counts only once a first code
 *   from the app confirms it.
 * - A code verifies within ±1 time step of the server's clock (drift window), and only if its step is
 *   later than the last accepted one: a code seen once (by a shoulder-surfer, a phishing relay, a
 *   replayed request) never works again, even in a concurrent race (the step moves in one UPDATE).
 * - Removal needs re-authentication.
 */

const PERIOD_S = 30;
const DRIFT_S = PERIOD_S; // ±1 step
const CODE_RE = /^\d{6}$/;
const CONFIRM_WINDOW_MS = 15 * 60_000;

export const sealContext = (accountId: string) => `totp|${accountId}`;
const normalise = (code: string) => code.normalize('NFKC').replace(/[\s-]/g, '');

/**
 * The time step a 6-digit code matches for `secret` within the drift window and after `afterStep`, if
 * any (the caller moves its last accepted step to it, so a code works once). Shared with the console's
 * operator accounts.
 */
export function totpStep(secret: string, code: string, afterStep: number, now: number): number | undefined {
  const token = normalise(code);
  if (!CODE_RE.test(token)) return undefined;
  try {
    const r = verifySync({
      secret,
      token,
      period: PERIOD_S,
      epoch: Math.floor(now / 1000),
      epochTolerance: DRIFT_S,
      afterTimeStep: afterStep,
    });
    return r.valid && 'timeStep' in r ? r.timeStep : undefined;
  } catch {
    return undefined;
  }
}

/** A new TOTP secret and its otpauth:// URI (the same parameters as the owners' authenticator apps). */
export function newTotpSecret(issuer: string, label: string): { secret: string; otpauthUri: string } {
  const secret = generateSecret({ length: 20 });
  return { secret, otpauthUri: generateURI({ issuer, label, secret, period: PERIOD_S, digits: 6 }) };
}

export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  /** The otpauth URI as a QR code: an SVG document and a PNG data URL. */
  qrSvg: string;
  qrDataUrl: string;
}

export class Totp {
  private readonly id: IdentityService;
  constructor(id: IdentityService) {
    this.id = id;
  }

  private box() {
    const b = this.id.opts.secretBox;
    if (!b) throw new Error('TOTP needs the server secret key (IdentityOptions.secretBox)');
    return b;
  }

  async status(accountId: string): Promise<{ enrolled: boolean; confirmedAt: number | null }> {
    const row = await m.totp(this.id.db, accountId);
    return { enrolled: !!row?.confirmed_at, confirmedAt: row?.confirmed_at ?? null };
  }

  async enrol(auth: Authenticated): Promise<TotpEnrolment> {
    this.id.requireReauth(auth.session);
    const existing = await m.totp(this.id.db, auth.account.id);
    if (existing?.confirmed_at) throw new GatehouseError('TOTP_ALREADY_ENROLLED');
    const secret = generateSecret({ length: 20 });
    const t = this.id.now();
    await m.putPendingTotp(this.id.db, {
      account_id: auth.account.id,
      secret_sealed: this.box().seal(secret, sealContext(auth.account.id)),
      confirmed_at: null,
      last_step: 0,
      created_at: t,
    });
    const otpauthUri = generateURI({
      issuer: this.id.signinOpts.totpIssuer,
      label: auth.account.handle,
      secret,
      period: PERIOD_S,
      digits: 6,
    });
    return {
      secret,
      otpauthUri,
      qrSvg: await QRCode.toString(otpauthUri, { type: 'svg', errorCorrectionLevel: 'M' }),
      qrDataUrl: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M' }),
    };
  }

  /** The first code from the app: the enrolment counts from now on. */
  async confirm(auth: Authenticated, code: string): Promise<{ confirmedAt: number }> {
    const accountId = auth.account.id;
    await this.limit(`totp|confirm|${accountId}`, 10);
    const row = await m.totp(this.id.db, accountId);
    const t = this.id.now();
    if (!row || row.confirmed_at !== null || row.created_at + CONFIRM_WINDOW_MS <= t)
      throw new GatehouseError('TOTP_NOT_ENROLLED');
    const step = this.match(row.secret_sealed, accountId, code, row.last_step, t);
    if (step === undefined) throw new GatehouseError('SECOND_FACTOR_INVALID');
    await this.id.db.transaction().execute(async (tx) => {
      if (!(await m.acceptTotpStep(tx, accountId, step, t)))
        throw new GatehouseError('SECOND_FACTOR_INVALID');
      await appendAuditInTx(tx, {
        actor: `account:${accountId}`,
        action: 'totp.enrolled',
        subject: accountId,
        data: { session: auth.session.id },
        at: t,
      });
    });
    return { confirmedAt: t };
  }

  /** A code at sign-in or step-up: true once per time step (a replayed code is false). */
  async verify(q: Db | Tx, accountId: string, code: string): Promise<boolean> {
    const row = await m.totp(q, accountId);
    if (!row?.confirmed_at) return false;
    const step = this.match(row.secret_sealed, accountId, code, row.last_step, this.id.now());
    return step !== undefined && (await m.acceptTotpStep(q, accountId, step));
  }

  async remove(auth: Authenticated): Promise<void> {
    this.id.requireReauth(auth.session);
    const accountId = auth.account.id;
    const t = this.id.now();
    await this.id.db.transaction().execute(async (tx) => {
      const row = await m.totp(tx, accountId);
      if (!row) throw new GatehouseError('TOTP_NOT_ENROLLED');
      // a confirmed app is kept, so that a recovery can put it back when an intruder removed it
      if (row.confirmed_at !== null)
        await keepRemovedFactor(tx, accountId, { kind: 'totp', row }, auth.session.id, t);
      const r = await m.deleteTotp(tx, accountId);
      if (Number(r.numDeletedRows) === 0) throw new GatehouseError('TOTP_NOT_ENROLLED');
      await appendAuditInTx(tx, {
        actor: `account:${accountId}`,
        action: 'totp.removed',
        subject: accountId,
        data: { session: auth.session.id },
        at: t,
      });
    });
  }

  /** The time step a code matches within the drift window and after `afterStep`, if any. */
  private match(
    sealed: string,
    accountId: string,
    code: string,
    afterStep: number,
    now: number,
  ): number | undefined {
    if (!CODE_RE.test(normalise(code))) return undefined;
    return totpStep(this.box().open(sealed, sealContext(accountId)), code, afterStep, now);
  }

  private async limit(key: string, limit: number): Promise<void> {
    const r = await this.id.counters.reserve([{ key, limit, windowMs: 15 * 60_000 }]);
    if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
  }
}
