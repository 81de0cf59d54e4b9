import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { appendAuditInTx } from '../../audit/index.ts';
import { hashToken, newId, newToken } from '../../crypto/index.ts';
import { GatehouseError } from '../../errors/index.ts';
import { rateLimited, RateLimiter } from '../../ratelimit/index.ts';
import type { RequestContext } from '../core.ts';
import { parseDevice } from '../device.ts';
import type { QrLoginsTable } from '../mfa/schema.ts';
import { mfaStore as m } from '../mfa/store.ts';
import { networkOf } from '../network.ts';
import { accountView, sessionView, type Authenticated, type IdentityService } from '../service.ts';
import { identityStore as q } from '../store.ts';
import { p256Key, verifyEs256 } from '../p256.ts';
import { placeName } from '../geo/geo.ts';
import { proximityBlock, QR_TEXT, relaySignals, type RelaySignal } from './context.ts';

/**
 * QR cross-device login, after the IETF cross-device security BCP (RFC 10027):
 *
 * 1. The requester (a browser or app that wants to sign in) makes a P-256 key pair it cannot export and
 *    asks for a login with the public key: it gets a single-use code (≤ 60 s; asking again with the same
 *    key rotates it) inside a platform URL for the QR image, and a random challenge.
 * 2. The owner's signed-in phone scans it and reads the context: the requester's device and network,
 *    whether it is on the phone's own network, the time, what signing in grants, and "did you start this
 *    on a device in front of you?" with Decline as the default. One decision per code: approve or
 *    decline; a used code is dead (its hash stays in the table: deny-listed).
 * 3. The requester collects its session by signing the challenge with its key.
 *
 * Relay defences, each a named signal: `qr_network_mismatch` (the two ends are not in one /24 or /48),
 * `qr_mint_burst` (the requester's network asks for many codes), a web requester whose Origin is not the
 * platform's (refused: QR_ORIGIN_FOREIGN), and a mint rate limit per network. A mismatched approval gives
 * a probation session (qr/probation.ts), the owner is told at once ("new sign-in from …, was this you?"),
 * and the engine gets `signin.qr` with the signals.
 */

const CODE_RE = /^ghq_[A-Za-z0-9_-]{43}$/;
const ID_RE = /^qrl_[A-Za-z0-9_-]{16}$/;
const MINT_WINDOW_MS = 10 * 60_000;
/** After an approval the requester has this long to collect its session. */
const COLLECT_MS = 2 * 60_000;

export interface QrMint {
  id: string;
  code: string;
  url: string;
  qrSvg: string;
  challenge: string;
  expiresAt: number;
}

interface StoredSignals {
  mintedFromNetwork: number;
  signals?: RelaySignal[];
  sameNetwork?: boolean;
  mismatch?: boolean;
}

/** What the requester signs to collect its session. */
export function collectMessage(id: string, challenge: string): string {
  return `gatehouse-qr-login|${id}|${challenge}`;
}

export class QrLogin {
  private readonly id: IdentityService;
  /** Requesters' polls per network (in memory: a poll reads one row and changes nothing). */
  private readonly polls: RateLimiter;
  constructor(id: IdentityService) {
    this.id = id;
    this.polls = new RateLimiter({ limit: 600, windowMs: 60_000, now: id.now });
  }

  private get opts() {
    return this.id.signinOpts;
  }

  /** Step 1: a code for the requester's key. `origin` is the request's Origin header, if any. */
  async mint(publicKey: unknown, ctx: RequestContext & { origin?: string | undefined }): Promise<QrMint> {
    const { canonical } = p256Key(publicKey);
    if (ctx.origin !== undefined && !this.opts.qrOrigins().includes(ctx.origin))
      throw new GatehouseError('QR_ORIGIN_FOREIGN', undefined, {
        extra: { signal: 'qr_origin_foreign', origin: ctx.origin.slice(0, 200) },
      });
    const mintKey = `qr|mint|${networkOf(ctx.ip)}`;
    const r = await this.id.counters.reserve([
      { key: mintKey, limit: this.opts.qrMintPerNetwork, windowMs: MINT_WINDOW_MS },
    ]);
    if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
    const minted = await this.id.counters.count(mintKey, MINT_WINDOW_MS);
    const t = this.id.now();
    const code = newToken('ghq');
    const row: QrLoginsTable = {
      id: newId('qrl'),
      code_hash: hashToken(code),
      public_key: canonical,
      challenge: randomBytes(32).toString('base64url'),
      ip: ctx.ip,
      user_agent: ctx.userAgent.slice(0, 512),
      origin: ctx.origin?.slice(0, 200) ?? null,
      state: 'pending',
      created_at: t,
      expires_at: t + this.opts.qrCodeMs,
      account_id: null,
      approver_session: null,
      approver_ip: null,
      signals: JSON.stringify({ mintedFromNetwork: minted } satisfies StoredSignals),
      decided_at: null,
      collected_at: null,
      session_id: null,
    };
    await this.id.db.transaction().execute(async (tx) => {
      await m.expirePendingOfKey(tx, canonical, t);
      await m.insertQr(tx, row);
    });
    const url = `${this.opts.qrUrlBase()}/${code}`;
    return {
      id: row.id,
      code,
      url,
      qrSvg: await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M' }),
      challenge: row.challenge,
      expiresAt: row.expires_at,
    };
  }

