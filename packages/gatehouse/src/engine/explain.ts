/**
 * Plain sentences for people: every signal the engine can emit and every decision it can make, in
 * English and Simplified Chinese, with the signal's values ("This message links to a site made to look
 * like steam (steamcomunety.com)"). Pure; the one catalogue behind a decision's `reasons` (what the
 * pre-send check, notices, webhooks and the consoles show) — the detectors' own `reason` on each
 * signal stays a short note for operators.
 *
 * `SIGNAL_EXPLANATIONS` is checked against `SignalName`: a signal without a sentence does not compile.
 */
import type { Localized } from '@gatehouse/sdk';
import { isSignalName, type SignalName } from './config.ts';
import type { Action, Decision, Signal } from './types.ts';

/** What a sentence may use of a signal: its value and the facts the detector added. */
export type SignalFacts = Pick<Signal, 'value' | 'facts'>;
type Explainer = (s: SignalFacts) => Localized;

const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v) || 0);
const str = (v: number | string | undefined): string => (v === undefined ? '' : String(v));
/** " (x)" / "（x）" when x is known, nothing otherwise. */
const paren = (x: string): Localized => (x ? { en: ` (${x})`, zh: `（${x}）` } : { en: '', zh: '' });
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const pct = (v: number | string) => `${Math.round(num(v) * 100)}%`;
/** Ends a link sentence, saying when the link was split across two messages to slip past filters. */
const split = (facts: SignalFacts['facts'], s: Localized): Localized =>
  facts?.split
    ? { en: `${s.en}, split across two messages.`, zh: `${s.zh}，该链接被拆分在两条消息中。` }
    : { en: `${s.en}.`, zh: `${s.zh}。` };

/** The content part's intent names (verdict.ts) in plain words. */
const INTENT_WORDS: Record<string, Localized> = {
  money: { en: 'asking for money', zh: '借钱或转账' },
  impersonation: { en: 'impersonation', zh: '冒充他人' },
  prize: { en: 'prize or free-gift', zh: '中奖或免费礼品' },
  gambling: { en: 'gambling', zh: '赌博' },
  porn: { en: 'porn', zh: '色情' },
  offPlatform: { en: 'move-the-chat-elsewhere', zh: '引导到站外联系' },
  credential: { en: 'asking for a verification code or password', zh: '索要验证码或密码' },
};

