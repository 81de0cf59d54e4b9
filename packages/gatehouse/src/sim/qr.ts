/**
 * QR sign-ins in the simulator (issue 12 item 9): the relayed approval of the 2022 QQ hijack — the
 * intruder's device asks for a QR login, a forged page relays the code, the victim's phone approves it —
 * and the owners' own QR logins on a laptop beside their phone. Both run over Gatehouse's HTTP API
 * exactly as a requester (WebCrypto key, mint, collect with a signature) and an approving phone (the
 * context screen, then the decision) would.
 */
import { webcrypto } from 'node:crypto';
import { GatehouseError } from '../errors/index.ts';
import type { SimApi } from './api.ts';
import type { HijackRecord } from './metrics.ts';
import type { Platform, SendAnswer } from './platform.ts';
import type { Person } from './society.ts';

const subtle = webcrypto.subtle;

export interface QrSignIn {
  session: string;
  /** The session is on probation (identity found the approval relayed). */
  probation: boolean;
  /** The relay signals the approval answered with (`name=value`). */
  signals: string[];
}

/** One QR login: `requester` mints and collects, the owner's phone (`phoneToken`) sees the screen and approves. */
export async function apiQrSignIn(
  api: SimApi,
  phone: { token: string; ua: string; ip: string },
  requester: { ua: string; ip: string },
): Promise<QrSignIn | undefined> {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  const from = { key: false as const, ua: requester.ua, ip: requester.ip, ok: [201, 403, 429] };
  const m = await api.call<{ id: string; code: string; challenge: string }>(
    'POST',
    '/v1/auth/qr',
    { publicKey: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } },
    from,
  );
  if (m.status !== 201) return undefined;
  const onPhone = {
    key: false as const,
    bearer: phone.token,
    ua: phone.ua,
    ip: phone.ip,
    ok: [200, 403, 409, 429],
  };
  // the phone shows the context screen; the person (fooled, or at their own laptop) approves
  const screen = await api.call('GET', `/v1/me/qr/${m.data.code}`, undefined, onPhone);
  if (screen.status !== 200) return undefined;
  const d = await api.call<{ signals?: Array<{ name: string; value: number }> }>(
    'POST',
    `/v1/me/qr/${m.data.code}/decision`,
    { decision: 'approve', inFrontOfMe: true },
    onPhone,
  );
  if (d.status !== 200) return undefined;
  const signature = Buffer.from(
    await subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      pair.privateKey,
      Buffer.from(`gatehouse-qr-login|${m.data.id}|${m.data.challenge}`),
    ),
  ).toString('base64url');
  const s = await api.call<{ session: { id: string; probationUntil: number | null } }>(
    'POST',
    `/v1/auth/qr/${m.data.id}/session`,
    { signature, mode: 'token' },
    { ...from, ok: [200, 403, 409, 429] },
  );
  if (s.status !== 200) return undefined;
  return {
    session: s.data.session.id,
    probation: s.data.session.probationUntil !== null,
    signals: (d.data.signals ?? []).map((x) => `${x.name}=${x.value}`),
  };
}

/** Another address on the same /24 (the owner's laptop beside the phone). */
export function sameNetworkIp(ip: string): string {
  const p = ip.split('.');
  return `${p[0]}.${p[1]}.${p[2]}.${((Number(p[3]) + 100) % 250) + 1}`;
}

/** An address in the same /16 but another /24 (an intruder in the victim's own city, no GeoIP). */
export function sameCityIp(ip: string, k: number): string {
  const p = ip.split('.');
  return `${p[0]}.${p[1]}.${(Number(p[2]) + 1 + (k % 200)) % 256}.${1 + (k % 250)}`;
}

export interface QrRunRecord {
  /** Relayed approvals, by hijacked account: whether the session came on probation. */
  relayed: Map<string, { probation: boolean; sameCity: boolean }>;
  /** The owners' own QR logins: signed in, on probation, their first message not allowed. */
  legit: Array<{
    signedIn: boolean;
    probation: boolean;
    stepped: boolean;
    /** The answer's signals when it needed an extra step: `name=value (log-odds)` (or its reasons). */
    signals?: string[];
  }>;
}

export interface QrMetrics {
  /** Relayed QR approvals attempted, and those that gave the intruder a session. */
  relayedApprovals: number;
  relayedSessions: number;
  relayedOnProbation: number;
  relayedContained: number;
  /** Of them, in the victim's own city (another /24 of the same /16). */
  relayedSameCity: number;
  /** Recipients the relayed sessions reached before containment (allowed messages). */
  relayedRecipientsReached: number;
  /** Approvals blocked at sign-in, or whose session was on probation or contained and reached 0 recipients. */
  relayedStopped: number;
  relayedStoppedShare: number;
  legitLogins: number;
  legitSignedIn: number;
  legitOnProbation: number;
  /** Legitimate logins that needed an extra step (probation, or their first message held or challenged). */
  legitExtraStep: number;
  legitExtraStepShare: number;
  /** The signals behind those extra steps (most frequent first). */
  legitStepSignals: Record<string, number>;
  /** Up to five of those answers in full (every signal with its value and log-odds). */
  legitStepExamples: string[];
}