  /** The requester's poll: the state of its login (nothing about the account). */
  async state(
    id: string,
    ctx: RequestContext,
  ): Promise<{ state: QrLoginsTable['state'] | 'expired'; expiresAt: number }> {
    const l = this.polls.hit(networkOf(ctx.ip));
    if (!l.allowed) throw rateLimited(l.retryAfterSeconds);
    const row = ID_RE.test(id) ? await m.qrById(this.id.db, id) : undefined;
    if (!row) throw new GatehouseError('QR_CODE_UNKNOWN');
    const expired = row.state === 'pending' && row.expires_at <= this.id.now();
    return { state: expired ? 'expired' : row.state, expiresAt: row.expires_at };
  }

  /** A pending, unexpired login by its code, or the typed reason it is not. */
  /**
   * The code of what the phone scanned: the code itself, or the platform's login URL around it. A URL of
   * any other site (a look-alike's relay page, another platform's login) is not ours.
   */
  private codeOf(scanned: string): string | undefined {
    if (!/^https?:/i.test(scanned)) return scanned;
    const base = `${this.opts.qrUrlBase()}/`;
    return scanned.startsWith(base) ? scanned.slice(base.length) : undefined;
  }

  private async pending(scanned: string): Promise<QrLoginsTable> {
    const code = this.codeOf(scanned);
    const row =
      code !== undefined && CODE_RE.test(code)
        ? await m.qrByCodeHash(this.id.db, hashToken(code))
        : undefined;
    if (!row) throw new GatehouseError('QR_CODE_UNKNOWN');
    if (row.state !== 'pending') throw new GatehouseError('QR_CODE_USED');
    if (row.expires_at <= this.id.now()) throw new GatehouseError('QR_CODE_EXPIRED');
    return row;
  }

  private signalsFor(row: QrLoginsTable, approverIp: string) {
    const stored = JSON.parse(row.signals ?? '{}') as StoredSignals;
    const geo = this.id.opts.geo;
    return relaySignals({
      requesterIp: row.ip,
      approverIp,
      mintedFromNetwork: stored.mintedFromNetwork ?? 0,
      burstAbove: this.opts.qrMintBurst,
      requester: geo?.lookup(row.ip),
      approver: geo?.lookup(approverIp),
      hostingAsns: this.opts.qrHostingAsns,
    });
  }

  /** Step 2a: what the approving phone shows before anything is decided. */
  async context(auth: Authenticated, code: string, ctx: RequestContext) {
    await this.limitDecisions(auth.account.id);
    const row = await this.pending(code);
    const s = this.signalsFor(row, ctx.ip);
    return {
      id: row.id,
      requestedAt: row.created_at,
      expiresAt: row.expires_at,
      requester: {
        device: parseDevice(row.user_agent),
        network: proximityBlock(row.ip),
        origin: row.origin,
        location: placeName(this.id.opts.geo?.lookup(row.ip)) ?? QR_TEXT.unknownLocation,
      },
      approver: { network: proximityBlock(ctx.ip) },
      distance: {
        sameNetwork: s.sameNetwork,
        km: s.km === undefined ? null : Math.round(s.km),
        ...(s.sameNetwork ? QR_TEXT.sameNetwork : s.near ? QR_TEXT.nearby : QR_TEXT.otherNetwork),
      },
      grants: QR_TEXT.grants,
      question: QR_TEXT.question,
      defaultDecision: 'decline' as const,
      outcome: s.mismatch ? ('probation' as const) : ('session' as const),
      warnings: [
        ...s.signals.map((x) => ({ signal: x.name, value: x.value, ...x.reason })),
        ...(s.mismatch ? [{ signal: 'probation', value: 1, ...QR_TEXT.probation }] : []),
      ],
    };
  }

