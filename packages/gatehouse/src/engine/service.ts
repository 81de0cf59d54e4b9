/**
 * The engine wired into Gatehouse: durable event ingestion (the event log), the consumer that drains
 * the log in order into the in-memory engine and persists/publishes its decisions, the synchronous
 * pre-send check, operator read views, and snapshots + replay so state survives restarts.
 *
 * Ordering and durability:
 * - POST /v1/events writes accepted events to the `events` table in one transaction per batch
 *   BEFORE answering; the consumer applies them in log (`seq`) order.
 * - The pre-send check applies the message to the engine immediately (answering from current state)
 *   and records it in the log by group commit (every CHECK_FLUSH_MS); the consumer skips it when it
 *   reaches it. A crash can lose the last few milliseconds of check records (not of /v1/events).
 * - Decisions other than allow are inserted into `engine_decisions` and published as
 *   `decision.made` through the transactional outbox in the same transaction (at least once).
 * - The snapshot (<dataDir>/engine/snapshot.json.gz) records the log position it covers; at start
 *   the engine restores it and replays the log after that position.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlatformEvent } from '@gatehouse/sdk';
import type { IdentityEvent as SdkIdentityEvent } from '@gatehouse/sdk';
import type { Tx } from '../store/db.ts';
import { GatehouseError } from '../errors/index.ts';
import { Engine } from './engine.ts';
import { BoundedMap } from './bounded.ts';
import { openCheckLog, type CheckLog } from './check-log.ts';
import { evaluateCheck, timeBound } from './check-evaluate.ts';
import { explainDecision } from './explain.ts';
import { appendLateDeliveries } from './late-delivery.ts';
import { persistDecisions } from './persist.ts';
import { engineStore, toRow, type NewEvent } from './store.ts';
import type { Campaign, ContentAnalyzer, Decision, EngineEvent } from './types.ts';
import type { SignInRisk } from './sessions.ts';
import { createContentAnalyzer } from './content.ts';
import { appendIdentityRows, consumedIdentity, IDENTITY_TYPES, identityRows } from './identity-events.ts';
import { createEventLog, createMessageLog, type EventLogView, type MessageLogView } from './service-views.ts';
import {
  readSnapshotFile,
  writeSnapshotFile,
  type SnapshotHeader,
  type SnapshotResult,
} from './snapshot-file.ts';

export const MAX_BATCH = 1000;
const CHECK_FLUSH_MS = 5;
/** After a failed check-log write, the batch is retried this much later. */
const CHECK_RETRY_MS = 200;
const DRAIN_CHUNK = 500;

export type { CheckAnswer, EngineServiceOptions, EventResult, IngestAnswer } from './service-types.ts';
export { toRow, type EventOrigin } from './store.ts';
import type { CheckAnswer, EngineServiceOptions, EventResult, IngestAnswer } from './service-types.ts';

