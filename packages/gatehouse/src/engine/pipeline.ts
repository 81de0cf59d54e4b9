/**
 * The message pipeline, as named steps:
 *
 *   context → detectors → campaigns → decide → learn
 *
 * `context` updates the account's windows and builds the MessageContext (content verdict, counts,
 * session); `detectors` runs the message detectors; `campaigns` asks the campaign tracker what the
 * content belongs to and emits the campaign signals; `decide` adds the familiar context, scores and
 * decides; `learn` teaches the profile from messages not judged hold or worse.
 */
import type { EngineState } from './engine-state.ts';
import type { CampaignResult, TrackedMessage } from './campaigns.ts';
import type { MessageContext } from './detectors/index.ts';
import { MESSAGE_DETECTORS, crowdSignals, familiarContext, organicContent } from './detectors/index.ts';
import { decide as decideAction, makeDecision } from './scoring.ts';
import { lateWave } from './sessions.ts';
import { noteAsk, unusual, type AccountState, type SessionState } from './state.ts';
import {
  M_BLOCKERS_60,
  M_DELIV,
  M_GRP_10,
  M_MSG,
  M_NEW_RCPT,
  M_RCPT_1,
  M_RCPT_10,
  M_RCPT_60,
  M_REPEAT,
  M_REPORTERS_60,
  boundMap,
} from './state.ts';
import type { TextFeatures } from './text.ts';
import { hash53, textFeatures } from './text.ts';
import { DELIVERED_PREFIX, type Campaign, type Decision, type MessageSentEvent } from './types.ts';
import { joinedVerdict, type ContentVerdict } from './verdict.ts';
import { W1, W10, W60, countDistinct, touchLastSeen } from './windows.ts';

/**
 * Log-odds a session that is not the owner's usual one adds to the scam model's reading of a message
 * that asks the reader for something (at most the content part's ENGINE_ASK_FLOOR): ~2.7 times the
 * odds, so "can you lend me 200 till friday?" (just under the text API's threshold) counts from an
 * intruder's new session, and from the owner's usual phone does not.
 */
export const UNUSUAL_SESSION_SCAM_PRIOR = 1;

/** Per-message values the steps hand on (beyond the MessageContext the detectors read). */
interface Step {
  /** A late delivery's copy: the check counted the message already (`context`). */
  counted: boolean;
  acctHash: number;
  fp: number;
  groupHash: number;
}

/** The tracker's view of the message being processed (one object, refilled per message). */
function emptyTracked(): TrackedMessage {
  return {
    ev: undefined as unknown as MessageSentEvent,
    acct: undefined as unknown as AccountState,
    acctHash: 0,
    t: 0,
    fp: 0,
    domains: [],
    deviating: false,
    compromised: false,
    risky: false,
  };
}

/** The conversation a message belongs to, for joining a sender's consecutive messages. */
function conversationOf(ev: MessageSentEvent): string | undefined {
  if (ev.group !== undefined) return `g:${ev.group.id}`;
  const rc = ev.recipients;
  if (rc === undefined || rc.length === 0 || rc.length > 16) return undefined;
  return rc.length === 1 ? `r:${rc[0]}` : `r:${[...rc].sort().join('\u0001')}`;
}

export class MessagePipeline {
  private readonly st: EngineState;
  private readonly tf: TextFeatures = { fingerprint: 0, length: 0, script: -1 };
  private rcptHashes = new Float64Array(1024);
  /** Messages the account had sent to the first recipient before this one (read in `learn`). */
  private sentToFirst = 0;
  private readonly noImages: MessageContext['imageMatches'] = [];
  private readonly ctx: MessageContext;
  /** The per-message step values and the tracker's view, reused (no allocation per message). */
  private readonly step: Step = { counted: false, acctHash: 0, fp: 0, groupHash: 0 };
  private readonly tracked: TrackedMessage = emptyTracked();

