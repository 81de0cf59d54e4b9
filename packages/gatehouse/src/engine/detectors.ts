/**
 * Detectors: small named units. Each looks at one aspect of an event against the engine state and
 * emits signals (name, value, strength, bilingual reason) into a SignalSink. Weights live in
 * config.ts; detectors only measure.
 */
import type { Limits } from './config.ts';
import type { AccountState, SessionState } from './state.ts';
import { SCRIPTS } from './text.ts';
import type { MessageSentEvent, UrlVerdict } from './types.ts';
import type { SignalSink } from './signals.ts';
import { clamp01 } from './signals.ts';
import { decay } from './windows.ts';

/** Content analysis of one message (cached by text). */
export interface ContentResult {
  probability: number;
  moneyTerm: string | undefined;
  abuseTerm: string | undefined;
  abuseIntent: string | undefined;
  urls: UrlVerdict[];
  /** registered domains of the URLs, deduplicated */
  domains: string[];
  worst: UrlVerdict | undefined;
}

export interface MessageContext {
  t: number;
  ev: MessageSentEvent;
  acct: AccountState;
  sess: SessionState | undefined;
  limits: Limits;
  content: ContentResult;
  script: number;
  hour: number;
  clientKey: string;
  /** profile maturity in [0, 1] (messages learned / profileMatureMessages) */
  maturity: number;
  recipients: number;
  newRecipients: number;
  msgs1: number;
  msgs10: number;
  rcpt10: number;
  newRcpt10: number;
  groups10: number;
  repeat10: number;
  reporters60: number;
  blockers60: number;
  imageMatches: Array<{ hash: string; label: string; distance: number }>;
  victimContact: boolean;
}

export interface Detector<C> {
  name: string;
  run(ctx: C, out: SignalSink): void;
}

// ---------------- profile deviation ----------------

export const hourOfDay: Detector<MessageContext> = {
  name: 'hour_of_day',
  run(c, out) {
    const a = c.acct;
    if (a.messages < 10) return;
    const h = c.hour;
    const near = a.hours[h]! + 0.5 * (a.hours[(h + 23) % 24]! + a.hours[(h + 1) % 24]!);
    const share = near / a.messages;
    if (share < 0.02)
      out.emit(
        'new_hour',
        h,
        c.maturity * (1 - share / 0.02),
        `messaging at ${h}:00 UTC, an hour this account almost never uses`,
        `在 UTC ${h} 点发消息，该账号几乎从不在此时段活动`,
      );
  },
};

export const clientChange: Detector<MessageContext> = {
  name: 'client',
  run(c, out) {
    const a = c.acct;
    if (a.messages < 5 || a.clients.has(c.clientKey)) return;
    out.emit(
      'new_client',
      c.clientKey,
      c.maturity,
      `sent from a client never used before (${c.clientKey})`,
      `使用了从未用过的客户端（${c.clientKey}）`,
    );
  },
};

export const languageChange: Detector<MessageContext> = {
  name: 'language',
  run(c, out) {
    const a = c.acct;
    if (c.script < 0 || a.messages < 10) return;
    let total = 0;
    for (let i = 0; i < a.scripts.length; i++) total += a.scripts[i]!;
    if (total < 10) return;
    const share = a.scripts[c.script]! / total;
    if (share < 0.02) {
      const s = SCRIPTS[c.script]!;
      out.emit(
        'new_script',
        s,
        c.maturity,
        `writes in a script this account never uses (${s})`,
        `使用了该账号从不使用的文字（${s}）`,
      );
    }
  },
};

