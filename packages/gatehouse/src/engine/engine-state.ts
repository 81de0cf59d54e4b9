/**
 * Everything the engine holds, in one place: settings, the bounded per-account / per-session /
 * per-network maps, contacts of victims, campaigns and the content verdict cache, plus the
 * bookkeeping every event ends with (risk, containment, victim contacts). No I/O.
 */
import type { Limits, Thresholds, Weights } from './config.ts';
import { BIAS, DEFAULT_LIMITS, DEFAULT_THRESHOLDS, defaultWeights } from './config.ts';
import { BoundedMap, HashKeyedMap } from './bounded.ts';
import { CampaignTracker } from './campaigns.ts';
import { SignalSink } from './signals.ts';
import type { NetworkState, SessionState } from './state.ts';
import { AccountState } from './state.ts';
import { hash53 } from './text.ts';
import type { Action, ContentAnalyzer, Decision } from './types.ts';
import { ContentVerdicts } from './verdict.ts';

export interface EngineOptions {
  content: ContentAnalyzer;
  limits?: Partial<Limits>;
  weights?: Partial<Weights>;
  thresholds?: Partial<Thresholds>;
  bias?: number;
  /** Wall clock for the event-time bounds (default Date.now). */
  now?: () => number;
}

export interface EngineStats {
  events: number;
  rejected: number;
  decisions: Record<Action, number>;
  campaigns: number;
}

export class EngineState {
  readonly limits: Limits;
  readonly weights: Weights;
  readonly thresholds: Thresholds;
  readonly bias: number;
  readonly content: ContentAnalyzer;
  readonly now: () => number;

  readonly accounts: BoundedMap<string, AccountState>;
  readonly sessions: BoundedMap<string, SessionState>;
  readonly networks: BoundedMap<string, NetworkState>;
  /** account hash → time until which it is a contact of a confirmed victim */
  readonly victims: HashKeyedMap<number>;
  readonly campaigns: CampaignTracker;
  readonly verdicts: ContentVerdicts;
  readonly stats: EngineStats = {
    events: 0,
    rejected: 0,
    decisions: { allow: 0, challenge: 0, hold: 0, block: 0, contain: 0 },
    campaigns: 0,
  };
  /** The signal sink every event is scored into (one event at a time). */
  readonly sink: SignalSink;

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
    this.networks = new BoundedMap(L.maxNetworks);
    this.victims = new HashKeyedMap(L.maxVictimContacts);
    this.campaigns = new CampaignTracker(L, this.accounts, this.stats);
    this.verdicts = new ContentVerdicts(this.content, L.contentCache);
  }

  /** The account's state, created on first sight. */
  account(id: string, t: number): AccountState {
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

  lastSessionOf(a: AccountState): SessionState | undefined {
    return a.lastSession !== undefined ? this.sessions.get(a.lastSession) : undefined;
  }

  /**
   * `sessions.get(id)` for a message of account `a`: an account sends from one session mostly, so the
   * session found last is kept on it and handed out again while the sessions map's stamp is the same.
   */
  session(a: AccountState, id: string): SessionState | undefined {
    const stamp = this.sessions.stamp();
    if (stamp >= 0 && stamp === a.seenSessionStamp && id === a.seenSessionId) return a.seenSession;
    const s = this.sessions.get(id);
    // a miss is not kept: a sign-in may add the session without changing the stamp
    a.seenSessionStamp = s !== undefined ? this.sessions.stamp() : -1;
    a.seenSessionId = id;
    a.seenSession = s;
    return s;
  }

  /** Whether the account (by hash) is a contact of a recent victim at time t. */
  victimContact(accountHash: number, t: number): boolean {
    // most accounts are no victim's contact: one bit says so without a lookup
    return (this.victims.mayHave(accountHash) ? (this.victims.get(accountHash) ?? 0) : 0) > t;
  }

  /** Bookkeeping after every decision: account risk, containment, the victim's contacts. */
  afterDecision(a: AccountState, s: SessionState | undefined, d: Decision, t: number, evidence = true): void {
    // account risk: the max of this event's logit and the previous one decayed by 1 logit per hour (a
    // late delivery's copy, `evidence` false, was weighed when the check judged the message)
    if (evidence) {
      const prev = Number.isFinite(a.riskLogit)
        ? a.riskLogit - Math.max(0, t - a.riskAt) / 3600_000
        : -Infinity;
      a.riskLogit = Math.max(prev, d.logit);
      a.riskAt = Math.max(a.riskAt, t);
    }
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
  markContacts(a: AccountState, t: number): void {
    const until = t + this.limits.victimPriorMs;
    const mark = (h: number) => {
      const v = this.victims;
      if ((v.mayHave(h) ? (v.get(h) ?? 0) : 0) < until) v.set(h, until);
    };
    for (const h of a.friends) mark(h);
    for (const h of a.known.keys()) mark(h);
  }

  /** Confirms an account as a hijack victim: contains it and raises the prior of its contacts. */
  markVictim(account: string, t: number): void {
    const a = this.account(account, t);
    if (!a.contained) {
      a.contained = true;
      a.containedAt = t;
    }
    this.markContacts(a, t);
  }

  /** Ends containment (owner recovered the account). */
  release(account: string): void {
    const a = this.accounts.get(account);
    if (!a) return;
    a.contained = false;
    a.riskLogit = -Infinity;
  }

  /** Counts a decision and keeps it on the account's timeline when it is not allow. */
  record(decision: Decision): void {
    this.stats.decisions[decision.action]++;
    if (decision.action === 'allow') return;
    const a = this.accounts.get(decision.account);
    if (a) {
      a.timeline.push(decision);
      if (a.timeline.length > this.limits.timeline) a.timeline.shift();
    }
  }

  /** Whether `hash53(id)` of an account is a victim contact (convenience for views). */
  isVictimContact(account: string, t: number): boolean {
    return this.victimContact(hash53(account), t);
  }
}