function count(xs: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

/** QR metrics from the run (`containedAt`: the earliest containment of each account: check answer or freeze). */
export function qrMetrics(
  qr: QrRunRecord | undefined,
  hijacked: Map<string, HijackRecord>,
  containedAt: (h: HijackRecord) => number | undefined,
): QrMetrics | null {
  if (!qr || (qr.relayed.size === 0 && qr.legit.length === 0)) return null;
  let sessions = 0;
  let probation = 0;
  let contained = 0;
  let sameCity = 0;
  let reachedAll = 0;
  let stopped = 0;
  for (const [account, q] of qr.relayed) {
    const h = hijacked.get(account);
    if (q.sameCity) sameCity++;
    if (!h || !h.signedIn) {
      stopped++;
      continue;
    }
    sessions++;
    if (q.probation) probation++;
    const c = containedAt(h);
    if (c !== undefined) contained++;
    const reached = h.messages
      .filter((m) => m.allowed && (c === undefined || m.t < c))
      .reduce((s, m) => s + m.recipients, 0);
    reachedAll += reached;
    if (reached === 0 && (q.probation || c !== undefined)) stopped++;
  }
  const share = (x: number, n: number) => (n ? Math.round((x / n) * 10_000) / 10_000 : 0);
  const legitSignedIn = qr.legit.filter((l) => l.signedIn).length;
  const legitProbation = qr.legit.filter((l) => l.probation).length;
  const extra = qr.legit.filter((l) => !l.signedIn || l.probation || l.stepped).length;
  return {
    relayedApprovals: qr.relayed.size,
    relayedSessions: sessions,
    relayedOnProbation: probation,
    relayedContained: contained,
    relayedSameCity: sameCity,
    relayedRecipientsReached: reachedAll,
    relayedStopped: stopped,
    relayedStoppedShare: share(stopped, qr.relayed.size),
    legitLogins: qr.legit.length,
    legitSignedIn,
    legitOnProbation: legitProbation,
    legitExtraStep: extra,
    legitExtraStepShare: share(extra, qr.legit.length),
    legitStepSignals: Object.fromEntries(
      [...count(qr.legit.flatMap((l) => (l.signals ?? []).map((x) => x.split('=')[0]!)))]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12),
    ),
    legitStepExamples: qr.legit
      .filter((l) => l.signals?.length)
      .slice(0, 5)
      .map((l) => l.signals!.join(', ')),
  };
}

/** The platform's QR sign-in, or SCENARIO_INVALID (the chat transport has none). */
export function qrOf(platform: Platform): Platform & Required<Pick<Platform, 'qrSignIn'>> {
  if (!platform.qrSignIn)
    throw new GatehouseError(
      'SCENARIO_INVALID',
      `QR sign-ins (attack.signIn.method: qr, live.qrLogins) run on the direct transport, not ${platform.transport}`,
    );
  return platform as Platform & Required<Pick<Platform, 'qrSignIn'>>;
}

/**
 * An owner's own QR login: the laptop beside the phone on the home network asks, the phone approves,
 * and the laptop sends one message to a close friend. An extra step is probation, or that message not
 * simply allowed.
 */
export function ownQrLogin(
  platform: Platform & Required<Pick<Platform, 'qrSignIn'>>,
  p: Person,
  account: string,
  friend: string,
  rec: QrRunRecord,
  timed: (send: () => Promise<SendAnswer>) => Promise<SendAnswer>,
): () => Promise<void> {
  return async () => {
    const q = await platform.qrSignIn(p.handle, { ua: LAPTOP_UA, ip: sameNetworkIp(p.ip) });
    if (!q) {
      rec.legit.push({ signedIn: false, probation: false, stepped: true });
      return;
    }
    const v = await timed(() =>
      platform.intruderSend(
        q.session,
        account,
        { recipients: [friend] },
        { text: '在电脑上登录了，晚点发文件给你', urls: [], attachments: [] },
        { kind: 'web', name: 'web-chat', version: '1.0' },
      ),
    );
    const stepped = v.verdict !== 'allow' || v.challenged;
    rec.legit.push({
      signedIn: true,
      probation: q.probation,
      stepped,
      signals: [
        ...(q.probation ? q.signals : []),
        ...(!stepped
          ? []
          : v.signals
            ? v.signals.map((x) => `${x.signal}=${x.value} (${x.logOdds})`)
            : v.reasons),
      ],
    });
  };
}

const LAPTOP_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
