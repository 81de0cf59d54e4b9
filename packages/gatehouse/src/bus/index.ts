import { randomUUID } from 'node:crypto';
import { laneTurn } from '../core/lane.ts';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import type { BusEventOf, BusEventType } from './events.ts';
import type { DrainLease } from './lease.ts';
import { outboxStore } from './store.ts';

export { DrainLease } from './lease.ts';
export { busMigrations, type BusTables } from './schema.ts';
export {
  ActionTakenEvent,
  BUS_EVENT_TYPES,
  CampaignDetectedEvent,
  CampaignSchema,
  checkBusEvent,
  DecisionMadeEvent,
  DecisionSchema,
  isBusEventType,
  RecoveryAccountEvent,
  type BusEventOf,
  type BusEventType,
  type CatalogueEvent,
} from './events.ts';
export { outboxStore } from './store.ts';

/** Anything published on the bus: a typed event with id, type, time (epoch ms) and account. */
export interface BusEvent {
  id: string;
  type: string;
  time: number;
  account?: string;
  [k: string]: unknown;
}

/** Where an event came from: its outbox sequence number (a handler that defers work reports it back). */
export interface Delivery {
  seq: number;
}

export type Handler = (event: BusEvent, delivery?: Delivery) => void | Promise<void>;

export interface SubscribeOptions {
  /**
   * A passive subscription gets the matching events that reach the bus but does not ask producers to
   * publish them (`wants` does not count it): a consumer that receives its events another way and
   * takes from the bus only what an older producer still put there (the engine's identity events).
   */
  passive?: boolean;
}

export interface Bus {
  publish(event: BusEvent, delivery?: Delivery): Promise<void>;
  /**
   * Subscribe to one type of the catalogue (the handler gets that type's event), or to a prefix ending
   * in ".*" or "*" for all (plain BusEvents). Returns an unsubscribe function.
   */
  subscribe<T extends BusEventType>(
    type: T,
    handler: (event: BusEventOf<T>, delivery?: Delivery) => void | Promise<void>,
    opts?: SubscribeOptions,
  ): () => void;
  subscribe(pattern: string, handler: Handler, opts?: SubscribeOptions): () => void;
  /**
   * Whether an active subscription matches events of this type: a producer may leave an event nobody
   * consumes out of the outbox (identity's `session.created`, `login.failed`). Every module subscribes
   * before the service starts and in every role alike, so the answer is the same in each process of a
   * deployment and after a restart; a subscription added later sees only events written after it.
   */
  wants(type: string): boolean;
  close(): Promise<void>;
}

export function newEventId(): string {
  return randomUUID();
}

function matches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/**
 * The embedded bus: delivers each event to every matching handler in publish order and awaits them,
 * so the outbox marks an event published only after its handlers ran. A failing handler is logged and
 * does not stop the others (handlers must be idempotent: delivery is at least once).
 */
export class InProcessBus implements Bus {
  private readonly subs: Array<{ pattern: string; handler: Handler; passive: boolean }> = [];
  /** `wants` answers by type, cached until the subscriptions change. */
  private readonly wanted = new Map<string, boolean>();
  private readonly log: Logger | undefined;
  constructor(log?: Logger) {
    this.log = log;
  }
  async publish(event: BusEvent, delivery?: Delivery): Promise<void> {
    for (const s of this.subs) {
      if (!matches(s.pattern, event.type)) continue;
      try {
        await s.handler(event, delivery);
      } catch (err) {
        this.log?.error({ err, eventId: event.id, type: event.type }, 'bus handler failed');
      }
    }
  }
  subscribe<T extends BusEventType>(
    type: T,
    handler: (event: BusEventOf<T>, delivery?: Delivery) => void | Promise<void>,
    opts?: SubscribeOptions,
  ): () => void;
  subscribe(pattern: string, handler: Handler, opts?: SubscribeOptions): () => void;
  subscribe(pattern: string, handler: Handler, opts: SubscribeOptions = {}): () => void {
    // events reach the bus only through the outbox, which checked each against its type's schema
    const entry = { pattern, handler, passive: opts.passive === true };
    this.subs.push(entry);
    this.wanted.clear();
    return () => {
      const i = this.subs.indexOf(entry);
      if (i >= 0) this.subs.splice(i, 1);
      this.wanted.clear();
    };
  }
  wants(type: string): boolean {
    let w = this.wanted.get(type);
    if (w === undefined) {
      w = this.subs.some((s) => !s.passive && matches(s.pattern, type));
      this.wanted.set(type, w);
    }
    return w;
  }
  async close(): Promise<void> {
    this.subs.length = 0;
    this.wanted.clear();
  }
}