export class EngineService {
  engine: Engine;
  /** The last log seq applied to the engine. */
  position = 0;
  private readonly opts: EngineServiceOptions;
  /** The content analysis every engine of this service uses (`warmContent` before serving). */
  readonly content: ContentAnalyzer;
  private readonly now: () => number;
  /** Ids applied by the pre-send check ahead of the consumer. */
  private readonly liveApplied = new Set<string>();
  private checkEvents: NewEvent[] = [];
  private checkDecisions: Decision[] = [];
  private checkTimer: NodeJS.Timeout | undefined;
  private checkFlushing: Promise<void> | undefined;
  private readonly recentChecks = new BoundedMap<string, CheckAnswer>(20_000);
  /** Identity rows the consumer applied before `identityLog.committed` was told of them. */
  private readonly drainedIdentity = new BoundedMap<string, true>(4096);
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private snapTimer: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];
  private closed = false;
  /** After `start()`: a process that opens Gatehouse without starting it (a CLI command) never consumes. */
  private started = false;
  private snapshotting: Promise<unknown> = Promise.resolve();
  private readonly checkLog: CheckLog;
  /**
   * False in the scale-out roles: this process only appends to the log (engine workers in cluster/ own
   * the state); `appended` is told instead of the local consumer, and checks go to `remoteCheck`.
   */
  consume = true;
  appended: (() => void) | undefined;
  remoteCheck: ((input: unknown) => Promise<CheckAnswer>) | undefined;
  /** The api role: what the owning worker's engine holds against a sign-in (identity asks it). */
  remoteSignInRisk: ((q: { account: string; ip: string }) => Promise<readonly SignInRisk[]>) | undefined;

  constructor(opts: EngineServiceOptions) {
    this.opts = opts;
    this.content = opts.content ?? createContentAnalyzer();
    this.now = opts.now ?? Date.now;
    this.engine = new Engine({ ...opts.engine, content: this.content, now: this.now });
    this.messageLog = createMessageLog(
      opts.db,
      (session) => this.engine.sessionStart(session),
      (account) => this.engine.suspectSession(account),
    );
    this.eventLog = createEventLog(opts.db);
    // identity writes the events the engine consumes to the log itself (`identityLog`); the bus brings
    // only what an older version left in the outbox. Subscribed from the start: the drainer, which starts
    // first, publishes such rows at once
    for (const t of IDENTITY_TYPES)
      this.unsubscribe.push(opts.bus.subscribe(t, (e) => this.onIdentity(e), { passive: true }));
    this.checkLog =
      opts.checkLog ??
      openCheckLog(opts.db, opts.database, opts.sqliteSynchronous, opts.log, opts.dialect ?? 'sqlite');
  }

  get snapshotPath(): string {
    return join(this.opts.dataDir, 'engine', 'snapshot.json.gz');
  }

  /** Restores the snapshot (if any) and starts the consumer. */
  async start(): Promise<void> {
    this.started = true;
    if (!this.consume) return;
    await this.loadSnapshot();
    this.pollTimer = setInterval(() => this.poke(), 250);
    this.pollTimer.unref();
    if (this.opts.snapshotSeconds > 0) {
      this.snapTimer = setInterval(() => {
        this.snapshot().catch((err: unknown) => this.opts.log.error({ err }, 'engine snapshot failed'));
      }, this.opts.snapshotSeconds * 1000);
      this.snapTimer.unref();
    }
    await this.drain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe) u();
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.snapTimer) clearInterval(this.snapTimer);
    try {
      await this.snapshot();
    } finally {
      if (this.checkTimer) clearTimeout(this.checkTimer);
      this.checkTimer = undefined;
      await this.checkLog.close();
    }
  }

  // ------------------------------------------------------------------ ingestion

  /** Validates and durably appends a batch; answers per event. Never throws for bad events. */
  async ingest(items: unknown[]): Promise<IngestAnswer> {
    if (items.length > MAX_BATCH)
      throw new GatehouseError('BATCH_TOO_LARGE', `${items.length} events; at most ${MAX_BATCH} per batch`);
    const now = this.now();
    const results: EventResult[] = new Array(items.length);
    const rows: NewEvent[] = [];
    const rowIndex: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < items.length; i++) {
      const p = parsePlatformEvent(items[i]);
      if (!p.ok) {
        results[i] = { index: i, id: p.id ?? null, status: 'rejected', reason: p.reason, detail: p.detail };
        continue;
      }
      const ev = p.event;
      const bound = timeBound(this.engine.limits, ev.time, now);
      if (bound) {
        results[i] = { index: i, id: ev.id, status: 'rejected', reason: bound.reason, detail: bound.detail };
        continue;
      }
      if (seen.has(ev.id)) {
        results[i] = { index: i, id: ev.id, status: 'duplicate' };
        continue;
      }
      seen.add(ev.id);
      rowIndex.push(i);
      rows.push(toRow(ev, now, 'api'));
      results[i] = { index: i, id: ev.id, status: 'accepted' };
    }
    if (rows.length > 0) {
      let late = 0;
      const inserted = await this.opts.db.transaction().execute(async (tx) => {
        const ins = await engineStore.append(tx, rows, this.opts.dialect);
        // a message the check stopped, reported by a platform that failed open: it was delivered
        late = await appendLateDeliveries(tx, rows, ins, now, this.opts.dialect);
        return ins;
      });
      for (let k = 0; k < rows.length; k++)
        if (!inserted.has(rows[k]!.id))
          results[rowIndex[k]!] = { index: rowIndex[k]!, id: rows[k]!.id, status: 'duplicate' };
      if (inserted.size > 0 || late > 0) this.poke();
    }
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;
    for (const r of results)
      if (r.status === 'accepted') accepted++;
      else if (r.status === 'duplicate') duplicates++;
      else rejected++;
    return { accepted, duplicates, rejected, results };
  }

  /**
   * Identity's side of the log: the events the engine consumes are appended in the identity change's
   * own transaction (identity/core.ts `inTx`), so a committed sign-in is in the log at its commit: no
   * second transaction, no trip through the outbox, nothing lost when the process stops or dies before
   * a drain. Identity pokes the consumer after the commit.
   */
  readonly identityLog = {
    /** PostgreSQL: the log's append lock, first in the transaction (an append of nothing takes it). */
    lock: async (tx: Tx): Promise<void> => {
      if (this.opts.dialect === 'postgres') await engineStore.append(tx, [], 'postgres');
    },
    append: async (tx: Tx, events: readonly SdkIdentityEvent[]): Promise<number> => {
      const rows = identityRows(events, this.now());
      if (rows.length > 0) await appendIdentityRows(tx, rows, this.opts.dialect ?? 'sqlite');
      return rows.length;
    },
    /**
     * After the commit: the events are applied at once (a pre-send check right after a sign-in knows
     * its session, however far behind the consumer is), then the consumer (or, in a scale-out role, the
     * relay) reads the log and skips them.
     */
    committed: (events?: readonly SdkIdentityEvent[]): void => {
      if (!this.started || this.closed) return;
      if (events && this.consume) this.applyCommitted(events);
      this.poke();
    },
  };

  /**
   * Identity events committed by this process, applied before the consumer reaches their rows (which it
   * then skips, as it does the checks' rows) — unless it has already applied them (`drainedIdentity`).
   * Their decisions are written with the checks' next group commit.
   */
  private applyCommitted(events: readonly SdkIdentityEvent[]): void {
    const now = this.now();
    for (const { id, ev } of consumedIdentity(events)) {
      if (this.drainedIdentity.delete(id) || this.liveApplied.has(id)) continue;
      const res = this.engine.process(ev, { receivedAt: now });
      this.liveApplied.add(id);
      if (res.status !== 'accepted' || !res.decision || res.decision.action === 'allow') continue;
      this.checkDecisions.push(res.decision);
      this.flushSoon(CHECK_FLUSH_MS);
    }
  }

  /** A group commit of the pending checks (and decisions) `ms` from now, unless one is already due. */
  private flushSoon(ms: number): void {
    this.checkTimer ??= setTimeout(() => {
      this.checkTimer = undefined;
      this.flushChecks().catch((err: unknown) => this.opts.log.error({ err }, 'check log flush failed'));
    }, ms);
  }

  /**
   * An identity event that reached the bus (a passive subscription): one an older version, or an
   * identity service without the engine's log, put in the outbox. Appended unless already in the log.
   */
  private async onIdentity(e: SdkIdentityEvent): Promise<void> {
    const rows = identityRows([e], this.now());
    if (rows.length === 0) return;
    const known = await engineStore.existingIds(
      this.opts.db,
      rows.map((r) => r.id),
    );
    const fresh = rows.filter((r) => !known.has(r.id));
    if (fresh.length === 0) return;
    await this.opts.db.transaction().execute((tx) => engineStore.append(tx, fresh, this.opts.dialect));
    this.identityLog.committed();
  }

  // ------------------------------------------------------------------ consumer

  /** Asks for a drain soon (coalesces). */
  poke(): void {
    if (!this.consume) {
      this.appended?.();
      return;
    }
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.consumeOnce().catch((err: unknown) =>
      this.opts.log.error({ err }, 'engine consumer failed; will retry'),
    );
  }

  /** Applies everything in the log; pending pre-send checks are written to it first. */
  async drain(): Promise<void> {
    await this.flushChecks();
    if (!this.consume) return;
    while (this.draining) await this.draining;
    await this.consumeOnce();
  }

  /**
   * Runs the consumer loop as THE one loop (a poke meanwhile asks for another run after it). Never two
   * at once: a loop claims a row (moves the position past it) before it fetches a check row's payload,
   * and a drain that ran beside a poke's loop returned, and a snapshot took its position, while that
   * row was not yet in the state (the restored snapshot lacked the event for good).
   */
  private consumeOnce(): Promise<void> {
    const run = this.drainLoop();
    this.draining = run
      .catch(() => undefined)
      .finally(() => {
        this.draining = undefined;
        if (this.drainAgain && !this.closed) {
          this.drainAgain = false;
          this.poke();
        }
      });
    return run;
  }

  private async drainLoop(): Promise<void> {
    for (;;) {
      const rows = await engineStore.afterLight(this.opts.db, this.position, DRAIN_CHUNK);
      if (rows.length === 0) return;
      const decisions: Decision[] = [];
      const campaigns: Campaign[] = [];
      const grown: Campaign[] = [];
      try {
        for (const r of rows) {
          if (r.seq <= this.position) continue;
          if (this.liveApplied.delete(r.id)) {
            this.position = r.seq;
            continue;
          }
          if (r.origin === 'identity') this.drainedIdentity.set(r.id, true);
          // a check row not applied by this process (written before a restart): fetch its payload. A
          // failed read fails the loop before the position passes the row (the next run reads it again).
          const payload = r.origin === 'check' ? await engineStore.payloadOf(this.opts.db, r.id) : r.payload;
          this.position = r.seq;
          if (payload === undefined) continue;
          let ev: EngineEvent;
          try {
            ev = JSON.parse(payload) as EngineEvent;
          } catch {
            continue;
          }
          let res: ReturnType<Engine['process']>;
          try {
            res = this.engine.process(ev, { receivedAt: r.received_at });
          } catch (err) {
            // a bug must not stall the log: skip the event, loudly
            this.opts.log.error({ err, seq: r.seq, id: r.id }, 'engine failed on an event; skipped');
            continue;
          }
          if (res.status !== 'accepted') continue;
          if (ev.type === 'message.reported') this.opts.onReport?.(ev);
          if (res.decision && res.decision.action !== 'allow') decisions.push(res.decision);
          if (res.campaignsCreated) campaigns.push(...res.campaignsCreated);
          if (res.campaignsGrown) grown.push(...res.campaignsGrown);
        }
      } catch (err) {
        // the events applied before the failed read keep their decisions
        await this.persistDecisions(decisions, campaigns, grown);
        throw err;
      }
      await this.persistDecisions(decisions, campaigns, grown);
      // a short read was the end of the log: a row committed since pokes (or the poll finds it), and
      // reading again for nothing cost every sign-in a second statement
      if (rows.length < DRAIN_CHUNK) return;
    }
  }

  private async persistDecisions(
    decisions: Decision[],
    campaigns: Campaign[],
    grown: Campaign[] = [],
  ): Promise<void> {
    if (decisions.length === 0 && campaigns.length === 0 && grown.length === 0) return;
    await persistDecisions(this.opts.db, decisions, campaigns, this.now(), grown);
    this.opts.onCommit?.();
  }

  // ------------------------------------------------------------------ pre-send check

  /** Synchronous pre-send check of a message (records it in the event log by group commit). */
  check(input: unknown): CheckAnswer {
    const now = this.now();
    const {
      answer,
      ev,
      decision: d,
    } = this.evaluate(this.engine, input, now, (id) => this.recentChecks.get(id));
    if (!d) return answer;
    this.recentChecks.set(ev.id, answer);
    this.liveApplied.add(ev.id);
    this.checkEvents.push(toRow(ev, now, answer.rehearsal ? 'check-rehearsed' : 'check'));
    if (d.action !== 'allow') {
      // a rehearsed verdict let the message go: it was delivered, not stopped
      if (!answer.rehearsal) d.checked = true;
      this.checkDecisions.push(d);
    }
    this.flushSoon(CHECK_FLUSH_MS);
    return answer;
  }

  /** A fresh engine with this service's content analysis and options (engine workers own one per partition). */
  newEngine(): Engine {
    return new Engine({ ...this.opts.engine, content: this.content, now: this.now });
  }

  /** Rebuilds an engine from snapshot records, with this service's content analysis and options. */
  engineRestorer(): ReturnType<typeof Engine.restorer> {
    return Engine.restorer({ ...this.opts.engine, content: this.content, now: this.now });
  }

  /** The hook for accepted `message.reported` events (engine workers call it too). */
  get reportHook(): EngineServiceOptions['onReport'] {
    return this.opts.onReport;
  }

  /**
   * Scores a pre-send check on `engine` (this service's or an engine worker's partition): parses it,
   * answers a repeated id from `prior`, applies the message and consults the gate. Throws EVENT_INVALID.
   */
  evaluate(engine: Engine, input: unknown, now: number, prior: (id: string) => CheckAnswer | undefined) {
    return evaluateCheck(engine, input, now, prior, this.opts);
  }

  /** Writes the pending pre-send check events (and their decisions) to the log. */
  async flushChecks(): Promise<void> {
    while (this.checkFlushing) await this.checkFlushing;
    if (this.checkEvents.length === 0 && this.checkDecisions.length === 0) return;
    const events = this.checkEvents;
    const decisions = this.checkDecisions;
    this.checkEvents = [];
    this.checkDecisions = [];
    this.checkFlushing = (async () => {
      let duplicates: string[];
      try {
        duplicates = await this.checkLog.write(events, decisions);
      } catch (err) {
        // answered checks are never dropped: put them back in front and try again shortly (the
        // write is idempotent by event id)
        this.checkEvents = events.concat(this.checkEvents);
        this.checkDecisions = decisions.concat(this.checkDecisions);
        if (!this.closed) this.flushSoon(CHECK_RETRY_MS);
        throw err;
      }
      // an id already in the log (sent through /v1/events too) was applied twice; forget it here
      for (const id of duplicates) this.liveApplied.delete(id);
      if (decisions.length > 0) this.opts.onCommit?.();
    })().finally(() => {
      this.checkFlushing = undefined;
    });
    await this.checkFlushing;
  }

  // ------------------------------------------------------------------ read views

  async accountRisk(account: string) {
    const db = this.opts.db;
    const [events, decisions] = await Promise.all([
      engineStore.eventsOfAccount(db, account, 50),
      engineStore.decisionsOfAccount(db, account, 50),
    ]);
    const view = this.engine.accountRisk(account, this.now());
    if (!view && events.length === 0 && decisions.length === 0)
      throw new GatehouseError('ACCOUNT_NOT_FOUND', `no events for account ${account}`);
    return {
      account,
      risk: view?.risk ?? 0,
      contained: view?.contained ?? false,
      state: view ? { ...view, timeline: view.timeline.map(explainDecision) } : null,
      events: events.map((e) => ({
        seq: e.seq,
        id: e.id,
        type: e.type,
        time: e.time,
        receivedAt: e.received_at,
        event: JSON.parse(e.payload) as unknown,
      })),
      decisions: decisions.map((d) => ({ seq: d.seq, ...explainDecision(JSON.parse(d.detail) as Decision) })),
    };
  }

  campaigns(): Campaign[] {
    return this.engine.campaigns();
  }

  setCampaignStatus(id: string, status: Campaign['status']): Campaign {
    const c = this.engine.setCampaignStatus(id, status);
    if (!c) throw new GatehouseError('CAMPAIGN_NOT_FOUND', `no campaign ${id}`);
    return c;
  }

  campaign(id: string): Campaign {
    const c = this.engine.campaign(id);
    if (!c) throw new GatehouseError('CAMPAIGN_NOT_FOUND', `no campaign ${id}`);
    return c;
  }

  /** The engine's operator controls (the response part drives them). */
  readonly control = {
    release: (account: string) => this.engine.release(account),
    quarantine: (key: string) => this.engine.quarantine(key),
    unquarantine: (key: string) => this.engine.unquarantine(key),
    organic: (key: string) => this.engine.organicKey(key),
  };

  /**
   * What an account sent, from the event log (the response part's MessageLog): messages that left the
   * account (a message the pre-send check stopped reached nobody: never retracted nor warned about).
   */
  readonly messageLog: MessageLogView;

  /** The per-account event log over a time window (recovery reads what an intruder changed or sent). */
  readonly eventLog: EventLogView;

  // ------------------------------------------------------------------ snapshot / replay

  /**
   * Writes the state and its log position atomically (tmp file + rename). The file is gzip'd JSON
   * lines: a header, then one record per account / session / fingerprint … (compressed in 1 MiB
   * slices as concatenated gzip members), so a large state never becomes one string. The snapshot
   * is of one instant (the header's position), begun synchronously after a drain; the records are
   * then serialised a few milliseconds at a time, copy-on-write (an entry the engine reaches for
   * before its turn is copied first), so checks and the consumer keep running meanwhile.
   */
  snapshot(): Promise<SnapshotResult> {
    // one at a time: the timer's snapshot and the one taken at close share the temporary file
    const next = this.snapshotting.then(() => this.writeSnapshot());
    this.snapshotting = next.catch(() => undefined);
    return next;
  }

  private async writeSnapshot(): Promise<SnapshotResult> {
    await this.drain();
    if (!this.consume) return { position: 0, bytes: 0, yields: 0, longestSliceMs: 0, copiedEarly: 0 }; // writes pending checks first
    // no await between here and beginSnapshot: the header and the state are of the same instant
    const header: SnapshotHeader = {
      version: 2,
      position: this.position,
      applied: [...this.liveApplied],
      takenAt: this.now(),
    };
    const snap = this.engine.beginSnapshot();
    try {
      const w = await writeSnapshotFile(this.snapshotPath, header, snap.lines);
      return { position: header.position, ...w, copiedEarly: snap.copiedEarly() };
    } finally {
      snap.abort();
    }
  }

  private async loadSnapshot(): Promise<void> {
    if (!existsSync(this.snapshotPath)) return;
    try {
      const restorer = Engine.restorer({ ...this.opts.engine, content: this.content, now: this.now });
      const header = await readSnapshotFile(this.snapshotPath, (r) => restorer.add(r));
      this.engine = restorer.done();
      this.position = header.position;
      for (const id of header.applied) this.liveApplied.add(id);
      this.opts.log.info({ position: header.position }, 'engine state restored from snapshot');
    } catch (err) {
      this.opts.log.error({ err }, 'engine snapshot unreadable; rebuilding from the event log');
      this.engine = new Engine({ ...this.opts.engine, content: this.content, now: this.now });
      this.position = 0;
      this.liveApplied.clear();
    }
  }

  /** Rebuilds the state from the whole event log (no decisions are re-published). */
  async replayAll(): Promise<{ events: number; position: number }> {
    this.engine = new Engine({ ...this.opts.engine, content: this.content, now: this.now });
    this.position = 0;
    this.liveApplied.clear();
    let n = 0;
    for (;;) {
      const rows = await engineStore.after(this.opts.db, this.position, 2000);
      if (rows.length === 0) break;
      for (const r of rows) {
        this.position = r.seq;
        try {
          this.engine.process(JSON.parse(r.payload) as EngineEvent, { receivedAt: r.received_at });
          n++;
        } catch {
          // a row that cannot be parsed is skipped
        }
      }
    }
    return { events: n, position: this.position };
  }
}
