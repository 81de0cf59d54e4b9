/**
 * The detection engine: consumes events keyed by account (in arrival order per account, windows by
 * EVENT time), keeps bounded per-account / per-session / per-content / per-network state, runs the
 * detectors, correlates content across accounts into campaigns and returns a decision with its
 * reasons for every event. Synchronous and allocation-light; no I/O.
 */
import type { Limits, Thresholds, Weights } from './config.ts';
import { BIAS, DEFAULT_LIMITS, DEFAULT_THRESHOLDS, defaultWeights } from './config.ts';
import type { ContentResult, MessageContext } from './detectors.ts';
import {
  containedSignal,
  MESSAGE_DETECTORS,
  familiarContext,
  reportSignals,
  sessionSignals,
  victimSignal,
} from './detectors.ts';
import { BoundedMap } from './bounded.ts';
import { decide, makeDecision, toPreSend } from './scoring.ts';
import { SignalSink, clamp01 } from './signals.ts';
import {
  AccountState,
  F_DEV_60,
  F_SEND_10,
  F_SEND_60,
  FingerprintState,
  M_BLOCKERS_60,
  M_DELIV,
  M_FRIEND_RM,
  M_GRP_10,
  M_MSG,
  M_NEW_RCPT,
  M_RCPT_1,
  M_RCPT_10,
  M_RCPT_60,
  M_REPEAT,
  M_REPORTERS_60,
  NetworkState,
  SessionState,
  boundMap,
  boundSet,
} from './state.ts';
import type { TextFeatures } from './text.ts';
import { hash53, nearDuplicateKeysOfLast, networkOf, textFeatures } from './text.ts';
import type {
  Action,
  Campaign,
  CampaignStatus,
  CheckResult,
  ContentAnalyzer,
  Decision,
  EngineEvent,
  FingerprintKind,
  IdentityEvent,
  LoginSucceededEvent,
  MessageReportedEvent,
  MessageSentEvent,
  ProcessResult,
  SessionCreatedEvent,
  UrlVerdict,
} from './types.ts';
import { W10, W60, W1, WindowCounters, countDistinct, touchLastSeen } from './windows.ts';

export interface EngineOptions {
  content: ContentAnalyzer;
  limits?: Partial<Limits>;
  weights?: Partial<Weights>;
  thresholds?: Partial<Thresholds>;
  bias?: number;
  /** Wall clock for the event-time bounds (default Date.now). */
  now?: () => number;
}

export interface ProcessOptions {
  /** When the event was received (bounds are checked against it); default now(). */
  receivedAt?: number;
}

interface CampaignRecord {
  id: string;
  kind: FingerprintKind;
  key: string;
  sample: string;
  members: Set<string>;
  memberCount: number;
  firstSeen: number;
  lastSeen: number;
  status: CampaignStatus;
}

export interface EngineSnapshot {
  version: 1;
  accounts: unknown[];
  sessions: unknown[];
  fingerprints: unknown[];
  campaigns: Array<Omit<CampaignRecord, 'members'> & { members: string[] }>;
  networks: Array<[string, unknown]>;
  victims: Array<[number, number]>;
  quarantined: string[];
  /** fingerprint number → campaign id (exact text, domain, image and SimHash band keys) */
  campaignLinks: Array<[number, string]>;
  simhashLive: number;
  stats: EngineStats;
}

export interface EngineStats {
  events: number;
  rejected: number;
  decisions: Record<Action, number>;
  campaigns: number;
}

const MONEY_INTENTS = new Set(['money_request', 'money', 'transfer', 'top_up', 'loan']);
const ABUSE_INTENTS = new Set([
  'gambling',
  'porn',
  'adult',
  'phishing',
  'impersonation',
  'giveaway',
  'prize',
  'scam',
  'spam',
  'drugs',
]);
const VERDICT_RANK = { clean: 0, suspicious: 1, lookalike: 2, blocked: 3 } as const;
const MAX_CACHED_TEXT = 2048;
const MAX_DEVIATING_IDS = 64;
const FP_SENDERS = 256;
const SAMPLE_LEN = 200;
const RECENT_FP_SLOTS = 65_536;

/** The number a fingerprint key is tracked under: the text hash itself, else a hash of the key. */
export function fingerprintNumber(key: string): number {
  return key.startsWith('t:') ? parseInt(key.slice(2), 36) : hash53(key, 3);
}

function isGrowthStep(n: number): boolean {
  if (n < 10) return false;
  const p = 10 ** Math.floor(Math.log10(n));
  return n === p || n === 2 * p || n === 5 * p;
}

export class Engine {
  readonly limits: Limits;
  readonly weights: Weights;
  readonly thresholds: Thresholds;
  readonly bias: number;
  readonly content: ContentAnalyzer;
  readonly now: () => number;

  readonly accounts: BoundedMap<string, AccountState>;
  readonly sessions: BoundedMap<string, SessionState>;
  /** fingerprint number → state, for fingerprints sent by deviating accounts */
  readonly fingerprints: BoundedMap<number, FingerprintState>;
  readonly campaignByFp: BoundedMap<number, string>;
  readonly campaignsById: BoundedMap<string, CampaignRecord>;
  readonly networks: BoundedMap<string, NetworkState>;
  /** account hash → time until which it is a contact of a confirmed victim */
  readonly victims: BoundedMap<number, number>;
  readonly quarantined = new Set<string>();
  private readonly quarantinedFp = new Set<number>();
  private readonly contentCache: BoundedMap<string, ContentResult>;
  private readonly stats: EngineStats = {
    events: 0,
    rejected: 0,
    decisions: { allow: 0, challenge: 0, hold: 0, block: 0, contain: 0 },
    campaigns: 0,
  };