export const linkDomains: Detector<MessageContext> = {
  name: 'link_domains',
  run(c, out) {
    const a = c.acct;
    if (c.content.domains.length === 0 || a.messages < 10) return;
    if (a.linksSent === 0) {
      out.emit(
        'first_link',
        c.content.domains[0]!,
        c.maturity,
        `first link ever sent by this account (${c.content.domains[0]})`,
        `该账号首次发送链接（${c.content.domains[0]}）`,
      );
      return;
    }
    for (const d of c.content.domains) {
      if (!a.linkDomains.has(d)) {
        out.emit(
          'new_link_domain',
          d,
          c.maturity,
          `link to a site this account never linked (${d})`,
          `链接到该账号从未分享过的网站（${d}）`,
        );
        return;
      }
    }
  },
};

export const newRecipients: Detector<MessageContext> = {
  name: 'new_recipients',
  run(c, out) {
    if (c.recipients === 0 || c.acct.messages < 10) return;
    const share = c.newRecipients / c.recipients;
    if (share > 0.5)
      out.emit(
        'new_recipients',
        c.newRecipients,
        c.maturity * share,
        `${c.newRecipients} of ${c.recipients} recipients were never messaged before`,
        `${c.recipients} 个收件人中有 ${c.newRecipients} 个从未联系过`,
      );
  },
};

// ---------------- velocity and fan-out ----------------

/** Strength of a count against the account's own (decayed) peak: 0 at 2×, 1 at 16×. */
function burst(cur: number, peak: number, floor: number): number {
  const base = Math.max(peak, floor);
  if (cur <= 2 * base) return 0;
  return clamp01((Math.log2(cur / base) - 1) / 3);
}

function peakNow(c: MessageContext, peak: number): number {
  return peak * decay(c.t - c.acct.peakAt, c.limits.peakHalfLifeMs);
}

export const velocity: Detector<MessageContext> = {
  name: 'velocity',
  run(c, out) {
    const s = burst(c.msgs10, peakNow(c, c.acct.peakMsgs10), 8);
    if (s > 0)
      out.emit(
        'velocity',
        c.msgs10,
        s,
        `${c.msgs10} messages in 10 minutes, far above this account's usual peak`,
        `10 分钟内发送 ${c.msgs10} 条消息，远超该账号平时的峰值`,
      );
    if (c.msgs1 > 20)
      out.emit(
        'rate_1m',
        c.msgs1,
        clamp01((c.msgs1 - 20) / 40),
        `${c.msgs1} messages in one minute`,
        `1 分钟内发送 ${c.msgs1} 条消息`,
      );
  },
};

export const fanout: Detector<MessageContext> = {
  name: 'fanout',
  run(c, out) {
    const s = burst(c.rcpt10, peakNow(c, c.acct.peakRcpt10), 5);
    if (s > 0)
      out.emit(
        'fanout',
        c.rcpt10,
        s,
        `${c.rcpt10} distinct recipients in 10 minutes, far above this account's usual peak`,
        `10 分钟内联系了 ${c.rcpt10} 个不同的人，远超该账号平时的峰值`,
      );
  },
};

export const firstContactBurst: Detector<MessageContext> = {
  name: 'first_contact_burst',
  run(c, out) {
    if (c.newRcpt10 < 5 || c.acct.messages < 3) return;
    out.emit(
      'first_contact_burst',
      c.newRcpt10,
      clamp01((c.newRcpt10 - 2) / 8),
      `${c.newRcpt10} people never messaged before were contacted within 10 minutes`,
      `10 分钟内联系了 ${c.newRcpt10} 个从未联系过的人`,
    );
  },
};

export const groupBlast: Detector<MessageContext> = {
  name: 'group_blast',
  run(c, out) {
    const s = burst(c.groups10, peakNow(c, c.acct.peakGroups10), 2);
    if (s > 0)
      out.emit(
        'group_blast',
        c.groups10,
        s,
        `posted to ${c.groups10} groups within 10 minutes`,
        `10 分钟内在 ${c.groups10} 个群发言`,
      );
  },
};