/** Outbox rows the drainer reads at a time. */
const PAGE = 500;
/** Sequence numbers recorded as published, and old rows pruned, per statement. */
const RECORD_RUN = 128;

/**
 * Moves committed outbox rows onto the bus in commit order (appends take the append-order lock on
 * PostgreSQL, so `seq` order is commit order and reading "after the last seq" skips nothing). Runs on a
 * timer and when poked after a commit. It remembers in memory how far it has published and records that
 * in the table once per flush interval (statements of RECORD_RUN rows, each a turn of the lane), not per
 * event, so a busy system does not pay a second fsync for every transaction. An event that was
 * committed but not yet recorded as published when the process died is published again by the next
 * drainer that starts: delivery is at least once, nothing acknowledged is lost, and handlers must be
 * idempotent. A handler that only queues an event's work (the response queue) holds the record back
 * below the oldest event whose work is not done (`pendingFrom`), so that work is published again after a
 * crash. Each row's publication is a turn of the background lane (core/lane.ts), so that a long backlog
 * never stalls requests.
 *
 * With a `lease` (PostgreSQL, several dispatcher processes) only the drainer holding it publishes and
 * records; the others stand by, and take over within the lease's time when the holder dies (bus/lease.ts).
 */
export class OutboxDrainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Until `start()`: a process that opens Gatehouse without starting it (a CLI command) never drains. */
  private stopped = true;
  private publishedSeq = 0;
  private recordedSeq = 0;
  private lastFlush = 0;
  private readonly db: Db;
  private readonly bus: Bus;
  private readonly pollMs: number;
  private readonly log: Logger | undefined;
  private readonly retentionMs: number;
  private readonly lease: DrainLease | undefined;
  /** Whether this drainer held the lease at its last look, and when it last renewed it. */
  private holding = false;
  private renewedAt = -Infinity;
  /** The lowest outbox seq whose deferred work is not done yet (undefined: none). */
  pendingFrom: (() => number | undefined) | undefined;
  /** Finishes the deferred work (`drain()` waits for it). */
  settle: (() => Promise<void>) | undefined;

  constructor(
    db: Db,
    bus: Bus,
    pollMs: number,
    log?: Logger,
    retentionMs = 7 * 86_400_000,
    lease?: DrainLease,
  ) {
    this.db = db;
    this.bus = bus;
    this.pollMs = pollMs;
    this.log = log;
    this.retentionMs = retentionMs;
    this.lease = lease;
  }

  /** Whether this drainer may publish now (no lease, or it holds the lease: renewed every third of it). */
  get active(): boolean {
    return !this.lease || this.holding;
  }

  /**
   * Takes or renews the lease when a third of it has passed. Taking it (first, or after another holder)
   * starts from what is recorded in the table: the previous holder's unrecorded rows are published again.
   */
  private async mayDrain(): Promise<boolean> {
    const lease = this.lease;
    if (!lease) return true;
    const t = performance.now();
    if (this.holding && t - this.renewedAt < lease.ttlMs / 3) return true;
    const held = await lease.hold();
    if (held !== this.holding) {
      this.publishedSeq = 0;
      this.recordedSeq = 0;
      if (held) this.log?.info({ owner: lease.owner }, 'outbox drain lease taken');
      else this.log?.warn({ owner: lease.owner }, 'outbox drain lease lost: another drainer publishes');
    }
    this.holding = held;
    if (held) this.renewedAt = t;
    return held;
  }

  private async release(): Promise<void> {
    if (!this.lease || !this.holding) return;
    this.holding = false;
    await this.lease
      .release()
      .catch((err: unknown) => this.log?.error({ err }, 'outbox drain lease not released; it lapses'));
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.poke(), this.pollMs);
    this.timer.unref();
    this.poke();
  }

  /** Ask for a drain soon (coalesces concurrent requests). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.poke();
      }
    });
  }

  /** Drains everything committed so far and records it as published. */
  async drain(): Promise<void> {
    await this.loopAlone();
    if (this.settle) {
      // the deferred work too, and what it committed in turn (whose own deferred work follows)
      for (let round = 0; round < 5; round++) {
        await this.settle();
        const seen = this.publishedSeq;
        await this.loopAlone();
        if (this.publishedSeq === seen) break;
      }
    }
    await this.flush();
    // a drain after stop() (the last one before the process ends) gives the lease up again
    if (this.stopped) await this.release();
  }

  /**
   * One drain loop while no other runs: a poke (a commit, the timer, `start()`) during it waits for it
   * and runs after, so two loops never read the same rows and publish them twice.
   */
  private async loopAlone(): Promise<void> {
    while (this.running) await this.running;
    const run: Promise<void> = this.loop().finally(() => {
      if (this.running === run) this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.poke();
      }
    });
    this.running = run;
    await run;
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        if (!(await this.mayDrain())) return;
        const rows = await outboxStore.unpublished(this.db, PAGE, this.publishedSeq);
        if (rows.length === 0) break;
        for (const r of rows) {
          // the subscribers' work takes turns with the other background loops, ahead of them: the engine's
          // view of sessions and sign-ins comes through here (core/lane.ts)
          await laneTurn(true);
          await this.bus.publish(JSON.parse(r.payload) as BusEvent, { seq: r.seq });
          this.publishedSeq = r.seq;
        }
        // a short page was all there was: what commits meanwhile pokes again (`again`), the timer
        // catches the rest (another process's commits)
        if (rows.length < PAGE) break;
      }
      if (Date.now() - this.lastFlush >= this.pollMs * 5) await this.flush();
    } catch (err) {
      this.log?.error({ err }, 'outbox drain failed; will retry');
    }
  }

  private async flush(): Promise<void> {
    const now = Date.now();
    this.lastFlush = now;
    const pending = this.pendingFrom?.();
    const upto = pending === undefined ? this.publishedSeq : Math.min(this.publishedSeq, pending - 1);
    if (upto <= this.recordedSeq || !this.active) return;
    // after a start or a lease change nothing is known: from the oldest row still unrecorded; then in
    // runs of RECORD_RUN sequence numbers, each a turn of the lane (one statement over a whole flush
    // interval of a mass incident blocked the event loop for 8 ms and more on SQLite)
    if (this.recordedSeq === 0)
      this.recordedSeq = Math.max(0, ((await outboxStore.oldestUnpublished(this.db)) ?? upto + 1) - 1);
    while (this.recordedSeq < upto) {
      await laneTurn(true);
      const to = Math.min(upto, this.recordedSeq + RECORD_RUN);
      await outboxStore.markPublished(this.db, this.recordedSeq, to, now, this.lease?.owner);
      this.recordedSeq = to;
    }
    for (;;) {
      await laneTurn();
      if (!((await outboxStore.prune(this.db, now - this.retentionMs, RECORD_RUN)) >= RECORD_RUN)) break;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    while (this.running) await this.running;
    await this.flush().catch((err: unknown) => this.log?.error({ err }, 'outbox flush failed at stop'));
    await this.release();
  }
}
