/** Sign-in context: how and where the session signed in, and what it does right after. */
import type { SignalSink } from '../signals.ts';
import { clamp01 } from '../signals.ts';
import { newPlace, unusual, type SessionState } from '../state.ts';
import type { Detector, MessageContext } from './context.ts';
import { burst, peakNow } from './velocity.ts';

/** Sign-in context of a session, shared by message and sign-in events. */
export function sessionSignals(sess: SessionState | undefined, t: number, out: SignalSink): void {
  if (!sess) return;
  const age = Math.max(0, t - sess.createdAt);
  if (age < 24 * 3600_000) {
    const mins = Math.round(age / 60_000);
    // A fresh sign-in on a device, network and country the account already uses is the owner
    // signing in again (app update, expired cookie): a quarter of the weight; so is the owner's own
    // device on a network new to it (away from home: newPlace). Intruders sign in from their own
    // machines and networks.
    const familiar = !newPlace(sess);
    out.emit(
      'session_new',
      mins,
      (1 - age / (24 * 3600_000)) * (familiar ? 0.25 : 1),
      familiar
        ? `session signed in ${mins} minutes ago on a device${sess.networkNew ? '' : ' and network'} this account uses`
        : `session signed in ${mins} minutes ago`,
      familiar
        ? `会话在 ${mins} 分钟前于该账号常用的设备${sess.networkNew ? '' : '和网络'}上登录`
        : `会话在 ${mins} 分钟前登录`,
    );
  }
  if (sess.confirmed)
    out.emit(
      'session_confirmed',
      'owner',
      1,
      'the owner confirmed this session from an older one of theirs',
      '账号主人已在其较早的会话中确认此会话',
    );
  else if (sess.method === 'qr') {
    // approved by the owner's phone on the same network: the owner was there (a quarter)
    out.emit(
      'signin_qr',
      sess.qrNear ? 'qr_near' : 'qr',
      sess.qrNear ? 0.25 : 1,
      sess.qrNear
        ? 'session signed in by QR code, approved on the same network'
        : 'session signed in by QR code scan',
      sess.qrNear ? '会话通过扫码登录（在同一网络确认）' : '会话通过扫码登录',
    );
    if (sess.qrRelay > 0)
      out.emit(
        'signin_qr_relay',
        sess.qrSignals ?? 'qr_network_mismatch',
        sess.qrRelay,
        `QR sign-in approved by a phone far from the requesting device (${sess.qrSignals ?? 'network mismatch'}): the shape of a relayed QR login`,
        `扫码登录的确认手机与请求设备不在一处（${sess.qrSignals ?? '网络不一致'}）：疑似被转发的扫码登录`,
      );
  } else if (sess.method === 'device_code')
    out.emit(
      'signin_device_code',
      'device_code',
      1,
      'session signed in by device code',
      '会话通过设备码登录',
    );
  else if (sess.method === 'passkey')
    out.emit('signin_passkey', 'passkey', 1, 'session signed in with a passkey', '会话通过通行密钥登录');
  if (sess.deviceNew)
    out.emit(
      'device_new',
      sess.device ?? '',
      1,
      'session on a device never used before',
      '会话来自从未使用过的设备',
    );
  if (sess.networkNew)
    out.emit(
      'network_new',
      sess.network ?? '',
      1,
      `session from a network never used before (${sess.network})`,
      `会话来自从未使用过的网络（${sess.network}）`,
    );
  if (sess.countryNew)
    out.emit(
      'country_new',
      sess.country ?? '',
      1,
      `session from a country never used before (${sess.country})`,
      `会话来自从未登录过的国家/地区（${sess.country}）`,
    );
  if (sess.risk > 0)
    out.emit(
      'signin_risk',
      sess.risk,
      sess.risk,
      'identity rated the sign-in risky',
      '身份系统判定此次登录有风险',
    );
  if (sess.wave > 0)
    out.emit(
      'login_wave',
      sess.wave,
      sess.wave,
      'signed in during a wave of new-device logins from the same network or device type',
      '登录时同一网络或设备类型出现大批新设备登录',
    );
}

export const session: Detector<MessageContext> = {
  name: 'session',
  run(c, out) {
    if (c.ev.session === undefined) return;
    if (!c.sess) {
      out.emit(
        'session_unknown',
        c.ev.session,
        1,
        'session never seen in a sign-in event',
        '会话未见登录记录',
      );
      return;
    }
    sessionSignals(c.sess, c.t, out);
  },
};

export const newSessionBurst: Detector<MessageContext> = {
  name: 'new_session_burst',
  run(c, out) {
    const s = c.sess;
    // a burst right after signing in again on the usual phone is a person opening the app to greet
    // everyone; right after a sign-in from a new device or network it is the QQ pattern
    if (!s || !newPlace(s)) return;
    const age = c.t - s.createdAt;
    if (age > 3600_000) return;
    const activity = Math.max(
      burst(c.msgs10, peakNow(c, c.acct.peakMsgs10), 3),
      burst(c.rcpt10, peakNow(c, c.acct.peakRcpt10), 2),
      c.newRcpt10 >= 3 ? 0.5 : 0,
      c.groups10 >= 3 ? 0.5 : 0,
    );
    if (activity > 0)
      out.emit(
        'new_session_burst',
        Math.round(age / 60_000),
        clamp01(activity * 2),
        `a burst of messages right after a new sign-in (${Math.round(age / 60_000)} min)`,
        `新登录 ${Math.round(age / 60_000)} 分钟后即大量发送消息`,
      );
  },
};

/**
 * A message that asks (`MessageContext.solicit`) from a session that is not the owner's usual one, at most
 * 72 h old: the recipients the session has asked so far (`moneyRcpt`) and how much of the signal is left
 * as the session ages (1 at sign-in, 0.5 at 72 h); undefined otherwise.
 */