  constructor(st: EngineState) {
    this.st = st;
    this.ctx = {
      t: 0,
      ev: undefined as unknown as MessageSentEvent,
      acct: undefined as unknown as AccountState,
      sess: undefined,
      limits: st.limits,
      content: undefined as unknown as ContentVerdict,
      script: -1,
      hour: 0,
      clientKey: '',
      maturity: 0,
      recipients: 0,
      newRecipients: 0,
      msgs1: 0,
      msgs10: 0,
      rcpt10: 0,
      newRcpt10: 0,
      groups10: 0,
      repeat10: 0,
      asks10: 0,
      reporters60: 0,
      blockers60: 0,
      imageMatches: [],
      loginQr: undefined,
      victimContact: false,
      solicit: undefined,
      ownNewLink: false,
    };
  }

  /** Campaigns the last message completed (read right after `run`). */
  created: Campaign[] | undefined;

  run(ev: MessageSentEvent): Decision {
    const step = this.context(ev);
    this.detectors();
    const found = this.campaigns(step);
    this.created = found.created;
    const decision = this.decide(found.campaigns, step);
    // organic content let through from an unusual session teaches the profile nothing: an intruder
    // passing on the crowd's greeting must not make the friends it greeted "known" for its next message
    if (
      (decision.action === 'allow' || decision.action === 'challenge') &&
      !this.ctx.acct.contained &&
      !this.st.sink.has('organic_content')
    )
      this.learn(step.groupHash);
    return decision;
  }

  private lastClient = { kind: '', name: '', key: '/' };

  /** `kind/name`, without building the string again when the client is the previous message's. */
  private clientKeyOf(kind: string, name: string): string {
    const l = this.lastClient;
    if (kind !== l.kind || name !== l.name) {
      l.kind = kind;
      l.name = name;
      l.key = `${kind}/${name}`;
    }
    return l.key;
  }

