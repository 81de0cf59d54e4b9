/**
 * The demo's relayed-approval scene (issue 12 item 8), through the chat exactly as browsers: an owner is
 * signed in on their phone; an intruder's page on another network asks for the platform's QR login and
 * a forged "free skins" page relays the code; the owner's phone shows Gatehouse's context screen (another
 * network, probation) and — fooled — approves. The intruder collects a session, but it is on probation,
 * and its lure to the owner's friend is held by the pre-send check: it reaches nobody. The owner can
 * sign in to the chat to see it.
 */
import { webcrypto } from 'node:crypto';
import { GatehouseError } from '../errors/index.ts';

const subtle = webcrypto.subtle;
const PHONE = {
  ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  ip: '198.51.100.44',
};
const INTRUDER = {
  ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
  ip: '203.0.113.77',
};
const LURE = '免费领取Q币和游戏皮肤，扫码登录马上到账';

type Bi = { en: string; zh: string };

export interface QrRelayScene {
  owner: { handle: string; password: string };
  friend: { handle: string; password: string };
  /** What the owner's phone showed before approving (Gatehouse's warnings, zh/en). */
  warnings: Array<{ signal: string } & Bi>;
  /** The approval's outcome and its relay signals. */
  outcome: string;
  signals: string[];
  /** The intruder's session came on probation. */
  probation: boolean;
  /** The intruder's lure to the owner's friend: held, blocked or delivered, and why. */
  lure: { status: string; reasons: Array<{ code: string } & Bi> };
}

class ChatBrowser {
  cookie = '';
  csrf = '';
  private readonly url: string;
  readonly who: { ua: string; ip: string };
  constructor(url: string, who: { ua: string; ip: string }) {
    this.url = url;
    this.who = who;
  }
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    ok: number[] = [],
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.who.ua,
      'x-forwarded-for': this.who.ip,
    };
    if (this.cookie) headers.cookie = this.cookie;
    if (this.csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.url + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('chat_session='));
    if (set) this.cookie = set.split(';')[0]!;
    const text = await res.text();
    if (res.status >= 400 && !ok.includes(res.status))
      throw new GatehouseError(
        'SIM_API_FAILED',
        `chat ${method} ${path}: ${res.status} ${text.slice(0, 300)}`,
      );
    const parsed = (text ? JSON.parse(text) : {}) as T & { csrfToken?: string };
    if (parsed.csrfToken) this.csrf = parsed.csrfToken;
    return { status: res.status, body: parsed };
  }
}

/** Plays the scene against the chat at `chatUrl`; `prefix` keeps handles unique per run. */
export async function runQrRelayScene(chatUrl: string, prefix: string): Promise<QrRelayScene> {
  const url = chatUrl.replace(/\/+$/, '');
  const password = `relay scene ${prefix} 7 kites`;
  const owner = { handle: `${prefix}qr-owner`, password };
  const friend = { handle: `${prefix}qr-friend`, password };
  const phone = new ChatBrowser(url, PHONE);
  await phone.call('POST', '/api/signup', { ...owner, displayName: 'QR owner' });
  const friendPhone = new ChatBrowser(url, { ua: PHONE.ua, ip: '198.51.100.45' });
  const f = await friendPhone.call<{ user: { id: string } }>('POST', '/api/signup', {
    ...friend,
    displayName: 'QR friend',
  });
  await phone.call('POST', '/api/friends', { handle: friend.handle });

  // the intruder's page asks for the platform's real QR login with its own key
  const intruder = new ChatBrowser(url, INTRUDER);
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  const { body: m } = await intruder.call<{ id: string; url: string; challenge: string }>('POST', '/api/qr', {
    publicKey: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
  });
  // the forged page shows that QR code; the owner scans it: the phone reads the context and approves
  const ctx = await phone.call<{ warnings: Array<{ signal: string } & Bi> }>('POST', '/api/me/qr/context', {
    code: m.url,
  });
  const d = await phone.call<{ outcome?: string; signals?: Array<{ name: string; value: number }> }>(
    'POST',
    '/api/me/qr/decision',
    { code: m.url, decision: 'approve', inFrontOfMe: true },
  );
  const signature = Buffer.from(
    await subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      pair.privateKey,
      Buffer.from(`gatehouse-qr-login|${m.id}|${m.challenge}`),
    ),
  ).toString('base64url');
  await intruder.call('POST', `/api/qr/${encodeURIComponent(m.id)}/session`, { signature });
  // the intruder spreads the lure to the owner's friend from the relayed session
  const sent = await intruder.call<{
    status?: string;
    code?: string;
    reasons?: Array<{ code: string } & Bi>;
  }>('POST', '/api/messages', { to: { user: f.body.user.id }, text: LURE }, [422]);
  // 202 held (not delivered yet), 422 MESSAGE_BLOCKED (never delivered), 201 delivered
  const status = sent.status === 422 ? 'blocked' : (sent.body.status ?? 'delivered');
  return {
    owner,
    friend,
    warnings: ctx.body.warnings,
    outcome: d.body.outcome ?? 'session',
    signals: (d.body.signals ?? []).map((x) => `${x.name}=${x.value}`),
    probation: d.body.outcome === 'probation',
    lure: { status, reasons: sent.body.reasons ?? [] },
  };
}

/** The scene as the demo prints it (English and Chinese). */
export function qrSceneLines(s: QrRelayScene): string[] {
  return [
    '== A relayed QR approval, stopped / 被转发的扫码登录确认，已拦下 ==',
    '',
    `An intruder's page (${INTRUDER.ip}) relayed the chat's QR login; the owner's phone (${PHONE.ip}) was shown:`,
    `入侵者页面（${INTRUDER.ip}）转发了聊天平台的扫码登录；号主手机（${PHONE.ip}）看到：`,
    ...s.warnings.map((w) => `  ! ${w.en}\n    ${w.zh}`),
    `The owner approved anyway: outcome ${s.outcome} (${s.signals.join(', ') || 'no signal'}).`,
    `号主仍然确认了：结果为${s.probation ? '受限会话（试用期）' : '普通会话'}（${s.signals.join('，') || '无信号'}）。`,
    `The intruder's lure to the owner's friend: ${s.lure.status} — ${s.lure.reasons.map((r) => r.code).join(', ')}`,
    `入侵者发给号主好友的诱骗消息：${s.lure.status === 'held' ? '已暂扣' : s.lure.status === 'blocked' ? '已拦截' : '已送达'}（${s.lure.reasons.map((r) => r.zh).join('；')}）`,
    'Sign in as the owner to see the probation session and the held message / 以号主身份登录可查看受限会话和被拦截的消息:',
    `  handle / 账号: ${s.owner.handle}   password / 密码: ${s.owner.password}`,
  ];
}