function unusualAsk(c: MessageContext): { n: number; fade: number } | undefined {
  const s = c.sess;
  if (!s || c.solicit === undefined || !unusual(s)) return undefined;
  const age = c.t - s.createdAt;
  if (age > 72 * 3600_000) return undefined;
  return { n: s.moneyRcpt, fade: 1 - age / (144 * 3600_000) };
}

/**
 * The ask is a code, a password or an assisted verification with no money named (newSessionCodeAsk's):
 * then it is what the message solicits with (pipeline.ts: a money term first, a credential ask next).
 */
const codeAsk = (c: MessageContext) =>
  c.content.moneyTerm === undefined && c.content.credentialAsk !== undefined;

/**
 * "Friend needs money": a money request from a session that is not the owner's usual one (signed
 * in < 72 h ago where an intruder signs in: `newPlace`). The account's own evidence is enough — no
 * crowd needed: half strength for the first recipient (the message is held), full from the second —
 * except for a share of a split cost (`shareTerm`: AA, 一人三百二, "your half"), held at half strength.
 * A scam's ask counts as a money request: the message asks the reader for something ("it's me, new
 * number … could you pay a bill for me"), money word or not, and the scam model reads it as a scam —
 * from such a session already when it comes within UNUSUAL_SESSION_SCAM_PRIOR of its threshold
 * (pipeline.ts).
 * Once the session has asked for money, its push to another channel ("add me on WeChat", a Telegram
 * handle) counts as the same scheme going on (`MessageContext.solicit`); such a push alone does not.
 */
export const newSessionMoney: Detector<MessageContext> = {
  name: 'new_session_money',
  run(c, out) {
    const ask = unusualAsk(c);
    if (!ask || codeAsk(c)) return;
    const { n } = ask;
    const v = c.content;
    // how this message carries the scheme on: the money asked for is said where it was a scam's ask
    // without a money word, or the push to another app that followed an ask
    const margin = `${v.scamMargin >= 0 ? '+' : ''}${v.scamMargin.toFixed(1)}`;
    const how =
      v.moneyTerm !== undefined
        ? { en: '', zh: '' }
        : v.scamAsk !== undefined && c.solicit === v.scamAsk
          ? {
              en: ` as a scam asks ("${c.solicit}"; scam model ${margin} log-odds over its threshold)`,
              zh: `（诈骗式请求：“${c.solicit}”；诈骗模型高出阈值 ${margin} 对数几率）`,
            }
          : {
              en: `, then to talk on another app ("${c.solicit}")`,
              zh: `，又拉人到其他平台聊（“${c.solicit}”）`,
            };
    // a share of a cost split among several ("AA，一人三百二", "your half"): friends settling up from the
    // phone they bought on the trip; held, never contained on this alone (an intruder who words its ask
    // so has each message held: none is delivered)
    const share = v.shareTerm;
    const full = n >= 2 && share === undefined;
    const of =
      share !== undefined
        ? { en: ` (a share of a split cost: "${share}")`, zh: `（分摊费用：“${share}”）` }
        : { en: '', zh: '' };
    out.emit(
      'new_session_money',
      n,
      (full ? 1 : 0.5) * ask.fade,
      `asks ${n} ${n === 1 ? 'person' : 'people'} for money${how.en}${of.en} from a session just signed in on a new device or network`,
      `在新设备/新网络刚登录的会话中向 ${n} 人要钱${how.zh}${of.zh}`,
    );
  },
};

/**
 * The chain that spreads a take-over from friend to friend: a session that is not the owner's usual one
 * (as for newSessionMoney) asks for the one-time code that reached the reader's phone, a password, or a
 * friend-assisted verification (the content part's `credentialAsk`), with no money named. Counted with
 * the session's other asks (`moneyRcpt`): half strength for the first recipient, full from the second.
 */
export const newSessionCodeAsk: Detector<MessageContext> = {
  name: 'new_session_code_ask',
  run(c, out) {
    const ask = unusualAsk(c);
    if (!ask || !codeAsk(c)) return;
    const { n } = ask;
    out.emit(
      'new_session_code_ask',
      n,
      (n >= 2 ? 1 : 0.5) * ask.fade,
      `asks ${n} ${n === 1 ? 'person' : 'people'} for a verification code or password ("${c.solicit}") from a session just signed in on a new device or network`,
      `在新设备/新网络刚登录的会话中向 ${n} 人索要验证码或密码（“${c.solicit}”）`,
    );
  },
};

/**
 * A lone intruder's links: links to sites the account never linked (and that are not being passed along
 * organically by many owners: `MessageContext.ownNewLink`), sent to contacts from a session signed in
 * < 24 h ago where an intruder signs in (`newPlace`). Strength grows with the recipients the
 * session sent such links to (a group counts as many), so the first is held and a spread contained.
 */
export const sessionLinkSpread: Detector<MessageContext> = {
  name: 'session_link_spread',
  run(c, out) {
    const s = c.sess;
    if (!s || s.linkRcpt === 0 || !unusual(s) || c.acct.messages < 10) return;
    if (!c.ownNewLink) return;
    const age = c.t - s.createdAt;
    if (age > 24 * 3600_000) return;
    const n = s.linkRcpt;
    out.emit(
      'session_link_spread',
      n,
      (n >= 3 ? 1 : n === 2 ? 0.6 : 0.5) * c.maturity,
      `links to a site this account never linked, sent to ${n} recipients from a session just signed in on a new device or network`,
      `在新设备/新网络刚登录的会话中向 ${n} 位联系人发送该账号从未分享过的网站链接`,
    );
  },
};