  private readonly sink: SignalSink;
  private readonly tf: TextFeatures = { fingerprint: 0, length: 0, script: -1 };
  private rcptHashes = new Float64Array(1024);
  private readonly recentFp = new Float64Array(RECENT_FP_SLOTS);
  /** Near-duplicate campaign links and quarantines alive (MinHash is then computed for every message). */
  private simhashLive = 0;
  private noImages: MessageContext['imageMatches'] = [];
  /** campaigns that reached a growth step during the current event */
  private grown: Set<string> | undefined;
  // per-message accumulators of the fingerprint pass
  private fpCampaigns: string[] | undefined;
  private fpCreated: Campaign[] | undefined;
  private fpForming = 0;
  private fpQuarantined: string | undefined;
  private readonly ctx: MessageContext;

  constructor(opts: EngineOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.weights = { ...defaultWeights(), ...opts.weights };
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
    this.bias = opts.bias ?? BIAS;
    this.content = opts.content;
    this.now = opts.now ?? Date.now;
    this.sink = new SignalSink(this.weights);
    const L = this.limits;
    this.accounts = new BoundedMap(L.maxAccounts);
    this.sessions = new BoundedMap(L.maxSessions);
    this.fingerprints = new BoundedMap(L.maxFingerprints);
    this.campaignsById = new BoundedMap(L.maxCampaigns);
    this.campaignByFp = new BoundedMap(L.maxCampaigns);
    this.networks = new BoundedMap(L.maxNetworks);
    this.victims = new BoundedMap(L.maxVictimContacts);
    this.contentCache = new BoundedMap(L.contentCache);
    this.ctx = {
      t: 0,
      ev: undefined as unknown as MessageSentEvent,
      acct: undefined as unknown as AccountState,
      sess: undefined,
      limits: this.limits,
      content: undefined as unknown as ContentResult,
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
      reporters60: 0,
      blockers60: 0,
      imageMatches: [],
      victimContact: false,
    };
  }

  // ------------------------------------------------------------------ entry points

  /** Processes one event: checks its time bounds, updates state, returns the decision. */
  process(ev: EngineEvent, opts?: ProcessOptions): ProcessResult {
    const recv = opts?.receivedAt ?? this.now();
    if (ev.time < recv - this.limits.maxPastMs) {
      this.stats.rejected++;
      return {
        status: 'rejected',
        reason: 'too_old',
        detail: `event time is more than ${this.limits.maxPastMs / 3600_000} h in the past`,
      };
    }
    if (ev.time > recv + this.limits.maxFutureMs) {
      this.stats.rejected++;
      return {
        status: 'rejected',
        reason: 'too_far_in_future',
        detail: `event time is more than ${this.limits.maxFutureMs / 60_000} min in the future`,
      };
    }
    this.stats.events++;
    let decision: Decision | undefined;
    let created: Campaign[] | undefined;
    switch (ev.type) {
      case 'message.sent': {
        const r = this.onMessage(ev);
        decision = r.decision;
        created = r.created;
        break;
      }
      case 'message.reported':
        decision = this.onReport(ev);
        break;
      case 'contact.blocked':
        decision = this.onBlocked(ev.account, ev.contact, ev.id, ev.time);
        break;
      case 'friend.added': {
        const a = this.account(ev.account, ev.time);
        a.friends.add(hash53(ev.friend));
        boundSet(a.friends, this.limits.friends);
        break;
      }
      case 'friend.removed':
        decision = this.onFriendRemoved(ev.account, ev.friend, ev.id, ev.time);
        break;
      case 'group.joined': {
        const a = this.account(ev.account, ev.time);
        const h = hash53(ev.group.id, 7);
        if (!a.groups.has(h)) a.groups.set(h, 0);
        boundMap(a.groups, this.limits.knownGroups);
        break;
      }
      case 'group.left':
        this.account(ev.account, ev.time).groups.delete(hash53(ev.group.id, 7));
        break;
      case 'profile.changed':
        decision = this.onAccountChange(
          ev.account,
          ev.id,
          ev.type,
          ev.time,
          'profile_changed_new_session',
          ev.field,
        );
        break;
      default:
        decision = this.onIdentity(ev);
    }
    if (decision) {
      this.stats.decisions[decision.action]++;
      if (decision.action !== 'allow') {
        const a = this.accounts.get(decision.account);
        if (a) {
          a.timeline.push(decision);
          if (a.timeline.length > this.limits.timeline) a.timeline.shift();
        }
      }
    }
    let grown: Campaign[] | undefined;
    if (this.grown !== undefined) {
      for (const id of this.grown) {
        const c = this.campaignsById.get(id);
        if (c && !created?.some((x) => x.id === id)) (grown ??= []).push(this.campaignView(c));
      }
      this.grown = undefined;
    }
    const r: ProcessResult = { status: 'accepted', decision };
    if (created) r.campaignsCreated = created;
    if (grown) r.campaignsGrown = grown;
    return r;
  }

  /**
   * Pre-send check: scores the message from current state, records it as an event and answers
   * allow | hold | block (challenge → hold until the sender passes a challenge; contain → block).
   */
  checkMessage(
    ev: MessageSentEvent,
    opts?: ProcessOptions,
  ): CheckResult | Extract<ProcessResult, { status: 'rejected' }> {
    const r = this.process(ev, opts);
    if (r.status === 'rejected') return r;
    const decision = r.decision!;
    return { verdict: toPreSend(decision.action), decision };
  }

  // ------------------------------------------------------------------ messages

