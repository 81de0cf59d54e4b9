/**
 * Crowd and account state: reports and blocks by contacts, contacts of a victim, the account being
 * contained, campaigns, quarantined content, and the familiar context that runs after them all.
 */
import type { CampaignTracker } from '../campaigns.ts';
import type { SignalSink } from '../signals.ts';
import type { Detector, MessageContext } from './context.ts';
import { clamp01 } from '../signals.ts';
import { newPlace } from '../state.ts';

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
 * Organic context. Runs after every other message signal, campaigns included: the owner's usual
 * client with no sign-in risk (positive session log-odds below 0.5, so a session signed in a day
 * ago still counts) and no crowd or state signal. Then breaking one's own habits — first contacts,
 * fan-out, velocity, a new hour, language or link site — is what a person greeting every friend at
 * New Year, or passing on an e-card, looks like, and this signal takes it back (up to its weight).
 * Content signals stay: a blocked or lookalike link, a scam text, a bank image are judged on their
 * own. A hijack from the intruder's device, network or young session never gets it.
 */
export function familiarContext(c: MessageContext, out: SignalSink): void {
  if (c.maturity === 0 || c.acct.contained) return;
  const p = out.positive;
  if (p.crowd > 0 || p.state > 0 || out.has('new_client')) return;
  const habit = p.profile + p.velocity;
  // the owner's own phone away from home — a device the account uses, on a network new to it (`newPlace`
  // is false: the trip home, a hotel's wifi) — is no sign-in risk: its new network counts for nothing here
  const s = c.sess;
  const away = s !== undefined && s.networkNew && !newPlace(s) ? out.logOddsOf('network_new') : 0;
  if (p.session - away >= 0.5 || habit === 0) return;
  // takes back 90 % of the habit-breaking (up to the weight), so a bigger break still ranks higher
  const cap = -out.weights.familiar_context;
  out.emit(
    'familiar_context',
    c.clientKey,
    cap > 0 ? clamp01((0.9 * habit) / cap) : 1,
    `sent from the account's usual client (${c.clientKey}) with no sign-in risk: its unusual pattern alone is not a hijack`,
    `从该账号常用的客户端（${c.clientKey}）发出，登录无风险：仅是行为模式不寻常并不代表被盗`,
  );
}

/**
 * Organic content from a session that is not the owner's usual one (a new phone, a trip): runs after the
 * familiar context and only when it did not apply. When everything the message carries — its text, its
 * links, its images — is being passed along organically (campaigns.ts `organicAt`: many accounts sent it
 * within the hour, few of them showing compromise) and nothing in it is risky, the habit-breaking that
 * comes with it (a greeting to every friend, a first link to the e-card everyone shares) is what the
 * crowd is doing, and this takes it back (90 %, up to the weight). The session's own evidence stays: a
 * new device or country still counts, and so do content signals, crowd and state signals.
 */
export function organicContent(
  c: MessageContext,
  risky: boolean,
  fp: number,
  crowd: Pick<CampaignTracker, 'organicMessage'>,
  out: SignalSink,
): void {
  if (risky || c.maturity === 0 || c.acct.contained || out.has('familiar_context')) return;
  if (c.solicit !== undefined || c.ownNewLink) return;
  const p = out.positive;
  if (p.crowd > 0 || p.state > 0 || p.content > 0) return;
  const habit = p.profile + p.velocity;
  if (habit === 0 || !crowd.organicMessage(fp, c.content.domains, c.ev.attachments, c.t)) return;
  const cap = -out.weights.organic_content;
  out.emit(
    'organic_content',
    1,
    cap > 0 ? clamp01((0.9 * habit) / cap) : 1,
    "everything in the message is being passed along by many accounts that show no compromise: its unusual pattern is the crowd's",
    '消息中的全部内容正被许多未见被盗迹象的账号转发：其不寻常的模式来自大众的共同行为',
  );
}

/** What the campaign tracker found for one message (campaigns.ts). */
export interface CampaignFindings {
  /** campaigns the content belongs to (first = the one named in the reason) */
  campaigns: string[] | undefined;
  /** largest number of compromised senders of a fingerprint still below the campaign threshold */
  forming: number;
  /** the quarantined fingerprint key the content matched, if any */
  quarantinedKey: string | undefined;
}

/**
 * Crowd signals of a message: campaign membership (or quarantined content sent as a member would), a
 * campaign forming and a victim's contact count only for a sender that shows compromise (`compromised`);
 * quarantined content is content and counts for anyone (it blocks the message; it never contains an
 * account without compromise).
 */
export function crowdSignals(
  c: MessageContext,
  f: CampaignFindings,
  compromised: boolean,
  minSenders: number,
  out: SignalSink,
): void {
  if (compromised) {
    if (f.campaigns)
      out.emit(
        'campaign_member',
        f.campaigns[0]!,
        1,
        `content belongs to campaign ${f.campaigns[0]} (many compromised accounts sending it at once)`,
        `内容属于群发活动 ${f.campaigns[0]}（大量疑似被盗账号同时发送）`,
      );
    // quarantined before any campaign formed (a second compromised sender of it, an operator): for a
    // sender that shows compromise, sending it is joining the hijack as a member would
    else if (f.quarantinedKey !== undefined)
      out.emit(
        'campaign_quarantined',
        f.quarantinedKey,
        1,
        `content quarantined as a hijack's (${f.quarantinedKey}), sent from a session that shows compromise`,
        `内容已作为盗号群发内容被隔离（${f.quarantinedKey}），且发送会话疑似被盗`,
      );
    else if (f.forming > 0)
      out.emit(
        'campaign_forming',
        f.forming,
        clamp01(f.forming / minSenders),
        `${f.forming} accounts showing compromise sent the same content within the hour`,
        `一小时内有 ${f.forming} 个疑似被盗的账号发送了相同内容`,
      );
    if (c.victimContact) victimSignal(out);
  }
  if (f.quarantinedKey !== undefined)
    out.emit(
      'content_quarantined',
      f.quarantinedKey,
      1,
      'the content is quarantined by an operator',
      '该内容已被运营人员隔离',
    );
}