  /**
   * Step 1: windows, content verdict, images, session → the MessageContext. A late delivery's copy
   * (late-delivery.ts: the check judged and counted the message already) is judged from the windows as
   * they are: counting it again would make one delivered message two (messages, recipients, repeats).
   */
  private context(ev: MessageSentEvent): Step {
    const st = this.st;
    const counted = ev.messageId !== undefined && ev.id.startsWith(DELIVERED_PREFIX);
    const t = ev.time;
    const L = st.limits;
    const acct = st.account(ev.account, t);
    let sess: SessionState | undefined = ev.session !== undefined ? st.session(acct, ev.session) : undefined;
    if (sess && sess.account !== ev.account) sess = undefined;
    if (ev.session !== undefined) acct.lastSession = ev.session;
    const tf = textFeatures(ev.text, this.tf);
    // a web link in a QR code of the message's images is one of its links ("扫码领红包" with a QR code)
    const qr = qrPayloads(ev);
    let content = st.verdicts.of(
      ev.text,
      qr.length === 0 ? ev.urls : withQrLinks(ev.urls, qr),
      tf.fingerprint,
    );
    // a link cut in two ("discord-gift" then ".com/nitro") is read across the sender's consecutive
    // messages in one conversation (the group, or the recipients of a direct message)
    const conversation =
      ev.text.length > 0 && st.content.linksAcrossMessages ? conversationOf(ev) : undefined;
    if (conversation !== undefined) {
      const joined = st.content.linksAcrossMessages!(ev.account, conversation, ev.text, t);
      if (joined !== undefined) content = joinedVerdict(st.content, joined, ev.urls);
    }
    const w = acct.windows();
    const acctHash = acct.hash;

    if (!counted) w.add(M_MSG, t);
    let nR = 0;
    let nNew = 0;
    const rc = ev.recipients;
    if (rc !== undefined && rc.length > 0) {
      if (this.rcptHashes.length < rc.length) this.rcptHashes = new Float64Array(rc.length);
      const recent = (acct.recentRcpt ??= new Map());
      for (let i = 0; i < rc.length; i++) {
        const h = hash53(rc[i]!);
        this.rcptHashes[i] = h;
        const sent = acct.known.get(h);
        if (sent === undefined) nNew++;
        if (!counted) {
          const prev = touchLastSeen(recent, L.recentRecipients, h, t);
          countDistinct(w, t, prev, M_RCPT_1, M_RCPT_10, M_RCPT_60);
          if (sent === undefined && t - prev > 600_000) w.add(M_NEW_RCPT, t);
        }
        // a single recipient's count is remembered for `learn` (nothing changes it in between)
        if (i === 0) this.sentToFirst = sent ?? 0;
      }
      nR = rc.length;
      if (!counted) w.add(M_DELIV, t, nR);
    }
    let groupHash = 0;
    if (ev.group !== undefined) {
      groupHash = hash53(ev.group.id, 7);
      nR++;
      if (!acct.groups.get(groupHash)) nNew++;
      if (!counted) {
        const prev = touchLastSeen((acct.recentGroups ??= new Map()), 64, groupHash, t);
        countDistinct(w, t, prev, -1, M_GRP_10, -1);
        w.add(M_DELIV, t, ev.group.memberCount ?? 1);
      }
    }
    const fp = tf.fingerprint;
    if (fp !== 0 && !counted) {
      const rt = acct.recentTexts;
      for (let i = 0; i < rt.length; i++) {
        if (rt[i] === fp) {
          w.add(M_REPEAT, t);
          break;
        }
      }
      rt[acct.recentTextsAt] = fp;
      acct.recentTextsAt = (acct.recentTextsAt + 1) % rt.length;
    }

    const images: MessageContext['imageMatches'] = ev.attachments.length === 0 ? this.noImages : [];
    for (const at of ev.attachments) {
      const m =
        (at.pdq !== undefined ? st.content.matchImage(at.pdq) : undefined) ??
        st.content.matchImage(at.sha256);
      if (m) images.push({ hash: at.pdq ?? at.sha256, label: m.label, distance: m.distance });
    }

    const c = this.ctx;
    c.t = t;
    c.ev = ev;
    c.acct = acct;
    c.sess = sess;
    c.content = content;
    c.script = tf.script;
    c.hour = utcHour(t);
    c.clientKey = this.clientKeyOf(ev.client.kind, ev.client.name);
    c.maturity = Math.min(1, acct.messages / L.profileMatureMessages);
    c.recipients = nR;
    c.newRecipients = nNew;
    c.msgs1 = w.sum(M_MSG, t, W1);
    c.msgs10 = w.sum(M_MSG, t, W10);
    c.rcpt10 = w.sum(M_RCPT_10, t, W10);
    c.newRcpt10 = w.sum(M_NEW_RCPT, t, W10);
    c.groups10 = w.sum(M_GRP_10, t, W10);
    c.repeat10 = w.sum(M_REPEAT, t, W10);
    c.reporters60 = w.sum(M_REPORTERS_60, t, W60);
    c.blockers60 = w.sum(M_BLOCKERS_60, t, W60);
    c.imageMatches = images;
    c.loginQr = st.content.loginQr?.(ev.text, ev.urls, qr);
    c.victimContact = st.victimContact(acctHash, t);
    // a money request, a scam's ask (money named or not), or after either in this session a push to
    // another channel (read before it counts). The ask counts where the scam model reads a scam; from
    // a session that is not the owner's usual one already within UNUSUAL_SESSION_SCAM_PRIOR of it:
    // such a session raises the odds that a message asking for money is a scam
    const prior = sess !== undefined && unusual(sess) ? UNUSUAL_SESSION_SCAM_PRIOR : 0;
    c.solicit =
      content.moneyTerm ??
      content.credentialAsk ??
      (content.scamAsk !== undefined && content.scamMargin + prior >= 0 ? content.scamAsk : undefined) ??
      (sess !== undefined && sess.moneyRcpt > 0 ? content.contactTerm : undefined);
    // friend after friend asked, message after message, whatever the session (a phone taken unlocked, a
    // session stolen with its cookie): a direct message to one person, or a post in a group, is one ask;
    // one message to many (a fundraiser sent to every friend at once) is a broadcast, not this pattern;
    // a share of a split cost is the organiser's errand
    c.asks10 = 0;
    if (c.solicit !== undefined && content.shareTerm === undefined && !counted) {
      if (ev.group !== undefined) c.asks10 = noteAsk(acct, t, groupHash);
      else if (rc !== undefined && rc.length === 1) c.asks10 = noteAsk(acct, t, this.rcptHashes[0]!);
    }
    c.ownNewLink = false;
    for (const d of content.domains)
      if (!acct.linkDomains.has(d) && !st.campaigns.organicDomain(d, t)) {
        c.ownNewLink = true;
        break;
      }
    if (sess && !counted) {
      lateWave(st, sess, t);
      // what this session has sent so far that only an intruder's session does at once: links to
      // sites the account never linked, money requests (recipients; a group counts as many)
      const reach =
        (rc?.length ?? 0) + (ev.group !== undefined ? Math.max(3, (ev.group.memberCount ?? 3) - 1) : 0);
      if (c.solicit !== undefined) sess.moneyRcpt += reach;
      if (c.ownNewLink) sess.linkRcpt += reach;
    }
    const step = this.step;
    step.counted = counted;
    step.acctHash = acctHash;
    step.fp = fp;
    step.groupHash = groupHash;
    return step;
  }