  /** Step 2b: the owner's one decision. Approving needs "yes, it is in front of me". */
  async decide(
    auth: Authenticated,
    code: string,
    d: { decision: 'approve' | 'decline'; inFrontOfMe?: boolean | undefined },
    ctx: RequestContext,
  ): Promise<{
    state: 'approved' | 'declined';
    outcome?: 'session' | 'probation';
    signals: Array<{ name: RelaySignal['name']; value: number; en: string; zh: string }>;
  }> {
    this.id.probation.assertNot(auth.session);
    await this.limitDecisions(auth.account.id);
    const row = await this.pending(code);
    const t = this.id.now();
    const approve = d.decision === 'approve' && d.inFrontOfMe === true;
    if (d.decision === 'approve' && !approve)
      throw new GatehouseError(
        'VALIDATION_FAILED',
        'Approve only a sign-in you started on a device in front of you (inFrontOfMe: true)',
        { extra: { field: 'inFrontOfMe', zh: '只确认你在身边设备上发起的登录（inFrontOfMe: true）' } },
      );
    const s = this.signalsFor(row, ctx.ip);
    const moved = await this.id.db.transaction().execute(async (tx) => {
      const ok = await m.moveQr(
        tx,
        row.id,
        'pending',
        {
          state: approve ? 'approved' : 'declined',
          account_id: auth.account.id,
          approver_session: auth.session.id,
          approver_ip: ctx.ip,
          decided_at: t,
          signals: JSON.stringify({
            mintedFromNetwork: (JSON.parse(row.signals ?? '{}') as StoredSignals).mintedFromNetwork ?? 0,
            signals: s.signals,
            sameNetwork: s.sameNetwork,
            mismatch: s.mismatch,
          } satisfies StoredSignals),
        },
        t,
      );
      if (ok)
        await appendAuditInTx(tx, {
          actor: `account:${auth.account.id}`,
          action: approve ? 'qr_login.approved' : 'qr_login.declined',
          subject: auth.account.id,
          data: {
            login: row.id,
            session: auth.session.id,
            requesterNetwork: proximityBlock(row.ip),
            signals: s.signals.map((x) => ({ name: x.name, value: x.value })),
          },
          at: t,
        });
      return ok;
    });
    if (!moved) await this.pending(code); // throws the typed reason (used or expired meanwhile)
    // a probation explains itself: the relay signals behind it, with their values
    const signals = s.signals.map((x) => ({ name: x.name, value: x.value, ...x.reason }));
    return approve
      ? { state: 'approved', outcome: s.mismatch ? 'probation' : 'session', signals }
      : { state: 'declined', signals };
  }

  /** Step 3: the requester proves its key and gets the session (on probation when mismatched). */
  async collect(id: string, signature: string, ctx: RequestContext, bindingKey?: unknown) {
    const r = await this.id.counters.reserve([
      { key: `qr|collect|${networkOf(ctx.ip)}`, limit: 120, windowMs: 60_000 },
    ]);
    if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
    const row = ID_RE.test(id) ? await m.qrById(this.id.db, id) : undefined;
    if (!row) throw new GatehouseError('QR_CODE_UNKNOWN');
    const proven = verifyEs256(row.public_key, collectMessage(row.id, row.challenge), signature);
    if (!proven) throw new GatehouseError('QR_CODE_MISMATCH');
    const t = this.id.now();
    if (row.state === 'pending')
      throw new GatehouseError(row.expires_at <= t ? 'QR_CODE_EXPIRED' : 'QR_CODE_PENDING');
    if (row.state === 'declined') throw new GatehouseError('QR_CODE_DECLINED');
    if (row.state === 'collected') throw new GatehouseError('QR_CODE_USED');
    if ((row.decided_at ?? 0) + COLLECT_MS <= t) throw new GatehouseError('QR_CODE_EXPIRED');
    if (!(await m.moveQr(this.id.db, row.id, 'approved', { state: 'collected', collected_at: t })))
      throw new GatehouseError('QR_CODE_USED');
    const account = await q.accountById(this.id.db, row.account_id!);
    if (!account || account.state !== 'active')
      throw new GatehouseError(account?.state === 'frozen' ? 'ACCOUNT_FROZEN' : 'ACCOUNT_DELETED');
    const stored = JSON.parse(row.signals ?? '{}') as StoredSignals;
    const mismatch = stored.mismatch === true;
    const probation = mismatch
      ? {
          until: t + this.opts.probationMs,
          reason: (stored.signals ?? []).map((x) => x.name).join(',') || 'qr_mismatch',
        }
      : undefined;
    const deviceToken = newToken('ghd');
    const { token, session } = await this.id.startSession(account, 'qr', ctx, deviceToken, {
      ...(probation ? { probation } : {}),
      ...(bindingKey !== undefined ? { bindingKey } : {}),
      also: async (tx, out, s) => {
        await m.moveQr(tx, row.id, 'collected', { session_id: s.id });
        out.emit({
          type: 'signin.qr',
          account: account.id,
          session: s.id,
          approverSession: row.approver_session!,
          requesterIp: ctx.ip,
          approverIp: row.approver_ip!,
          sameNetwork: stored.sameNetwork === true,
          mintBurst: stored.mintedFromNetwork ?? 0,
          mismatch,
          probationUntil: probation?.until ?? null,
          signals: (stored.signals ?? []).map((x) => ({ name: x.name, value: x.value })),
        });
        out.noticed();
        await this.id.opts.onCrossDeviceSessionTx?.(tx, {
          account: account.id,
          session: s.id,
          method: 'qr',
          ip: ctx.ip,
          device: parseDevice(ctx.userAgent),
          at: t,
          approvedOn: row.approver_ip ?? '',
          probation: probation !== undefined,
        });
      },
    });
    if (probation) this.id.probation.note(session.id, probation.until);
    return {
      token,
      session: sessionView(session, session.id),
      account: accountView(account),
      deviceToken,
    };
  }

  private async limitDecisions(accountId: string): Promise<void> {
    const r = await this.id.counters.reserve([
      { key: `qr|decide|${accountId}`, limit: 30, windowMs: MINT_WINDOW_MS },
    ]);
    if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
  }
}
