/**
 * The detection engine: consumes events keyed by account (in arrival order per account, windows by
 * EVENT time), keeps bounded per-account / per-session / per-content / per-network state, runs the
 * detectors, correlates content across accounts into campaigns and returns a decision with its
 * reasons for every event. Synchronous and allocation-light; no I/O.
 *
 * This file is the event dispatch and the engine's public face; the work is in small modules:
 * pipeline.ts (messages), account-events.ts and sessions.ts (everything else), campaigns.ts,
 * verdict.ts (content), detectors/ (all signals), risk-view.ts and snapshot.ts.
 */
import { signInRisk, type SignInRisk } from './sessions.ts';
import type { CampaignTracker } from './campaigns.ts';
import type { Limits, Thresholds, Weights } from './config.ts';
import { EngineState } from './engine-state.ts';
import type { EngineOptions, EngineStats } from './engine-state.ts';
import { onAccountEvent, onIdentity } from './account-events.ts';
import { MessagePipeline } from './pipeline.ts';
import { accountRiskView, type AccountRiskView } from './risk-view.ts';
import { toPreSend } from './scoring.ts';
import {
  beginSnapshot,
  restoreInto,
  snapshotRecords,
  type IncrementalSnapshot,
  type SnapshotRecord,
} from './snapshot.ts';
import { hash53 } from './text.ts';
import type {
  Campaign,
  CampaignStatus,
  CheckResult,
  ContentAnalyzer,
  Decision,
  EngineEvent,
  MessageSentEvent,
  ProcessResult,
} from './types.ts';

export type { EngineOptions, EngineStats } from './engine-state.ts';
export type { AccountRiskView } from './risk-view.ts';
export type { SnapshotRecord } from './snapshot.ts';
export { fingerprintNumber } from './campaigns.ts';
export { withoutCleanLinks } from './verdict.ts';

export interface ProcessOptions {
  /** When the event was received (bounds are checked against it); default now(). */
  receivedAt?: number;
}

/** A whole snapshot in memory: the records of snapshot.ts, in order. */
export type EngineSnapshot = SnapshotRecord[];

type Rejected = Extract<ProcessResult, { status: 'rejected' }>;

export class Engine {
  private readonly st: EngineState;
  private readonly pipeline: MessagePipeline;

  /** The cross-account campaign tracker (engine workers share its fingerprint sightings across partitions). */
  get campaignTracker(): CampaignTracker {
    return this.st.campaigns;
  }

  constructor(opts: EngineOptions) {
    this.st = new EngineState(opts);
    this.pipeline = new MessagePipeline(this.st);
  }

  get limits(): Limits {
    return this.st.limits;
  }
  get weights(): Weights {
    return this.st.weights;
  }
  get thresholds(): Thresholds {
    return this.st.thresholds;
  }
  get bias(): number {
    return this.st.bias;
  }
  get content(): ContentAnalyzer {
    return this.st.content;
  }
  get now(): () => number {
    return this.st.now;
  }
  /** Quarantined fingerprint keys. */
  get quarantined(): ReadonlySet<string> {
    return this.st.campaigns.quarantined;
  }

  // ------------------------------------------------------------------ entry points

  /** Processes one event: checks its time bounds, updates state, returns the decision. */
  process(ev: EngineEvent, opts?: ProcessOptions): ProcessResult {
    const st = this.st;
    const rejected = this.bounds(ev.time, opts?.receivedAt ?? st.now());
    if (rejected) {
      st.stats.rejected++;
      return rejected;
    }
    st.stats.events++;
    let decision: Decision | undefined;
    let created: Campaign[] | undefined;
    if (ev.type === 'message.sent') {
      decision = this.pipeline.run(ev);
      created = this.pipeline.created;
      // the platform's message id, where the event's differs (a late delivery: late-delivery.ts)
      if (ev.messageId !== undefined && ev.messageId !== ev.id) decision.messageId = ev.messageId;
    } else if (ev.type.startsWith('identity.'))
      decision = onIdentity(st, ev as Extract<EngineEvent, { type: `identity.${string}` }>);
    else
      decision = onAccountEvent(
        st,
        ev as Exclude<EngineEvent, { type: 'message.sent' | `identity.${string}` }>,
      );
    if (decision) st.record(decision);
    const grown = st.campaigns.takeGrown(created);
    const r: ProcessResult = { status: 'accepted', decision };
    if (created) r.campaignsCreated = created;
    if (grown) r.campaignsGrown = grown;
    return r;
  }

  private bounds(time: number, recv: number): Rejected | undefined {
    const L = this.st.limits;
    if (time < recv - L.maxPastMs)
      return {
        status: 'rejected',
        reason: 'too_old',
        detail: `event time is more than ${L.maxPastMs / 3600_000} h in the past`,
      };
    if (time > recv + L.maxFutureMs)
      return {
        status: 'rejected',
        reason: 'too_far_in_future',
        detail: `event time is more than ${L.maxFutureMs / 60_000} min in the future`,
      };
    return undefined;
  }