export const SIGNAL_EXPLANATIONS = {
  new_hour: ({ value }) => ({
    en: `This account sent messages at ${num(value)}:00 (UTC), an hour it almost never uses.`,
    zh: `该账号在 UTC ${num(value)} 点发送了消息，平时几乎从不在这个时段活动。`,
  }),
  new_client: ({ value }) => {
    const p = paren(str(value));
    return {
      en: `The messages came from an app or browser this account had never used${p.en}.`,
      zh: `消息来自该账号从未用过的应用或浏览器${p.zh}。`,
    };
  },
  new_script: ({ value }) => ({
    en: `The message is written in a script this account never writes in (${str(value)}).`,
    zh: `消息使用了该账号从不使用的文字（${str(value)}）。`,
  }),
  first_link: ({ value }) => ({
    en: `This is the first link this account has ever sent (${str(value)}).`,
    zh: `这是该账号第一次发送链接（${str(value)}）。`,
  }),
  new_link_domain: ({ value }) => ({
    en: `This message links to a site this account had never shared before (${str(value)}).`,
    zh: `这条消息中的链接指向该账号从未分享过的网站（${str(value)}）。`,
  }),
  new_recipients: ({ value, facts }) => {
    const of = facts?.recipients !== undefined ? num(facts.recipients) : undefined;
    return of !== undefined
      ? {
          en: `${num(value)} of the ${of} people it went to had never had a message from this account.`,
          zh: `收到消息的 ${of} 人中，有 ${num(value)} 人此前从未收到过该账号的消息。`,
        }
      : {
          en: `It went to ${plural(num(value), 'person', 'people')} who had never had a message from this account.`,
          zh: `消息发给了 ${num(value)} 位此前从未联系过的人。`,
        };
  },
  velocity: ({ value }) => ({
    en: `This account sent ${num(value)} messages in 10 minutes, far more than it ever does.`,
    zh: `该账号 10 分钟内发送了 ${num(value)} 条消息，远超平时。`,
  }),
  rate_1m: ({ value }) => ({
    en: `This account sent ${num(value)} messages within one minute.`,
    zh: `该账号 1 分钟内发送了 ${num(value)} 条消息。`,
  }),
  fanout: ({ value }) => ({
    en: `Messages went to ${num(value)} different people within 10 minutes, far more than usual for this account.`,
    zh: `10 分钟内消息发给了 ${num(value)} 个不同的人，远超该账号平时的数量。`,
  }),
  first_contact_burst: ({ value }) => ({
    en: `${plural(num(value), 'person', 'people')} this account had never messaged were contacted within 10 minutes.`,
    zh: `10 分钟内联系了 ${num(value)} 位该账号从未联系过的人。`,
  }),
  group_blast: ({ value }) => ({
    en: `This account posted in ${plural(num(value), 'group', 'groups')} within 10 minutes, far more than usual.`,
    zh: `该账号 10 分钟内在 ${num(value)} 个群里发言，远超平时。`,
  }),
  repeated_content: ({ value }) => ({
    en: `The same text was sent ${num(value)} times within 10 minutes.`,
    zh: `同样的内容在 10 分钟内发送了 ${num(value)} 次。`,
  }),
  friend_removal_burst: ({ value }) => ({
    en: `${plural(num(value), 'friend was', 'friends were')} removed within 10 minutes.`,
    zh: `10 分钟内删除了 ${num(value)} 位好友。`,
  }),
  session_new: ({ value }) => ({
    en: `The session that did this had signed in only ${plural(num(value), 'minute', 'minutes')} earlier.`,
    zh: `执行此操作的会话仅在 ${num(value)} 分钟前登录。`,
  }),
  session_unknown: () => ({
    en: 'This came from a session that Gatehouse never saw sign in.',
    zh: '此操作来自一个 Gatehouse 从未见过其登录记录的会话。',
  }),
  signin_qr: () => ({
    en: 'The session was signed in by scanning a QR code; a fake login page can pass such a code on to an intruder.',
    zh: '该会话是通过扫码登录的；假冒的登录页面可以把这种二维码转给入侵者。',
  }),
  signin_qr_relay: ({ value }) => ({
    en: `The QR sign-in was approved by a phone far from the device that asked for it${paren(str(value)).en}: the shape of a relayed QR login, the way the 2022 hijack began.`,
    zh: `扫码登录的确认手机与请求登录的设备不在一处${paren(str(value)).zh}：这是二维码被转发的典型迹象，2022 年的盗号正是这样开始的。`,
  }),
  session_confirmed: () => ({
    en: "The account's owner confirmed this session from an older session of theirs.",
    zh: '账号主人已在自己较早的会话中确认了这个会话。',
  }),
  login_qr_shared: ({ value }) => {
    const v = str(value);
    if (v === 'image')
      return {
        en: 'A picture in this message holds a QR code that signs in to this platform: whoever scans it may sign a stranger into their own account.',
        zh: '这条消息的图片中含有本平台的扫码登录二维码：扫码的人可能会让陌生人登录自己的账号。',
      };
    if (v === 'link')
      return {
        en: "This message passes on this platform's QR-login link: whoever opens it may sign a stranger into their own account.",
        zh: '这条消息在转发本平台的扫码登录链接：打开的人可能会让陌生人登录自己的账号。',
      };
    return {
      en: 'This message asks people to scan a code to log in, the wording of relayed QR-login scams.',
      zh: '这条消息叫人“扫码登录”，这是转发登录二维码骗局的常见说法。',
    };
  },
  signin_device_code: () => ({
    en: 'The session was signed in with a device code; a fake page can pass such a code on to an intruder.',
    zh: '该会话是通过设备码登录的；假冒的页面可以把这种代码转给入侵者。',
  }),
  signin_passkey: () => ({
    en: 'The session signed in with a passkey, which a fake site cannot steal (this lowers the risk).',
    zh: '该会话使用通行密钥登录，假冒网站无法窃取（这降低了风险）。',
  }),
  familiar_context: ({ value }) => {
    const p = paren(str(value));
    return {
      en: `It came from this account's usual app${p.en} with nothing risky about the sign-in, so unusual activity alone was not taken as a take-over.`,
      zh: `它来自该账号常用的应用${p.zh}，登录也没有风险，因此仅凭行为不寻常不会被认定为盗号。`,
    };
  },
  organic_content: () => ({
    en: 'Everything in the message was being shared by many accounts that show no sign of take-over, so the burst that came with it was not taken as one (the sign-in still counts).',
    zh: '消息中的全部内容正被许多没有被盗迹象的账号分享，因此随之而来的集中发送不被视为盗号（登录本身的风险仍然计入）。',
  }),
  device_new: ({ value }) => {
    const p = paren(str(value));
    return {
      en: `The session is on a device this account had never used${p.en}.`,
      zh: `该会话所在的设备是该账号从未使用过的${p.zh}。`,
    };
  },
  network_new: ({ value }) => {
    const p = paren(str(value));
    return {
      en: `The session is on a network this account had never used${p.en}.`,
      zh: `该会话所在的网络是该账号从未使用过的${p.zh}。`,
    };
  },
  country_new: ({ value }) => {
    const p = paren(str(value));
    return {
      en: `The session signed in from a country or region this account had never signed in from${p.en}.`,
      zh: `该会话的登录地是该账号从未登录过的国家或地区${p.zh}。`,
    };
  },
  signin_risk: ({ value }) => ({
    en: `The sign-in itself was rated risky (risk ${pct(value)}).`,
    zh: `这次登录本身被评为有风险（风险 ${pct(value)}）。`,
  }),
  new_session_money: ({ value }) => ({
    en: `A session that had just signed in on a new device or network asked ${plural(num(value), 'person', 'people')} for money (or, having asked, to talk on another app).`,
    zh: `一个刚在新设备或新网络上登录的会话向 ${num(value)} 人要钱（或在要钱后拉人到其他平台聊）。`,
  }),
  repeated_ask: ({ value }) => ({
    en: `The account asked ${plural(num(value), 'person', 'people')} for money or a code within ten minutes, one after another: the way a phone taken unlocked or a stolen session is used.`,
    zh: `该账号在十分钟内接连向 ${num(value)} 人借钱或索要验证码：这是手机被人解锁拿走或会话被盗后的典型用法。`,
  }),
  new_session_code_ask: ({ value }) => ({
    en: `A session that had just signed in on a new device or network asked ${plural(num(value), 'person', 'people')} for the verification code that reached their phone, a password or an assisted verification.`,
    zh: `一个刚在新设备或新网络上登录的会话向 ${num(value)} 人索要其手机收到的验证码、密码或辅助验证。`,
  }),
  session_link_spread: ({ value }) => ({
    en: `A session that had just signed in on a new device or network sent links to sites this account never shared to ${plural(num(value), 'person', 'people')}.`,
    zh: `一个刚在新设备或新网络上登录的会话向 ${num(value)} 人发送了该账号从未分享过的网站链接。`,
  }),
  new_session_burst: ({ value }) => ({
    en: `Many messages were sent ${plural(num(value), 'minute', 'minutes')} after a sign-in on a new device or network.`,
    zh: `在新设备或新网络登录 ${num(value)} 分钟后就开始大量发送消息。`,
  }),
  login_wave: () => ({
    en: 'The sign-in was part of a wave of new-device sign-ins to many accounts from the same network.',
    zh: '这次登录发生在同一网络对大量账号进行新设备登录的浪潮中。',
  }),
  password_changed_new_session: () => ({
    en: 'The password was changed from a session that had signed in less than an hour earlier on a new device or network.',
    zh: '密码是在一个新设备或新网络上登录不到一小时的会话中修改的。',
  }),
  profile_changed_new_session: ({ value }) => {
    const p = paren(str(value));
    return {
      en: `The profile${p.en} was changed from a session that had signed in less than an hour earlier on a new device or network.`,
      zh: `个人资料${p.zh}是在一个新设备或新网络上登录不到一小时的会话中修改的。`,
    };
  },
  text_score: ({ value }) => ({
    en: `The text reads like spam or a scam (${pct(value)} likely).`,
    zh: `这段文字看起来像垃圾信息或诈骗（可能性 ${pct(value)}）。`,
  }),
  intent_money: ({ value }) => ({
    en: `The message asks for money ("${str(value)}").`,
    zh: `这条消息在要钱（“${str(value)}”）。`,
  }),
  intent_abuse: ({ value, facts }) => {
    const w = INTENT_WORDS[str(value)] ?? { en: 'abusive', zh: '违规' };
    const term = str(facts?.term);
    return {
      en: `The message uses ${w.en} wording${term ? ` ("${term}")` : ''}.`,
      zh: `这条消息含有${w.zh}相关的用语${term ? `（“${term}”）` : ''}。`,
    };
  },
  url_blocked: ({ value, facts }) =>
    split(facts, {
      en: `This message links to a site the platform has blocked (${str(value)})`,
      zh: `这条消息中的链接指向平台已封禁的网站（${str(value)}）`,
    }),
  url_lookalike: ({ value, facts }) => {
    const brand = str(facts?.brand);
    return split(
      facts,
      brand
        ? {
            en: `This message links to a site made to look like ${brand} (${str(value)})`,
            zh: `这条消息中的链接模仿了 ${brand}（${str(value)}）`,
          }
        : {
            en: `This message links to a site made to look like a well-known one (${str(value)})`,
            zh: `这条消息中的链接模仿了知名网站（${str(value)}）`,
          },
    );
  },
  url_suspicious: ({ value, facts }) =>
    split(facts, {
      en: `This message links to a site with the marks of a scam site (${str(value)})`,
      zh: `这条消息中的链接指向具有诈骗网站特征的网站（${str(value)}）`,
    }),
  image_bank: ({ value }) => ({
    en: `The picture matches known abusive pictures ("${str(value)}").`,
    zh: `图片与已知的违规图片一致（“${str(value)}”）。`,
  }),
  content_quarantined: () => ({
    en: "The platform's safety team has stopped this content from being sent.",
    zh: '平台安全团队已禁止发送这一内容。',
  }),
  campaign_member: ({ value }) => ({
    en: `The same content is being sent by many taken-over accounts at once (campaign ${str(value)}).`,
    zh: `大量被盗账号正在同时发送相同的内容（群发活动 ${str(value)}）。`,
  }),
  campaign_quarantined: ({ value }) => ({
    en: `This content is stopped as what taken-over accounts send (${str(value)}), and it comes from a session that looks taken over.`,
    zh: `该内容已被认定为被盗账号群发的内容而禁止发送（${str(value)}），且发送它的会话疑似被盗。`,
  }),
  campaign_forming: ({ value }) => ({
    en: `${plural(num(value), 'account that looks taken over', 'accounts that look taken over')} sent the same content within the hour.`,
    zh: `一小时内有 ${num(value)} 个疑似被盗的账号发送了相同的内容。`,
  }),
  reports: ({ value }) => ({
    en: `${plural(num(value), 'person', 'people')} reported this account in the last hour.`,
    zh: `过去一小时内有 ${num(value)} 人举报了该账号。`,
  }),
  blocked_by_contacts: ({ value }) => ({
    en: `${plural(num(value), 'contact', 'contacts')} blocked this account in the last hour.`,
    zh: `过去一小时内有 ${num(value)} 位联系人拉黑了该账号。`,
  }),
  victim_contact: () => ({
    en: "A friend of this account was recently taken over, and intruders go after the victim's friends next.",
    zh: '该账号的一位好友最近被盗号，而盗号者接下来往往会盯上受害者的好友。',
  }),
  owner_denied: () => ({
    en: "The account's owner said this activity was not them.",
    zh: '账号主人表示这些操作不是本人所为。',
  }),
  account_contained: () => ({
    en: 'This account had already been locked down as taken over.',
    zh: '该账号此前已被判定为被盗并锁定。',
  }),
  app_friends_breadth: ({ value }) => ({
    en: `This app read the friend lists of ${plural(num(value), 'user', 'users')} within 10 minutes.`,
    zh: `该应用 10 分钟内读取了 ${num(value)} 位用户的好友列表。`,
  }),
  app_profile_breadth: ({ value }) => ({
    en: `This app read the profiles of ${plural(num(value), 'user', 'users')} within 10 minutes.`,
    zh: `该应用 10 分钟内读取了 ${num(value)} 位用户的资料。`,
  }),
  app_rate_jump: ({ value }) => ({
    en: `This app reached ${num(value)} times as many users as it usually does in 10 minutes.`,
    zh: `该应用 10 分钟内读取的用户数是平时的 ${num(value)} 倍。`,
  }),
  grant_many_networks: ({ value }) => ({
    en: `One user's authorisation of this app was used from ${plural(num(value), 'network', 'networks')} within 10 minutes: its tokens may have leaked.`,
    zh: `某位用户对该应用的授权 10 分钟内在 ${num(value)} 个网络中被使用：其令牌可能已泄露。`,
  }),
  app_networks_jump: ({ value }) => ({
    en: `This app's tokens were used from ${plural(num(value), 'network', 'networks')} within 10 minutes, far more than usual: its tokens may have leaked.`,
    zh: `该应用的令牌 10 分钟内在 ${num(value)} 个网络中被使用，远超平时：其令牌可能已泄露。`,
  }),
} as const satisfies Record<SignalName, Explainer>;