  /** Step 2: the message detectors. */
  private detectors(): void {
    const sink = this.st.sink;
    sink.reset();
    for (const d of MESSAGE_DETECTORS) d.run(this.ctx, sink);
  }

  /** Step 3: campaigns — what the content belongs to; the crowd signals. */
  private campaigns(step: Step): CampaignResult {
    const st = this.st;
    const c = this.ctx;
    const sink = st.sink;
    const content = c.content;
    const risky =
      content.probability >= 0.5 ||
      content.moneyTerm !== undefined ||
      content.abuseTerm !== undefined ||
      // a link makes content risky only when its analysis is not clean: a viral news link shared by
      // many accounts is not a campaign (lookalikes, blocked and suspicious links are)
      (content.worst !== undefined && content.worst.verdict !== 'clean') ||
      c.imageMatches.length > 0 ||
      c.loginQr !== undefined;
    // organic or hijack: only a sender whose session (or state) shows compromise forms or joins a
    // campaign and carries a victim's-contact prior (README, "Organic or hijack")
    const compromised = sink.compromise >= st.limits.compromisedSender;
    const m = this.tracked;
    m.ev = c.ev;
    m.acct = c.acct;
    m.acctHash = step.acctHash;
    m.t = c.t;
    m.fp = step.fp;
    m.domains = content.domains;
    m.deviating = sink.deviation >= st.limits.deviationThreshold;
    m.compromised = compromised;
    m.risky = risky;
    const found = st.campaigns.track(m);
    crowdSignals(c, found, compromised, st.limits.campaignMinSenders, sink);
    return found;
  }

  /** Step 4: familiar context, score, decision, and the bookkeeping that follows it. */
  private decide(campaigns: string[] | undefined, step: Step): Decision {
    const st = this.st;
    const c = this.ctx;
    const sink = st.sink;
    familiarContext(c, sink);
    const ev = c.ev;
    organicContent(c, this.tracked.risky, step.fp, st.campaigns, sink);
    const logit = st.bias + sink.logit;
    const action = decideAction(logit, sink.compromise, st.thresholds);
    const decision = makeDecision(
      ev.id,
      ev.type,
      c.acct.id,
      ev.session,
      c.t,
      action,
      logit,
      sink.signals,
      campaigns,
    );
    if (action !== 'allow') {
      // the content keys the response part may quarantine (campaigns.ts `quarantinable`): a campaign's,
      // a second compromised sender's, what is bad in itself — never content passed along organically
      const keys: string[] = [];
      const q = st.campaigns;
      if (step.fp !== 0) {
        const k = `t:${step.fp.toString(36)}`;
        if (q.quarantinable(k, c.t, false)) keys.push(k);
      }
      for (const d of c.content.domains) {
        const bad = c.content.urls.some((u) => u.registeredDomain === d && u.verdict !== 'clean');
        if (q.quarantinable(`d:${d}`, c.t, bad)) keys.push(`d:${d}`);
      }
      for (const at of ev.attachments) {
        const k = `i:${at.sha256.toLowerCase()}`;
        if (
          q.quarantinable(
            k,
            c.t,
            c.imageMatches.some((m) => m.hash === (at.pdq ?? at.sha256)),
          )
        )
          keys.push(k);
      }
      if (keys.length > 0) decision.fingerprints = keys;
    }
    // a late delivery's copy adds no evidence: the account's and session's risk are the check's judgement's
    st.afterDecision(c.acct, c.sess, decision, c.t, !step.counted);
    if (c.sess && !step.counted) c.sess.riskLogit = Math.max(c.sess.riskLogit, logit);
    return decision;
  }

