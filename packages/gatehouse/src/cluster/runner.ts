/**
 * One partition owned by this engine worker: its engine state (restored from the latest snapshot in
 * PostgreSQL), an ordered consumer of its subject from the snapshot's stream position, its pre-send
 * checks (request/reply), and its snapshots. Events of an account are applied one at a time in stream
 * order; decisions go to PostgreSQL (engine_decisions + outbox, idempotent by event id) before the
 * position they cover is snapshotted, so a takeover replays at most what the last snapshot did not
 * cover and re-derives the same decisions, which are then skipped: no effect happens twice.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync, gunzipSync } from 'node:zlib';
import type { ConsumerMessages } from '@nats-io/jetstream';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { Msg, Subscription } from '@nats-io/transport-node';
import { GatehouseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import {
  persistDecisions,
  toRow,
  writeCheckBatch,
  type Campaign,
  type CheckAnswer,
  type Decision,
  type Engine,
  type EngineEvent,
  type EngineService,
  type Sighting,
  type SignInRisk,
  type SnapshotRecord,
} from '../engine/index.ts';
import type { NewEvent } from '../engine/store.ts';
import type { ClusterLink } from './nats.ts';
import type { StreamRow } from './relay.ts';
import { clusterStore } from './store.ts';

const CHECK_FLUSH_MS = 5;
const RETRY_MS = 250;
/** How long a partition's stop waits for its stream consumers' loops to end. */
const STOP_WAIT_MS = 2_000;
/**
 * How long one pull of the partition's consumers lasts (nats.js `expires`; its idle heartbeat is half of
 * it). nats.js also waits this long (jittered: 0.5-1.5 times) between its checks that an ordered consumer
 * still exists after a reconnect: with its default of 30 s, a partition stood still for 15-45 s after a
 * NATS server restart (the restart test measured 46 s from the last event logged to the snapshots
 * covering it); with 5 s, a few seconds, for one pull request per consumer every 5 s when idle.
 */
const PULL_EXPIRES_MS = 5_000;

/** A control record on the stream (the response part's operator controls on the engine). */
export interface ControlOp {
  op: 'release' | 'quarantine' | 'unquarantine';
  account?: string;
  key?: string;
}

/** What the api role sends and gets back over request/reply. */
export type CheckReply =
  | { ok: true; answer: CheckAnswer }
  | { ok: false; code: string; detail: string; extra?: Record<string, unknown> };
export type SignInRiskReply = { ok: true; signals: SignInRisk[] } | { ok: false; detail: string };

export interface RunnerDeps {
  link: ClusterLink;
  db: Db;
  log: Logger;
  service: EngineService;
  /** Called after decisions reached the outbox (pokes the dispatcher). */
  onCommit: () => void;
  onApplied?: (n: number) => void;
  /** Shares a fingerprint sighting of this partition with every other partition. */
  share?: (partition: number, s: Sighting) => void;
  /** Called with the number of other partitions' sightings applied. */
  onSightings?: (n: number) => void;
  /** Publishes the sightings shared so far (taken synchronously at the call). */
  sendShared?: () => Promise<void>;
}