  private onMessage(ev: MessageSentEvent): { decision: Decision; created: Campaign[] | undefined } {
    const t = ev.time;
    const L = this.limits;
    const acct = this.account(ev.account, t);
    let sess = ev.session !== undefined ? this.sessions.get(ev.session) : undefined;
    if (sess && sess.account !== ev.account) sess = undefined;
    if (ev.session !== undefined) acct.lastSession = ev.session;
    const tf = textFeatures(ev.text, this.tf);
    const content = this.analyze(ev.text, ev.urls, tf.fingerprint);
    const w = acct.windows();
    const acctHash = hash53(acct.id);

    // --- windows
    w.add(M_MSG, t);
    let nR = 0;
    let nNew = 0;
    const rc = ev.recipients;
    if (rc !== undefined && rc.length > 0) {
      if (this.rcptHashes.length < rc.length) this.rcptHashes = new Float64Array(rc.length);
      const recent = (acct.recentRcpt ??= new Map());
      for (let i = 0; i < rc.length; i++) {
        const h = hash53(rc[i]!);
        this.rcptHashes[i] = h;
        const prev = touchLastSeen(recent, L.recentRecipients, h, t);
        countDistinct(w, t, prev, M_RCPT_1, M_RCPT_10, M_RCPT_60);
        if (!acct.known.has(h)) {
          nNew++;
          if (t - prev > 600_000) w.add(M_NEW_RCPT, t);
        }
      }
      nR = rc.length;
      w.add(M_DELIV, t, nR);
    }
    let groupHash = 0;
    if (ev.group !== undefined) {
      groupHash = hash53(ev.group.id, 7);
      const prev = touchLastSeen((acct.recentGroups ??= new Map()), 64, groupHash, t);
      countDistinct(w, t, prev, -1, M_GRP_10, -1);
      nR++;
      if (!acct.groups.get(groupHash)) nNew++;
      w.add(M_DELIV, t, ev.group.memberCount ?? 1);
    }
    const fp = tf.fingerprint;
    if (fp !== 0) {
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

    // --- images
    const images: MessageContext['imageMatches'] = ev.attachments.length === 0 ? this.noImages : [];
    for (const at of ev.attachments) {
      const m =
        (at.pdq !== undefined ? this.content.matchImage(at.pdq) : undefined) ??
        this.content.matchImage(at.sha256);
      if (m) images.push({ hash: at.pdq ?? at.sha256, label: m.label, distance: m.distance });
    }

    // --- context
    const c = this.ctx;
    c.t = t;
    c.ev = ev;
    c.acct = acct;
    c.sess = sess;
    c.content = content;
    c.script = tf.script;
    c.hour = new Date(t).getUTCHours();
    c.clientKey = `${ev.client.kind}/${ev.client.name}`;
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
    c.victimContact = (this.victims.get(acctHash) ?? 0) > t;
    if (
      sess &&
      sess.wave === 0 &&
      sess.deviceNew &&
      sess.network !== undefined &&
      t - sess.createdAt < 24 * 3600_000
    )
      sess.wave = this.waveAt(sess.network, sess.createdAt + 300_000);

    const sink = this.sink;
    sink.reset();
    for (const d of MESSAGE_DETECTORS) d.run(c, sink);

    // --- content fingerprints and campaigns
    const deviating = sink.deviation >= L.deviationThreshold;
    const risky =
      content.probability >= 0.5 ||
      content.moneyTerm !== undefined ||
      content.abuseTerm !== undefined ||
      // a link makes content risky only when its analysis is not clean: a viral news link shared by
      // many accounts is not a campaign (lookalikes, blocked and suspicious links are)
      (content.worst !== undefined && content.worst.verdict !== 'clean') ||
      images.length > 0;
    this.fpCampaigns = undefined;
    this.fpCreated = undefined;
    this.fpForming = 0;
    this.fpQuarantined = undefined;
    if (fp !== 0) this.see('text', fp, undefined, undefined, ev, acct, acctHash, t, deviating, risky);
    // near-duplicate text (MinHash bands): tracked for deviating senders; looked up for everyone
    // only while a near-duplicate campaign or quarantine exists (it costs ~1 µs per message)
    const nearKeys = deviating || this.simhashLive > 0 ? nearDuplicateKeysOfLast() : undefined;
    if (nearKeys !== undefined) {
      // one campaign per content: bands join the campaign of the exact text (or of the first band
      // that forms one), so a blast and its variants are one campaign, not five
      const found = () => this.fpCampaigns as string[] | undefined;
      const before = found()?.length ?? 0;
      const nums = nearKeys.map(fingerprintNumber);
      let linked = before > 0 ? found()![0] : undefined;
      if (linked === undefined)
        for (const num of nums) {
          const cid = this.campaignByFp.get(num);
          if (cid !== undefined && this.campaignsById.has(cid)) {
            linked = cid;
            break;
          }
        }
      for (let i = 0; i < nums.length; i++) {
        const num = nums[i]!;
        if (linked !== undefined) {
          const cur = this.campaignByFp.get(num);
          if (cur === linked) {
            if (!found()?.includes(linked))
              this.see('text', num, nearKeys[i], undefined, ev, acct, acctHash, t, deviating, risky);
          } else if (cur === undefined || !this.campaignsById.has(cur)) {
            this.campaignByFp.set(num, linked);
            this.simhashLive++;
          }
          continue;
        }
        this.see('text', num, nearKeys[i], undefined, ev, acct, acctHash, t, deviating, risky);
        if ((found()?.length ?? 0) > before) linked = found()![before];
      }
      if (linked !== undefined && fp !== 0 && !this.campaignByFp.has(fp)) this.campaignByFp.set(fp, linked);
    }
    for (const d of content.domains) {
      const k = `d:${d}`;
      this.see('domain', fingerprintNumber(k), k, d, ev, acct, acctHash, t, deviating, risky);
    }
    for (const at of ev.attachments) {
      const h = at.sha256.toLowerCase();
      const k = `i:${h}`;
      this.see('image', fingerprintNumber(k), k, h, ev, acct, acctHash, t, deviating, risky);
    }
    let campaigns = this.fpCampaigns as string[] | undefined;
    if (campaigns && campaigns.length > 1) campaigns = [...new Set(campaigns)];
    const created = this.fpCreated as Campaign[] | undefined;
    const forming = this.fpForming as number;
    const quarantinedKey = this.fpQuarantined as string | undefined;
    if (acct.pendingCampaigns) {
      for (const id of acct.pendingCampaigns) if (!campaigns?.includes(id)) (campaigns ??= []).push(id);
      acct.pendingCampaigns = undefined;
    }
    if (campaigns)
      sink.emit(
        'campaign_member',
        campaigns[0]!,
        1,
        `content belongs to campaign ${campaigns[0]} (many accounts breaking their habits at once)`,
        `内容属于群发活动 ${campaigns[0]}（大量账号同时行为异常）`,
      );
    else if (forming > 0)
      sink.emit(
        'campaign_forming',
        forming,
        clamp01(forming / L.campaignMinSenders),
        `${forming} accounts that broke their habits sent the same content within the hour`,
        `一小时内有 ${forming} 个行为异常的账号发送了相同内容`,
      );
    if (quarantinedKey !== undefined)
      sink.emit(
        'content_quarantined',
        quarantinedKey,
        1,
        'the content is quarantined by an operator',
        '该内容已被运营人员隔离',
      );

    familiarContext(c, sink);

    // --- decision
    const logit = this.bias + sink.logit;
    const action = decide(logit, sink.compromise, this.thresholds);
    const decision = makeDecision(
      ev.id,
      ev.type,
      acct.id,
      ev.session,
      t,
      action,
      logit,
      sink.signals,
      campaigns,
    );
    if (action !== 'allow') {
      const keys: string[] = [];
      if (fp !== 0) keys.push(`t:${fp.toString(36)}`);
      for (const d of content.domains) keys.push(`d:${d}`);
      for (const at of ev.attachments) keys.push(`i:${at.sha256.toLowerCase()}`);
      if (keys.length > 0) decision.fingerprints = keys;
    }
    this.afterDecision(acct, sess, decision, t);
    if (sess) sess.riskLogit = Math.max(sess.riskLogit, logit);

    // --- learn the profile from events not judged hold or worse
    if ((action === 'allow' || action === 'challenge') && !acct.contained)
      this.learn(acct, c, ev, groupHash, t);
    return { decision, created };
  }

  private learn(
    acct: AccountState,
    c: MessageContext,
    ev: MessageSentEvent,
    groupHash: number,
    t: number,
  ): void {
    const L = this.limits;
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
    const rc = ev.recipients;
    if (rc !== undefined) {
      const known = acct.known;
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

  private analyze(text: string, urls: readonly string[], fp: number): ContentResult {
    // Only texts whose fingerprint was seen recently go through the cache (one-off texts would
    // just churn it): a 64 Ki-slot table of recent fingerprints decides.
    let cacheable = text.length <= MAX_CACHED_TEXT && fp !== 0;
    if (cacheable) {
      const slot = fp % RECENT_FP_SLOTS;
      if (this.recentFp[slot] !== fp) {
        this.recentFp[slot] = fp;
        cacheable = false;
      }
    }
    const key = urls.length === 0 ? text : `${text}\u0001${urls.join('\u0001')}`;
    if (cacheable) {
      const hit = this.contentCache.get(key);
      if (hit) return hit;
    }
    const uv: UrlVerdict[] =
      urls.length > 0 || text.includes('.') ? this.content.analyzeUrls(text, urls) : [];
    // Links the URL part finds clean are cut from the text before the text model scores it: the
    // model learned from SMS and group-ad corpora where nearly every link is spam, so "see you
    // tonight <news link>" would score as spam on the link alone. Risky links keep their words.
    const ts =
      text.length === 0
        ? { probability: 0, intents: [] }
        : this.content.scoreText(uv.length > 0 ? withoutCleanLinks(text, uv) : text);
    let moneyTerm: string | undefined;
    let abuseTerm: string | undefined;
    let abuseIntent: string | undefined;
    for (const it of ts.intents) {
      if (moneyTerm === undefined && MONEY_INTENTS.has(it.intent)) moneyTerm = it.term;
      else if (abuseTerm === undefined && ABUSE_INTENTS.has(it.intent)) {
        abuseTerm = it.term;
        abuseIntent = it.intent;
      }
    }
    const domains: string[] = [];
    let worst: UrlVerdict | undefined;
    for (const u of uv) {
      // an official brand domain or an allowlisted one is never a campaign fingerprint
      const trusted =
        u.verdict === 'clean' && u.reasons.some((r) => r === 'url.official' || r === 'url.allowlisted');
      if (u.registeredDomain && !trusted && !domains.includes(u.registeredDomain))
        domains.push(u.registeredDomain);
      if (!worst || VERDICT_RANK[u.verdict] > VERDICT_RANK[worst.verdict]) worst = u;
    }
    const r: ContentResult = {
      probability: ts.probability,
      moneyTerm,
      abuseTerm,
      abuseIntent,
      urls: uv,
      domains,
      worst,
    };
    if (cacheable) {
      this.contentCache.set(key, r);
    }
    return r;
  }

  // ------------------------------------------------------------------ fingerprints & campaigns

  private see(
    kind: FingerprintKind,
    num: number,
    key: string | undefined,
    sample: string | undefined,
    ev: MessageSentEvent,
    acct: AccountState,
    acctHash: number,
    t: number,
    deviating: boolean,
    risky: boolean,
  ): void {
    if (this.quarantinedFp.has(num)) this.fpQuarantined = key ?? `t:${num.toString(36)}`;
    const cid = this.campaignByFp.get(num);
    const cr = cid !== undefined ? this.campaignsById.get(cid) : undefined;
    if (cr !== undefined) {
      if (cr.status !== 'dismissed') {
        (this.fpCampaigns ??= []).push(cr.id);
        this.addMember(cr, acct.id, t);
        if (cr.status === 'quarantined') this.fpQuarantined = cr.key;
      }
      return;
    }
    // Fingerprints are created only by accounts that break their own habits (COMPA); once one
    // exists, every sender of it is counted (distinct senders per window).
    if (!deviating) {
      const st = this.fingerprints.get(num);
      if (st !== undefined) {
        if (t > st.lastSeen) st.lastSeen = t;
        countDistinct(
          st.win!,
          t,
          touchLastSeen(st.senders!, FP_SENDERS, acctHash, t),
          -1,
          F_SEND_10,
          F_SEND_60,
        );
      }
      return;
    }
    const st = this.observeFingerprint(
      kind,
      num,
      key ?? `t:${num.toString(36)}`,
      sample ?? ev.text.slice(0, SAMPLE_LEN),
      t,
      acctHash,
      acct.id,
      risky,
    );
    if (!st.risky) return;
    const dev = st.win!.sum(F_DEV_60, t, W60);
    if (dev >= this.limits.campaignMinSenders) {
      // another fingerprint of this same message already belongs to a campaign: this one (which
      // reached the threshold on its own) joins it, so one blast is one campaign (text + domain …)
      const same = this.fpCampaigns?.[0];
      const joined = same !== undefined ? this.campaignsById.get(same) : undefined;
      if (joined !== undefined) {
        st.campaign = joined.id;
        this.campaignByFp.set(num, joined.id);
        for (const m of st.deviatingIds ?? []) this.addMember(joined, m, t);
        return;
      }
      const c2 = this.createCampaign(st, num, t);
      (this.fpCampaigns ??= []).push(c2.id);
      this.addMember(c2, acct.id, t);
      (this.fpCreated ??= []).push(this.campaignView(c2));
    } else if (dev >= 2) this.fpForming = Math.max(this.fpForming, dev);
  }

  private observeFingerprint(
    kind: FingerprintKind,
    num: number,
    key: string,
    sample: string,
    t: number,
    sender: number,
    senderId: string,
    risky: boolean,
  ): FingerprintState {
    let st = this.fingerprints.get(num);
    if (st === undefined) {
      st = new FingerprintState(kind, key, sample, t, sender);
      st.win = new WindowCounters(3);
      st.senders = new Map();
      st.deviating = new Map();
      st.deviatingIds = [];
      this.fingerprints.set(num, st);
    } else if (t > st.lastSeen) st.lastSeen = t;
    if (risky) st.risky = true;
    const win = st.win!;
    const prev = touchLastSeen(st.senders!, FP_SENDERS, sender, t);
    countDistinct(win, t, prev, -1, F_SEND_10, F_SEND_60);
    const pd = touchLastSeen(st.deviating!, FP_SENDERS, sender, t);
    countDistinct(win, t, pd, -1, -1, F_DEV_60);
    const ids = st.deviatingIds!;
    if (!ids.includes(senderId)) {
      ids.push(senderId);
      if (ids.length > MAX_DEVIATING_IDS) ids.shift();
    }
    return st;
  }

  private createCampaign(st: FingerprintState, num: number, t: number): CampaignRecord {
    const id = `cmp_${hash53(st.key).toString(36)}${Math.floor(st.firstSeen / 1000).toString(36)}`;
    const cr: CampaignRecord = {
      id,
      kind: st.kind,
      key: st.key,
      sample: st.sample,
      members: new Set(),
      memberCount: 0,
      firstSeen: st.firstSeen,
      lastSeen: t,
      status: 'active',
    };
    this.campaignsById.set(id, cr);
    this.campaignByFp.set(num, id);
    if (st.key.startsWith('s:')) this.simhashLive++;
    this.stats.campaigns++;
    st.campaign = id;
    for (const m of st.deviatingIds ?? []) {
      this.addMember(cr, m, t);
      const a = this.accounts.get(m);
      if (a) (a.pendingCampaigns ??= []).push(id);
    }
    return cr;
  }

  private addMember(cr: CampaignRecord, account: string, t: number): void {
    if (t > cr.lastSeen) cr.lastSeen = t;
    if (cr.members.has(account)) return;
    cr.memberCount++;
    if (cr.members.size < this.limits.campaignMembers) cr.members.add(account);
    // growth is reported at 10, 20, 50, 100, 200, 500, 1000 … members (not on every member)
    if (isGrowthStep(cr.memberCount)) (this.grown ??= new Set()).add(cr.id);
  }

  // ------------------------------------------------------------------ other events

  private onReport(ev: MessageReportedEvent): Decision {
    const target = this.account(ev.sender, ev.time);
    const prev = touchLastSeen((target.reporters ??= new Map()), 256, hash53(ev.account), ev.time);
    countDistinct(target.windows(), ev.time, prev, -1, -1, M_REPORTERS_60);
    return this.scoreAccountEvent(target, ev.id, ev.type, ev.time);
  }

  private onBlocked(blocker: string, contact: string, id: string, t: number): Decision {
    this.account(blocker, t);
    const target = this.account(contact, t);
    const prev = touchLastSeen((target.blockers ??= new Map()), 256, hash53(blocker), t);
    countDistinct(target.windows(), t, prev, -1, -1, M_BLOCKERS_60);
    return this.scoreAccountEvent(target, id, 'contact.blocked', t);
  }

  private onFriendRemoved(account: string, friend: string, id: string, t: number): Decision {
    const a = this.account(account, t);
    a.friends.delete(hash53(friend));
    const w = a.windows();
    w.add(M_FRIEND_RM, t);
    const n = w.sum(M_FRIEND_RM, t, W10);
    const sink = this.beginAccountSignals(a, t);
    if (n >= 5)
      sink.emit(
        'friend_removal_burst',
        n,
        clamp01((n - 3) / 10),
        `${n} friends removed within 10 minutes`,
        `10 分钟内删除了 ${n} 位好友`,
      );
    return this.finishAccountEvent(a, id, 'friend.removed', t);
  }

  private onAccountChange(
    account: string,
    id: string,
    type: EngineEvent['type'],
    t: number,
    signal: 'profile_changed_new_session' | 'password_changed_new_session',
    what: string,
  ): Decision {
    const a = this.account(account, t);
    const sink = this.beginAccountSignals(a, t);
    const s = a.lastSession !== undefined ? this.sessions.get(a.lastSession) : undefined;
    if (s && t - s.createdAt < 3600_000 && (s.deviceNew || s.networkNew))
      sink.emit(
        signal,
        what,
        1,
        `${what} changed from a session signed in less than an hour ago on a new device or network`,
        `${what} 在新设备/新网络登录不到一小时的会话中被修改`,
      );
    return this.finishAccountEvent(a, id, type, t);
  }

  /** Reports, blocks: re-score the account from its state. */
  private scoreAccountEvent(a: AccountState, id: string, type: EngineEvent['type'], t: number): Decision {
    this.beginAccountSignals(a, t);
    return this.finishAccountEvent(a, id, type, t);
  }

  private beginAccountSignals(a: AccountState, t: number): SignalSink {
    const sink = this.sink;
    sink.reset();
    const w = a.win;
    if (w) reportSignals(w.sum(M_REPORTERS_60, t, W60), w.sum(M_BLOCKERS_60, t, W60), sink);
    const s = a.lastSession !== undefined ? this.sessions.get(a.lastSession) : undefined;
    sessionSignals(s, t, sink);
    if ((this.victims.get(hash53(a.id)) ?? 0) > t) victimSignal(sink);
    if (a.contained) containedSignal(sink);
    return sink;
  }

  private finishAccountEvent(a: AccountState, id: string, type: EngineEvent['type'], t: number): Decision {
    const logit = this.bias + this.sink.logit;
    const action = decide(logit, this.sink.compromise, this.thresholds);
    const d = makeDecision(id, type, a.id, a.lastSession, t, action, logit, this.sink.signals, undefined);
    const s = a.lastSession !== undefined ? this.sessions.get(a.lastSession) : undefined;
    this.afterDecision(a, s, d, t);
    return d;
  }

  private onIdentity(ev: IdentityEvent): Decision | undefined {
    const t = ev.time;
    switch (ev.type) {
      case 'identity.login.succeeded':
        return this.onLogin(ev);
      case 'identity.session.created':
        // Identity emits login.succeeded and session.created for one sign-in: the second must not
        // rebuild the session, or the device and network it just learned would no longer count as new.
        return this.sessions.get(ev.session) !== undefined ? undefined : this.onLogin(ev);
      case 'identity.session.revoked': {
        const s = this.sessions.get(ev.session);
        if (s) s.revoked = true;
        return undefined;
      }
      case 'identity.password.changed': {
        const a = this.account(ev.account, t);
        if (ev.session !== undefined) a.lastSession = ev.session;
        return this.onAccountChange(
          ev.account,
          ev.id,
          ev.type,
          t,
          'password_changed_new_session',
          'password',
        );
      }
      case 'identity.account.frozen': {
        const a = this.account(ev.account, t);
        a.contained = true;
        a.containedAt = t;
        return undefined;
      }
      case 'identity.account.unfrozen': {
        this.release(ev.account);
        return undefined;
      }
    }
  }

  private onLogin(ev: LoginSucceededEvent | SessionCreatedEvent): Decision {
    const t = ev.time;
    const L = this.limits;
    const a = this.account(ev.account, t);
    const s = new SessionState(ev.session, ev.account, ev.method ?? 'unknown', t);
    const ah = hash53(a.id);
    if (ev.device) {
      s.device = ev.device.id;
      s.deviceNew = a.devices.size > 0 && !a.devices.has(ev.device.id);
    }
    if (ev.ip !== undefined) {
      s.network = networkOf(ev.ip);
      s.networkNew = a.networks.size > 0 && !a.networks.has(s.network);
    }
    if (ev.country !== undefined) {
      s.country = ev.country.toUpperCase();
      s.countryNew = a.countries.size > 0 && !a.countries.has(s.country);
    }
    if (ev.type === 'identity.login.succeeded' && ev.risk !== undefined) s.risk = clamp01(ev.risk);
    if (s.deviceNew) {
      if (s.network !== undefined) s.wave = Math.max(s.wave, this.noteNewDeviceLogin(s.network, ah, t));
      if (ev.device?.fingerprint)
        s.wave = Math.max(s.wave, this.noteNewDeviceLogin(`fp:${ev.device.fingerprint}`, ah, t));
    }
    s.victimContact = (this.victims.get(ah) ?? 0) > t;
    this.sessions.set(s.id, s);
    a.lastSession = s.id;
    // learn sign-in context (forgotten again if the session is later contained)
    if (s.device !== undefined) {
      a.devices.set(s.device, t);
      boundMap(a.devices, L.devices);
    }
    if (s.network !== undefined) {
      a.networks.set(s.network, t);
      boundMap(a.networks, L.networks);
    }
    if (s.country !== undefined) a.countries.add(s.country);
    return this.scoreAccountEvent(a, ev.id, ev.type, t);
  }

  /** Records a new-device sign-in from a network/device fingerprint; returns the wave strength. */
  private noteNewDeviceLogin(key: string, account: number, t: number): number {
    let n = this.networks.get(key);
    if (n === undefined) {
      n = new NetworkState();
      this.networks.set(key, n);
    }
    n.lastSeen = Math.max(n.lastSeen, t);
    const prev = touchLastSeen(n.seen, 4096, account, t);
    countDistinct(n.win, t, prev, -1, 0, -1);
    return this.waveStrength(n.win.sum(0, t, W10));
  }

  private waveAt(key: string, t: number): number {
    const n = this.networks.get(key);
    return n ? this.waveStrength(n.win.sum(0, t, W10)) : 0;
  }

  private waveStrength(count: number): number {
    const min = this.limits.loginWaveMinAccounts;
    return count < min ? 0 : clamp01(0.75 + (count - min) / (4 * min));
  }

  // ------------------------------------------------------------------ account bookkeeping

  private account(id: string, t: number): AccountState {
    let a = this.accounts.get(id);
    if (a === undefined) {
      a = new AccountState(id, t);
      a.lastTouch = t;
      this.accounts.set(id, a);
      return a;
    }
    if (t > a.lastSeen) a.lastSeen = t;
    return a;
  }

  private afterDecision(a: AccountState, s: SessionState | undefined, d: Decision, t: number): void {
    // account risk: the max of this event's logit and the previous one decayed by 1 logit per hour
    const prev = Number.isFinite(a.riskLogit)
      ? a.riskLogit - Math.max(0, t - a.riskAt) / 3600_000
      : -Infinity;
    a.riskLogit = Math.max(prev, d.logit);
    a.riskAt = Math.max(a.riskAt, t);
    if (d.action === 'contain' && !a.contained) {
      a.contained = true;
      a.containedAt = t;
      // the intruder's device and network are not the owner's habits
      if (s?.deviceNew && s.device !== undefined) a.devices.delete(s.device);
      if (s?.networkNew && s.network !== undefined) a.networks.delete(s.network);
      this.markContacts(a, t);
    }
  }

  /** Friends and usual recipients of a victim carry a raised prior for `victimPriorMs`. */
  private markContacts(a: AccountState, t: number): void {
    const until = t + this.limits.victimPriorMs;
    const mark = (h: number) => {
      if ((this.victims.get(h) ?? 0) < until) this.victims.set(h, until);
    };
    for (const h of a.friends) mark(h);
    for (const h of a.known.keys()) mark(h);
  }

  // ------------------------------------------------------------------ operator actions

  /** Confirms an account as a hijack victim: contains it and raises the prior of its contacts. */
  markVictim(account: string, t = this.now()): void {
    const a = this.account(account, t);
    if (!a.contained) {
      a.contained = true;
      a.containedAt = t;
    }
    this.markContacts(a, t);
  }

  /** When the session signed in, if the engine knows it. */
  sessionStart(session: string): number | undefined {
    return this.sessions.get(session)?.createdAt;
  }

  /** Ends containment (owner recovered the account). */
  release(account: string): void {
    const a = this.accounts.get(account);
    if (!a) return;
    a.contained = false;
    a.riskLogit = -Infinity;
  }

  /** Quarantines a fingerprint key ("t:<base36>", "d:<registered domain>", "i:<sha256>"). */
  quarantine(fingerprintKey: string): void {
    if (fingerprintKey.startsWith('s:') && !this.quarantined.has(fingerprintKey)) this.simhashLive++;
    this.quarantined.add(fingerprintKey);
    this.quarantinedFp.add(fingerprintNumber(fingerprintKey));
  }

  unquarantine(fingerprintKey: string): void {
    if (fingerprintKey.startsWith('s:') && this.quarantined.has(fingerprintKey)) this.simhashLive--;
    this.quarantined.delete(fingerprintKey);
    this.quarantinedFp.delete(fingerprintNumber(fingerprintKey));
  }

  setCampaignStatus(id: string, status: CampaignStatus): Campaign | undefined {
    const c = this.campaignsById.get(id);
    if (!c) return undefined;
    c.status = status;
    if (status === 'quarantined') this.quarantine(c.key);
    else this.unquarantine(c.key);
    return this.campaignView(c);
  }

  // ------------------------------------------------------------------ read views

  campaigns(): Campaign[] {
    return [...this.campaignsById.values()]
      .map((c) => this.campaignView(c))
      .sort((x, y) => y.lastSeen - x.lastSeen);
  }

  campaign(id: string): Campaign | undefined {
    const c = this.campaignsById.get(id);
    return c ? this.campaignView(c) : undefined;
  }

  private campaignView(c: CampaignRecord): Campaign {
    const st = this.fingerprints.get(fingerprintNumber(c.key));
    const w = st?.win;
    return {
      ...(w
        ? {
            senders10m: w.sum(F_SEND_10, st.lastSeen, W10),
            senders60m: w.sum(F_SEND_60, st.lastSeen, W60),
            deviating60m: w.sum(F_DEV_60, st.lastSeen, W60),
          }
        : {}),
      id: c.id,
      kind: c.kind,
      key: c.key,
      sample: c.sample,
      members: [...c.members],
      memberCount: c.memberCount,
      firstSeen: c.firstSeen,
      lastSeen: c.lastSeen,
      status: c.status,
    };
  }

  accountRisk(account: string, t = this.now()): AccountRiskView | undefined {
    const a = this.accounts.get(account);
    if (!a) return undefined;
    const logit = Number.isFinite(a.riskLogit)
      ? a.riskLogit - Math.max(0, t - a.riskAt) / 3600_000
      : -Infinity;
    const s = a.lastSession !== undefined ? this.sessions.get(a.lastSession) : undefined;
    return {
      account: a.id,
      risk: 1 / (1 + Math.exp(-logit)),
      logit: Number.isFinite(logit) ? logit : null,
      contained: a.contained,
      containedAt: a.contained ? a.containedAt : null,
      victimContact: (this.victims.get(hash53(a.id)) ?? 0) > t,
      profile: {
        firstSeen: a.firstSeen,
        lastSeen: a.lastSeen,
        messages: a.messages,
        hours: Array.from(a.hours),
        clients: Object.fromEntries(a.clients),
        linkDomains: [...a.linkDomains.keys()],
        knownRecipients: a.known.size,
        friends: a.friends.size,
        devices: a.devices.size,
        networks: [...a.networks.keys()],
        countries: [...a.countries],
        peaks: { messages10m: a.peakMsgs10, recipients10m: a.peakRcpt10, groups10m: a.peakGroups10 },
      },
      lastSession: s
        ? {
            id: s.id,
            method: s.method,
            createdAt: s.createdAt,
            deviceNew: s.deviceNew,
            network: s.network ?? null,
            networkNew: s.networkNew,
            country: s.country ?? null,
            countryNew: s.countryNew,
            loginWave: s.wave,
            risk: Number.isFinite(s.riskLogit) ? 1 / (1 + Math.exp(-s.riskLogit)) : 0,
            revoked: s.revoked,
          }
        : null,
      timeline: [...a.timeline].reverse(),
    };
  }

  getStats(): EngineStats & { accounts: number; sessions: number; fingerprints: number; networks: number } {
    return {
      ...this.stats,
      decisions: { ...this.stats.decisions },
      accounts: this.accounts.size,
      sessions: this.sessions.size,
      fingerprints: this.fingerprints.size,
      networks: this.networks.size,
    };
  }

  // ------------------------------------------------------------------ snapshot / restore

  /** Serialises the whole state to JSON-safe data (restore with Engine.restore). */
  snapshot(): EngineSnapshot {
    return {
      version: 1,
      accounts: [...this.accounts.values()].map((a) => a.toJSON()),
      sessions: [...this.sessions.values()].map((s) => s.toJSON()),
      fingerprints: [...this.fingerprints.values()].map((f) => f.toJSON()),
      campaigns: [...this.campaignsById.values()].map((c) => ({ ...c, members: [...c.members] })),
      networks: [...this.networks.entries()].map(([k, n]) => [k, n.toJSON()]),
      victims: [...this.victims.entries()],
      quarantined: [...this.quarantined],
      campaignLinks: [...this.campaignByFp.entries()],
      simhashLive: this.simhashLive,
      stats: { ...this.stats, decisions: { ...this.stats.decisions } },
    };
  }

  /**
   * The state as a stream of small records (one account, session, fingerprint … each), so a large
   * state never has to become one string. Take it synchronously: the records reflect one instant.
   */
  *snapshotRecords(): Generator<SnapshotRecord> {
    yield [
      'meta',
      {
        version: 1,
        quarantined: [...this.quarantined],
        simhashLive: this.simhashLive,
        stats: { ...this.stats, decisions: { ...this.stats.decisions } },
      },
    ];
    for (const a of this.accounts.values()) yield ['account', a.toJSON()];
    for (const x of this.sessions.values()) yield ['session', x.toJSON()];
    for (const f of this.fingerprints.values()) yield ['fingerprint', f.toJSON()];
    for (const c of this.campaignsById.values()) yield ['campaign', { ...c, members: [...c.members] }];
    for (const [k, n] of this.networks.entries()) yield ['network', [k, n.toJSON()]];
    let chunk: Array<[number, number]> = [];
    for (const e of this.victims.entries()) {
      chunk.push(e);
      if (chunk.length === 10_000) {
        yield ['victims', chunk];
        chunk = [];
      }
    }
    if (chunk.length > 0) yield ['victims', chunk];
    yield ['links', [...this.campaignByFp.entries()]];
  }

  /** Rebuilds an engine from snapshot records (in the order snapshotRecords yields them). */
  static restorer(opts: EngineOptions): { add(r: SnapshotRecord): void; done(): Engine } {
    const e = new Engine(opts);
    let meta: Extract<SnapshotRecord, ['meta', unknown]>[1] | undefined;
    return {
      add(r: SnapshotRecord) {
        switch (r[0]) {
          case 'meta':
            if (r[1].version !== 1)
              throw new Error(`unsupported engine snapshot version ${String(r[1].version)}`);
            meta = r[1];
            break;
          case 'account': {
            const a = AccountState.fromJSON(r[1]);
            e.accounts.set(a.id, a);
            break;
          }
          case 'session': {
            const x = SessionState.fromJSON(r[1] as SessionState);
            e.sessions.set(x.id, x);
            break;
          }
          case 'fingerprint': {
            const f = FingerprintState.fromJSON(r[1]);
            e.fingerprints.set(fingerprintNumber(f.key), f);
            break;
          }
          case 'campaign': {
            const c = r[1];
            e.campaignsById.set(c.id, { ...c, members: new Set(c.members) });
            e.campaignByFp.set(fingerprintNumber(c.key), c.id);
            break;
          }
          case 'network':
            e.networks.set(r[1][0], NetworkState.fromJSON(r[1][1]));
            break;
          case 'victims':
            for (const [k, v] of r[1]) e.victims.set(k, v);
            break;
          case 'links':
            for (const [k, v] of r[1]) e.campaignByFp.set(k, v);
            break;
        }
      },
      done() {
        if (!meta) throw new Error('engine snapshot without its meta record');
        for (const q of meta.quarantined) e.quarantine(q);
        e.simhashLive = meta.simhashLive;
        Object.assign(e.stats, meta.stats, { decisions: { ...meta.stats.decisions } });
        return e;
      },
    };
  }

  static restore(snap: EngineSnapshot, opts: EngineOptions): Engine {
    const r = Engine.restorer(opts);
    r.add([
      'meta',
      {
        version: snap.version,
        quarantined: snap.quarantined,
        simhashLive: snap.simhashLive,
        stats: snap.stats,
      },
    ]);
    for (const j of snap.accounts) r.add(['account', j]);
    for (const j of snap.sessions) r.add(['session', j]);
    for (const j of snap.fingerprints) r.add(['fingerprint', j]);
    for (const c of snap.campaigns) r.add(['campaign', c]);
    for (const n of snap.networks) r.add(['network', n]);
    r.add(['victims', snap.victims]);
    r.add(['links', snap.campaignLinks]);
    return r.done();
  }
}

export type SnapshotRecord =
  | ['meta', { version: number; quarantined: string[]; simhashLive: number; stats: EngineStats }]
  | ['account', unknown]
  | ['session', unknown]
  | ['fingerprint', unknown]
  | ['campaign', Omit<CampaignRecord, 'members'> & { members: string[] }]
  | ['network', [string, unknown]]
  | ['victims', Array<[number, number]>]
  | ['links', Array<[number, string]>];

export interface AccountRiskView {
  account: string;
  risk: number;
  logit: number | null;
  contained: boolean;
  containedAt: number | null;
  victimContact: boolean;
  profile: {
    firstSeen: number;
    lastSeen: number;
    messages: number;
    hours: number[];
    clients: Record<string, number>;
    linkDomains: string[];
    knownRecipients: number;
    friends: number;
    devices: number;
    networks: string[];
    countries: string[];
    peaks: { messages10m: number; recipients10m: number; groups10m: number };
  };
  lastSession: {
    id: string;
    method: string;
    createdAt: number;
    deviceNew: boolean;
    network: string | null;
    networkNew: boolean;
    country: string | null;
    countryNew: boolean;
    loginWave: number;
    risk: number;
    revoked: boolean;
  } | null;
  /** Recent decisions other than allow, newest first. */
  timeline: Decision[];
}

/** The text with the spans of clean links blanked out (unchanged when any link is not clean). */
export function withoutCleanLinks(text: string, uv: readonly UrlVerdict[]): string {
  let out = '';
  let at = 0;
  const spans: Array<[number, number]> = [];
  for (const u of uv) {
    if (u.verdict !== 'clean') return text;
    if (u.start !== undefined && u.end !== undefined) spans.push([u.start, u.end]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (const [s, e] of spans) {
    if (s < at) continue;
    out += text.slice(at, s) + ' ';
    at = e;
  }
  return spans.length === 0 ? text : out + text.slice(at);
}