/** A signal in plain words, with its values. */
export function explainSignal(s: Pick<Signal, 'name' | 'value' | 'facts'>): Localized {
  return SIGNAL_EXPLANATIONS[s.name](s);
}

/** What each decision means, for the person it is about. */
export const DECISION_EXPLANATIONS = {
  allow: { en: 'Nothing unusual enough to act on.', zh: '没有发现需要处理的异常。' },
  challenge: {
    en: 'Unusual enough to ask the owner to confirm it was them.',
    zh: '异常程度需要账号主人确认是否本人操作。',
  },
  hold: {
    en: 'Held: the message waits until the owner confirms it was them.',
    zh: '已暂缓：消息需等账号主人确认是本人操作后才会发出。',
  },
  block: { en: 'Blocked: the message was not delivered.', zh: '已拦截：消息未被送达。' },
  contain: {
    en: 'The account looks taken over: it was locked down to stop the intruder.',
    zh: '该账号疑似被盗：已被锁定以阻止入侵者。',
  },
} as const satisfies Record<Action, Localized>;

/** Joins explanations into one text per language ("A. B. C."). */
export function joinExplanations(parts: readonly Localized[]): Localized {
  return { en: parts.map((p) => p.en).join(' '), zh: parts.map((p) => p.zh).join('') };
}

/** A signal with its plain sentence (a stored name the catalogue no longer has keeps its own reason). */
export type ExplainedSignal = Signal & { explanation: Localized };
export type ExplainedDecision = Omit<Decision, 'signals'> & {
  /** What the decision means, in plain words. */
  summary: Localized;
  signals: ExplainedSignal[];
};

/**
 * A decision as people read it (the operator's timeline, the owner's views): every signal with its
 * sentence, the reasons from the catalogue (so decisions stored before it read the same), the summary.
 */
export function explainDecision(d: Decision): ExplainedDecision {
  const signals = d.signals.map((s) => ({
    ...s,
    explanation: isSignalName(s.name) ? explainSignal(s) : s.reason,
  }));
  const reasons = d.reasons.map((r) => {
    const s = signals.find((x) => x.name === r.signal);
    return s ? { signal: r.signal, ...s.explanation } : r;
  });
  return { ...d, reasons, signals, summary: DECISION_EXPLANATIONS[d.action] };
}