export class PartitionRunner {
  readonly partition: number;
  leaseRev: number;
  engine!: Engine;
  /** The last stream sequence applied. */
  position = 0;
  /** The last stream sequence of the fingerprint sightings applied (other partitions' senders). */
  fpPosition = 0;
  /** The last stream sequence whose decisions are in PostgreSQL. */
  committed = 0;
  applied = 0;
  private readonly d: RunnerDeps;
  private readonly liveApplied = new Set<string>();
  private readonly recent = new Map<string, CheckAnswer>();
  private decisions: Decision[] = [];
  private campaigns: Campaign[] = [];
  private grown: Campaign[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private checkRows: NewEvent[] = [];
  private checkDecisions: Decision[] = [];
  private checkTimer: NodeJS.Timeout | undefined;
  private checkFlushing: Promise<void> | undefined;
  private messages: ConsumerMessages | undefined;
  private sightings: ConsumerMessages | undefined;
  private consumingSightings: Promise<void> | undefined;
  private checkSub: Subscription | undefined;
  private riskSub: Subscription | undefined;
  private consuming: Promise<void> | undefined;
  private gate: Promise<void> | undefined;
  private stopped = false;

  constructor(partition: number, leaseRev: number, deps: RunnerDeps) {
    this.partition = partition;
    this.leaseRev = leaseRev;
    this.d = deps;
  }

  /** Restores the state, then consumes the partition's subject after the snapshot's position. */
  async open(): Promise<void> {
    const snap = await clusterStore.snapshot(this.d.db, this.partition);
    if (snap) {
      const restorer = this.d.service.engineRestorer();
      const text = gunzipSync(Buffer.from(snap.data, 'base64')).toString('utf8');
      for (const line of text.split('\n')) if (line) restorer.add(JSON.parse(line) as SnapshotRecord);
      this.engine = restorer.done();
      this.position = Number(snap.position);
      this.fpPosition = Number(snap.fp_position);
      for (const id of JSON.parse(snap.applied) as string[]) this.liveApplied.add(id);
    } else {
      this.engine = this.d.service.newEngine();
      this.position = 0;
    }
    this.committed = this.position;
    const share = this.d.share;
    if (share) this.engine.campaignTracker.onSighting = (sg) => share(this.partition, sg);
    const { js, names } = this.d.link;
    if (this.position > 0) {
      // the stream's retention (clusterStreamMaxAgeHours) dropped events this snapshot had not seen
      const first = (await this.d.link.jsm.streams.info(names.stream)).state.first_seq;
      if (first > this.position + 1)
        this.d.log.warn(
          { partition: this.partition, position: this.position, streamFirst: first },
          'partition snapshot is older than the event stream keeps: events between them are not replayed',
        );
    }
    const consumer = await js.consumers.get(names.stream, {
      filter_subjects: names.events(this.partition),
      ...(this.position > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.position + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
    this.messages = await consumer.consume({ max_messages: 2000, expires: PULL_EXPIRES_MS });
    this.consuming = this.consume(this.messages);
    // other partitions' sightings, durable on the stream: from the snapshot's position, so sightings
    // that arrived after it are applied again to the restored state (a campaign spread over a takeover)
    const fp = await js.consumers.get(names.stream, {
      filter_subjects: names.sightings,
      ...(this.fpPosition > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.fpPosition + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    });
    this.sightings = await fp.consume({ max_messages: 1000, expires: PULL_EXPIRES_MS });
    this.consumingSightings = this.consumeSightings(this.sightings);
    this.checkSub = this.d.link.nc.subscribe(names.check(this.partition), {
      callback: (err, m) => {
        if (!err) this.onCheck(m);
      },
    });
    this.riskSub = this.d.link.nc.subscribe(names.signInRisk(this.partition), {
      callback: (err, m) => {
        if (!err) this.onSignInRisk(m);
      },
    });
  }

  private async consume(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.gate) await this.gate;
      if (this.stopped) break;
      if (m.seq <= this.position) continue;
      this.position = m.seq;
      let row: StreamRow;
      try {
        row = m.json<StreamRow>();
      } catch {
        continue;
      }
      this.apply(row);
    }
  }

  private async consumeSightings(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.stopped) break;
      if (m.seq <= this.fpPosition) continue;
      this.fpPosition = m.seq;
      let batch: Array<[number, Sighting]>;
      try {
        batch = m.json<Array<[number, Sighting]>>();
      } catch {
        continue;
      }
      let n = 0;
      for (const [from, sg] of batch)
        if (from !== this.partition) {
          this.engine.campaignTracker.observeRemote(sg);
          n++;
        }
      this.d.onSightings?.(n);
    }
  }

  private apply(row: StreamRow): void {
    this.applied++;
    this.d.onApplied?.(1);
    if (row.origin === 'control') return this.control(JSON.parse(row.payload) as ControlOp);
    if (this.liveApplied.delete(row.id)) return;
    let ev: EngineEvent;
    try {
      ev = JSON.parse(row.payload) as EngineEvent;
    } catch {
      return;
    }
    let res: ReturnType<Engine['process']>;
    try {
      res = this.engine.process(ev, { receivedAt: row.receivedAt });
    } catch (err) {
      this.d.log.error({ err, id: row.id, partition: this.partition }, 'engine failed on an event; skipped');
      return;
    }
    if (res.status !== 'accepted') return;
    if (ev.type === 'message.reported') this.d.service.reportHook?.(ev);
    if (res.decision && res.decision.action !== 'allow') this.decisions.push(res.decision);
    if (res.campaignsCreated) this.campaigns.push(...res.campaignsCreated);
    if (res.campaignsGrown) this.grown.push(...res.campaignsGrown);
    if (this.decisions.length + this.campaigns.length + this.grown.length > 0) this.scheduleFlush(0);
    else this.committed = this.position;
  }

  private control(c: ControlOp): void {
    if (c.op === 'release' && c.account) this.engine.release(c.account);
    else if (c.op === 'quarantine' && c.key) this.engine.quarantine(c.key);
    else if (c.op === 'unquarantine' && c.key) this.engine.unquarantine(c.key);
  }

  private scheduleFlush(ms: number): void {
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush().catch((err: unknown) => {
        this.d.log.error({ err, partition: this.partition }, 'decisions not written; retrying');
        this.scheduleFlush(RETRY_MS);
      });
    }, ms);
  }

  /** Writes the decisions so far (idempotent by event id); on failure they stay for the retry. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    const upto = this.position;
    if (this.decisions.length + this.campaigns.length + this.grown.length === 0) {
      this.committed = upto;
      return;
    }
    const [ds, cs, gs] = [this.decisions, this.campaigns, this.grown];
    this.decisions = [];
    this.campaigns = [];
    this.grown = [];
    this.flushing = (async () => {
      try {
        await persistDecisions(this.d.db, ds, cs, Date.now(), gs);
      } catch (err) {
        this.decisions = ds.concat(this.decisions);
        this.campaigns = cs.concat(this.campaigns);
        this.grown = gs.concat(this.grown);
        throw err;
      }
      this.committed = upto;
      this.d.onCommit();
    })().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  // ------------------------------------------------------------------ pre-send checks

  private onCheck(m: Msg): void {
    let reply: CheckReply;
    try {
      const input = m.json<unknown>();
      const now = Date.now();
      const { answer, ev, decision } = this.d.service.evaluate(this.engine, input, now, (id) =>
        this.recent.get(id),
      );
      if (decision) {
        this.remember(ev.id, answer);
        this.liveApplied.add(ev.id);
        this.checkRows.push(toRow(ev, now, answer.rehearsal ? 'check-rehearsed' : 'check'));
        if (decision.action !== 'allow') {
          if (!answer.rehearsal) decision.checked = true;
          this.checkDecisions.push(decision);
        }
        this.checkTimer ??= setTimeout(() => {
          this.checkTimer = undefined;
          this.flushChecks().catch((err: unknown) =>
            this.d.log.error({ err, partition: this.partition }, 'check log flush failed'),
          );
        }, CHECK_FLUSH_MS);
      }
      reply = { ok: true, answer };
    } catch (err) {
      reply =
        err instanceof GatehouseError
          ? { ok: false, code: err.code, detail: err.message, ...(err.extra ? { extra: err.extra } : {}) }
          : { ok: false, code: 'INTERNAL', detail: 'check failed' };
      if (!(err instanceof GatehouseError)) this.d.log.error({ err }, 'pre-send check failed');
    }
    m.respond(JSON.stringify(reply));
  }

  /** The engine asked before a session exists (identity/risk/engine.ts), for an account of this partition. */
  private onSignInRisk(m: Msg): void {
    let q: { account?: unknown; ip?: unknown };
    try {
      q = m.json();
    } catch {
      m.respond(JSON.stringify({ ok: false, detail: 'unreadable request' } satisfies SignInRiskReply));
      return;
    }
    let reply: SignInRiskReply;
    if (typeof q.account !== 'string' || typeof q.ip !== 'string')
      reply = { ok: false, detail: 'account and ip are required' };
    else
      try {
        reply = { ok: true, signals: this.engine.signInRisk({ account: q.account, ip: q.ip }) };
      } catch (err) {
        this.d.log.error({ err, account: q.account }, 'sign-in risk failed');
        reply = { ok: false, detail: 'the engine could not answer' };
      }
    m.respond(JSON.stringify(reply));
  }

  private remember(id: string, a: CheckAnswer): void {
    this.recent.set(id, a);
    if (this.recent.size > 20_000) {
      const first = this.recent.keys().next().value;
      if (first !== undefined) this.recent.delete(first);
    }
  }

  /** Writes answered checks and their decisions to the log (group commit; retried, never dropped). */
  async flushChecks(): Promise<void> {
    while (this.checkFlushing) await this.checkFlushing;
    if (this.checkRows.length === 0 && this.checkDecisions.length === 0) return;
    const rows = this.checkRows;
    const ds = this.checkDecisions;
    this.checkRows = [];
    this.checkDecisions = [];
    this.checkFlushing = (async () => {
      let dups: string[];
      try {
        dups = await writeCheckBatch(this.d.db, rows, ds, Date.now(), 'postgres');
      } catch (err) {
        this.checkRows = rows.concat(this.checkRows);
        this.checkDecisions = ds.concat(this.checkDecisions);
        if (!this.stopped)
          this.checkTimer ??= setTimeout(() => {
            this.checkTimer = undefined;
            this.flushChecks().catch(() => undefined);
          }, RETRY_MS);
        throw err;
      }
      for (const id of dups) this.liveApplied.delete(id);
      this.d.link.nc.publish(this.d.link.names.pokeEvents);
      if (ds.length > 0) this.d.onCommit();
    })().finally(() => {
      this.checkFlushing = undefined;
    });
    await this.checkFlushing;
  }

  // ------------------------------------------------------------------ snapshots and stop

  /**
   * Pauses the consumer, writes pending checks and decisions, then the state and its position to
   * PostgreSQL (unless a newer owner wrote one). Returns false when nothing was written.
   */
  async snapshot(): Promise<boolean> {
    let release!: () => void;
    while (this.gate) await this.gate;
    this.gate = new Promise((r) => (release = r));
    try {
      await this.flushChecks();
      await this.flush();
      // the state and both positions are read in one synchronous stretch (nothing is applied meanwhile)
      const records: string[] = [];
      for (const r of this.engine.snapshotRecords()) records.push(JSON.stringify(r));
      const data = gzipSync(records.join('\n'), { level: 1 }).toString('base64');
      const [position, fpPosition] = [this.position, this.fpPosition];
      await this.d.sendShared?.();
      return await clusterStore.putSnapshot(this.d.db, {
        partition: this.partition,
        position,
        fpPosition,
        leaseRev: this.leaseRev,
        applied: [...this.liveApplied],
        data,
        at: Date.now(),
      });
    } finally {
      this.gate = undefined;
      release();
    }
  }

  /** Stops consuming and answering; with `save`, snapshots first (a hand-over), else drops the state (lease lost). */
  async stop(save: boolean): Promise<void> {
    this.checkSub?.unsubscribe();
    this.riskSub?.unsubscribe();
    if (save) await this.snapshot();
    this.stopped = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.messages?.stop();
    this.sightings?.stop();
    // the loops see `stopped` and apply nothing more; a consumer whose iterator does not end (seen after a
    // NATS restart) must not hold the process's stop past its deadline: the state is saved above
    const loops = Promise.all([
      this.consuming?.catch(() => undefined),
      this.consumingSightings?.catch(() => undefined),
    ]).then(() => true);
    const ended = await Promise.race([loops, delay(STOP_WAIT_MS, false, { ref: false })]);
    if (!ended)
      this.d.log.warn({ partition: this.partition }, 'stream consumers did not end in time; leaving them');
  }
}