export const repeatedContent: Detector<MessageContext> = {
  name: 'repeated_content',
  run(c, out) {
    if (c.repeat10 < 5) return;
    out.emit(
      'repeated_content',
      c.repeat10,
      clamp01((c.repeat10 - 3) / 10),
      `the same text was sent ${c.repeat10} times within 10 minutes`,
      `10 分钟内同一内容发送了 ${c.repeat10} 次`,
    );
  },
};

// ---------------- session ----------------

/** Sign-in context of a session, shared by message and sign-in events. */
export function sessionSignals(sess: SessionState | undefined, t: number, out: SignalSink): void {
  if (!sess) return;
  const age = Math.max(0, t - sess.createdAt);
  if (age < 24 * 3600_000) {
    const mins = Math.round(age / 60_000);
    // A fresh sign-in on a device, network and country the account already uses is the owner
    // signing in again (app update, expired cookie): a quarter of the weight. Intruders sign in
    // from their own machines and networks.
    const familiar = !sess.deviceNew && !sess.networkNew && !sess.countryNew;
    out.emit(
      'session_new',
      mins,
      (1 - age / (24 * 3600_000)) * (familiar ? 0.25 : 1),
      familiar
        ? `session signed in ${mins} minutes ago on a device and network this account uses`
        : `session signed in ${mins} minutes ago`,
      familiar ? `会话在 ${mins} 分钟前于该账号常用的设备和网络上登录` : `会话在 ${mins} 分钟前登录`,
    );
  }
  if (sess.method === 'qr')
    out.emit('signin_qr', 'qr', 1, 'session signed in by QR code scan', '会话通过扫码登录');
  else if (sess.method === 'device_code')
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
    if (!s || !(s.deviceNew || s.networkNew || s.countryNew)) return;
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

/** "Friend needs money": a money request from a session signed in < 24 h ago on a new device/network. */
export const newSessionMoney: Detector<MessageContext> = {
  name: 'new_session_money',
  run(c, out) {
    const s = c.sess;
    if (!s || c.content.moneyTerm === undefined || !(s.deviceNew || s.networkNew)) return;
    const age = c.t - s.createdAt;
    if (age > 24 * 3600_000) return;
    out.emit(
      'new_session_money',
      Math.round(age / 60_000),
      1 - age / (48 * 3600_000),
      'asks for money from a session just signed in on a new device or network',
      '在新设备/新网络刚登录的会话中向他人要钱',
    );
  },
};

// ---------------- content ----------------

export const content: Detector<MessageContext> = {
  name: 'content',
  run(c, out) {
    const r = c.content;
    if (r.probability > 0.5)
      out.emit(
        'text_score',
        Math.round(r.probability * 1000) / 1000,
        (r.probability - 0.5) / 0.5,
        `the text looks like spam or a scam (p=${r.probability.toFixed(2)})`,
        `文本疑似垃圾信息或诈骗（概率 ${r.probability.toFixed(2)}）`,
      );
    if (r.moneyTerm !== undefined)
      out.emit(
        'intent_money',
        r.moneyTerm,
        1,
        `asks for money ("${r.moneyTerm}")`,
        `涉及借钱/转账（“${r.moneyTerm}”）`,
      );
    if (r.abuseTerm !== undefined)
      out.emit(
        'intent_abuse',
        r.abuseIntent ?? '',
        1,
        `${r.abuseIntent} wording ("${r.abuseTerm}")`,
        `含有${r.abuseIntent}相关用语（“${r.abuseTerm}”）`,
      );
    const w = r.worst;
    if (w) {
      const brand = w.brand ? ` imitating ${w.brand}` : '';
      if (w.verdict === 'blocked')
        out.emit(
          'url_blocked',
          w.registeredDomain,
          1,
          `link to a blocked site (${w.registeredDomain})`,
          `链接到已封禁的网站（${w.registeredDomain}）`,
        );
      else if (w.verdict === 'lookalike')
        out.emit(
          'url_lookalike',
          w.registeredDomain,
          1,
          `link to a lookalike site${brand} (${w.registeredDomain})`,
          `链接到仿冒网站${w.brand ? `（仿冒 ${w.brand}）` : ''}（${w.registeredDomain}）`,
        );
      else if (w.verdict === 'suspicious')
        out.emit(
          'url_suspicious',
          w.registeredDomain,
          1,
          `link to a suspicious site (${w.registeredDomain})`,
          `链接到可疑网站（${w.registeredDomain}）`,
        );
    }
    if (c.imageMatches.length > 0) {
      const m = c.imageMatches[0]!;
      out.emit(
        'image_bank',
        m.label,
        1,
        `image matches the "${m.label}" hash bank`,
        `图片命中“${m.label}”哈希库`,
      );
    }
  },
};

// ---------------- crowd ----------------

export const reports: Detector<MessageContext> = {
  name: 'reports',
  run(c, out) {
    reportSignals(c.reporters60, c.blockers60, out);
  },
};

export function reportSignals(reporters60: number, blockers60: number, out: SignalSink): void {
  if (reporters60 > 0)
    out.emit(
      'reports',
      reporters60,
      clamp01(reporters60 / 3),
      `${reporters60} recipients reported this account in the last hour`,
      `过去一小时有 ${reporters60} 位收件人举报了该账号`,
    );
  if (blockers60 > 0)
    out.emit(
      'blocked_by_contacts',
      blockers60,
      clamp01(blockers60 / 3),
      `${blockers60} contacts blocked this account in the last hour`,
      `过去一小时有 ${blockers60} 位联系人拉黑了该账号`,
    );
}

export const victimContact: Detector<MessageContext> = {
  name: 'victim_contact',
  run(c, out) {
    if (c.victimContact) victimSignal(out);
  },
};

export function victimSignal(out: SignalSink): void {
  out.emit(
    'victim_contact',
    1,
    1,
    'a friend of this account was recently hijacked',
    '该账号的好友近期被盗号',
  );
}

export const contained: Detector<MessageContext> = {
  name: 'contained',
  run(c, out) {
    if (c.acct.contained) containedSignal(out);
  },
};

export function containedSignal(out: SignalSink): void {
  out.emit(
    'account_contained',
    1,
    1,
    'the account is contained as hijacked',
    '该账号已被判定为被盗并处于管控中',
  );
}

/**
 * Runs after every other message signal, campaigns included: the owner's usual client with no
 * sign-in risk (positive session log-odds below 0.5, so a session signed in a day ago still counts),
 * clean content and no crowd or state signal. Then contact-pattern signals (first contacts, fan-out,
 * velocity, a new hour or language) are what a person greeting every friend at New Year looks like,
 * and this signal takes back most of their weight. A hijack that blasts from the intruder's device,
 * network or young session, or carries a risky link, image or money request, never gets it.
 */
export function familiarContext(c: MessageContext, out: SignalSink): void {
  if (c.maturity === 0 || c.acct.contained) return;
  const p = out.positive;
  if (p.content > 0 || p.crowd > 0 || p.state > 0 || out.has('new_client')) return;
  if (p.session >= 0.5 || p.profile + p.velocity === 0) return;
  out.emit(
    'familiar_context',
    c.clientKey,
    c.maturity,
    `sent from the account's usual client (${c.clientKey}) with no sign-in risk and clean content`,
    `从该账号常用的客户端（${c.clientKey}）发出，登录无风险且内容正常`,
  );
}

/** Detectors run on every message, in order (campaign detection runs after them, in the engine). */
export const MESSAGE_DETECTORS: ReadonlyArray<Detector<MessageContext>> = [
  hourOfDay,
  clientChange,
  languageChange,
  linkDomains,
  newRecipients,
  velocity,
  fanout,
  firstContactBurst,
  groupBlast,
  repeatedContent,
  session,
  newSessionBurst,
  newSessionMoney,
  content,
  reports,
  victimContact,
  contained,
];