  /**
   * Pre-send check: scores the message from current state, records it as an event and answers
   * allow | hold | block (challenge → hold until the sender passes a challenge; contain → block).
   */
  checkMessage(ev: MessageSentEvent, opts?: ProcessOptions): CheckResult | Rejected {
    const r = this.process(ev, opts);
    if (r.status === 'rejected') return r;
    const decision = r.decision!;
    return { verdict: toPreSend(decision.action), decision };
  }

  // ------------------------------------------------------------------ operator actions

  /**
   * Confirms an account as a hijack victim: contains it and raises the prior of its contacts. In a running
   * service identity's `account.frozen` of a containment does this (account-events.ts); the simulators call it.
   */
  markVictim(account: string, t = this.st.now()): void {
    this.st.markVictim(account, t);
  }

  /** What the engine holds against a sign-in about to happen (sessions.ts); reads only. */
  signInRisk(q: { account: string; ip: string }, t = this.st.now()): SignInRisk[] {
    return signInRisk(this.st, { ...q, t });
  }

  /** When the session signed in, if the engine knows it. */
  sessionStart(session: string): number | undefined {
    return this.st.sessions.get(session)?.createdAt;
  }

  /**
   * The account's latest session, when it signed in from a device or network the account had not
   * used before: the likely intruder's session behind a decision on an event that names none (a
   * friend removed, a nickname changed).
   */
  suspectSession(account: string): string | undefined {
    const id = this.st.accounts.get(account)?.lastSession;
    const s = id === undefined ? undefined : this.st.sessions.get(id);
    return s && (s.deviceNew || s.networkNew) ? s.id : undefined;
  }

  /** Ends containment (owner recovered the account). */
  release(account: string): void {
    this.st.release(account);
  }

  /** Quarantines a fingerprint key ("t:<base36>", "d:<registered domain>", "i:<sha256>"). */
  quarantine(fingerprintKey: string): void {
    this.st.campaigns.quarantine(fingerprintKey);
  }

  unquarantine(fingerprintKey: string): void {
    this.st.campaigns.unquarantine(fingerprintKey);
  }

  /**
   * Whether the content under a quarantine key is passed along organically now and belongs to no campaign
   * (campaigns.ts `organicKey`): an automatic quarantine of it may give way (the response part's sweep).
   */
  organicKey(fingerprintKey: string, t = this.st.now()): boolean {
    return this.st.campaigns.organicKey(fingerprintKey, t);
  }

  setCampaignStatus(id: string, status: CampaignStatus): Campaign | undefined {
    return this.st.campaigns.setStatus(id, status);
  }

  // ------------------------------------------------------------------ read views

  campaigns(): Campaign[] {
    return this.st.campaigns.list();
  }

  campaign(id: string): Campaign | undefined {
    return this.st.campaigns.get(id);
  }

  /** Whether `other` is among `account`'s friends (friend.added events): its close circle. */
  isFriend(account: string, other: string): boolean {
    return this.st.accounts.get(account)?.friends.has(hash53(other)) ?? false;
  }

  accountRisk(account: string, t = this.st.now()): AccountRiskView | undefined {
    return accountRiskView(this.st, account, t);
  }

  getStats(): EngineStats & { accounts: number; sessions: number; fingerprints: number; networks: number } {
    const st = this.st;
    return {
      ...st.stats,
      decisions: { ...st.stats.decisions },
      accounts: st.accounts.size,
      sessions: st.sessions.size,
      fingerprints: st.campaigns.fingerprints.size,
      networks: st.networks.size,
    };
  }

  // ------------------------------------------------------------------ snapshot / restore

  /**
   * The state as a stream of small records (one account, session, fingerprint … each), so a large
   * state never has to become one string. Take it synchronously: the records reflect one instant.
   */
  snapshotRecords(): Generator<SnapshotRecord> {
    return snapshotRecords(this.st);
  }

  /**
   * A snapshot of this instant read out later, a few lines at a time, while events go on being
   * applied (copy-on-write; see snapshot.ts). One at a time.
   */
  beginSnapshot(): IncrementalSnapshot {
    return beginSnapshot(this.st);
  }

  /** The whole state as one list of records (tests and small states; the service streams). */
  snapshot(): EngineSnapshot {
    return [...snapshotRecords(this.st)];
  }

  /** Rebuilds an engine from snapshot records (in the order snapshotRecords yields them). */
  static restorer(opts: EngineOptions): { add(r: SnapshotRecord): void; done(): Engine } {
    const e = new Engine(opts);
    const r = restoreInto(e.st);
    return {
      add: (rec) => r.add(rec),
      done() {
        r.done();
        return e;
      },
    };
  }

  static restore(snap: EngineSnapshot, opts: EngineOptions): Engine {
    const r = Engine.restorer(opts);
    for (const rec of snap) r.add(rec);
    return r.done();
  }
}