  /** Step 5: learn the profile (only from messages not judged hold or worse). */
  private learn(groupHash: number): void {
    const L = this.st.limits;
    const c = this.ctx;
    const acct = c.acct;
    const t = c.t;
    acct.messages++;
    acct.hours[c.hour]!++;
    if (c.script >= 0) acct.scripts[c.script]!++;
    acct.clients.set(c.clientKey, (acct.clients.get(c.clientKey) ?? 0) + 1);
    boundMap(acct.clients, 8);
    if (c.content.domains.length > 0) {
      acct.linksSent++;
      for (const d of c.content.domains) acct.linkDomains.set(d, (acct.linkDomains.get(d) ?? 0) + 1);
      boundMap(acct.linkDomains, L.linkDomains);
    }
    const rc = c.ev.recipients;
    if (rc !== undefined) {
      const known = acct.known;
      if (rc.length === 1) known.set(this.rcptHashes[0]!, this.sentToFirst + 1);
      else
        for (let i = 0; i < rc.length; i++) {
          const h = this.rcptHashes[i]!;
          known.set(h, (known.get(h) ?? 0) + 1);
        }
      boundMap(known, L.knownRecipients);
    }
    if (groupHash !== 0) {
      acct.groups.set(groupHash, (acct.groups.get(groupHash) ?? 0) + 1);
      boundMap(acct.groups, L.knownGroups);
    }
    // Peaks learn from the completed 10-minute window before this one (lagged), so a burst in
    // progress never raises its own baseline.
    const w = acct.windows();
    const lag = t - 600_000;
    const k = Math.pow(0.5, Math.max(0, t - acct.peakAt) / L.peakHalfLifeMs);
    acct.peakMsgs10 = Math.max(acct.peakMsgs10 * k, w.sum(M_MSG, lag, W10));
    acct.peakRcpt10 = Math.max(acct.peakRcpt10 * k, w.sum(M_RCPT_10, lag, W10));
    acct.peakGroups10 = Math.max(acct.peakGroups10 * k, w.sum(M_GRP_10, lag, W10));
    if (t > acct.peakAt) acct.peakAt = t;
  }
}

const NO_QR: readonly string[] = [];
const HOUR_MS = 3_600_000;

/** `new Date(t).getUTCHours()` without the Date (UTC has no leap seconds in JS time). */
function utcHour(t: number): number {
  const h = Math.floor(t / HOUR_MS) % 24;
  return h < 0 ? h + 24 : h;
}

/** The message's links and the web links among the QR texts of its images. */
function withQrLinks(urls: readonly string[], qr: readonly string[]): readonly string[] {
  let out: string[] | undefined;
  for (const q of qr) {
    const t = q.trim();
    if (/^https?:\/\/\S+$/i.test(t) && !urls.includes(t)) (out ??= [...urls]).push(t);
  }
  return out ?? urls;
}

/** The QR text of the message's images (decoded by the platform, or by Gatehouse on arrival). */
function qrPayloads(ev: MessageSentEvent): readonly string[] {
  if (ev.attachments.length === 0) return NO_QR;
  let out: string[] | undefined;
  for (const a of ev.attachments) if (a.qr) (out ??= []).push(...a.qr);
  return out ?? NO_QR;
}
