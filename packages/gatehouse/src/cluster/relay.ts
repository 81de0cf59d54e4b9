/**
 * The relay: publishes the event log (PostgreSQL `events`, appended in commit order under the log's
 * advisory lock) onto the JetStream stream, each row on its account's partition subject, with its
 * event id as the message id (JetStream drops a republished row inside the duplicate window). Its
 * position is recorded in `cluster_relay` after each batch; one relay runs at a time (a lease in the
 * bucket), so rows reach the stream in log order and each account's events stay in order. Within a
 * batch each partition's rows are published one after another and a partition stops at its first
 * failure (`publishInOrder`), so a NATS failure mid-batch never puts an account's later event on the
 * stream before an earlier one.
 */
import type { KV } from '@nats-io/kv';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import { engineStore } from '../engine/index.ts';
import type { ClusterLink } from './nats.ts';
import { partitionOf } from './partition.ts';
import { clusterStore } from './store.ts';

const BATCH = 1000;
const RELAY = 'events';

/** What travels on the stream: one event-log row. */
export interface StreamRow {
  id: string;
  receivedAt: number;
  origin: string;
  /** The event as JSON (as in the log). */
  payload: string;
}

/** The publish seam: one log row onto its partition's subject, with the row's id as the message id. */
export type PublishRow = (partition: number, row: StreamRow) => Promise<unknown>;

/**
 * Publishes a batch of log rows (in `seq` order) keeping each partition's order: the partitions side by
 * side, each partition's rows one after another (the next only once the stream has acknowledged the
 * one before), and a partition stops at its first failure, so none of its rows is on the stream after
 * one that is not. Returns the last `seq` below which every row is on the stream (the relay's new
 * position; `from` when the batch's first row failed) and the first error, if any. The retry starts
 * after that position: the failed partition's rows follow in order, and rows of other partitions that
 * were published already are dropped by the stream's duplicate window (same message id).
 */
export async function publishInOrder(
  rows: ReadonlyArray<{ seq: number; id: string; received_at: number; origin: string; payload: string }>,
  from: number,
  partitions: number,
  publish: PublishRow,
): Promise<{ upto: number; error?: unknown }> {
  const byPartition = new Map<number, Array<(typeof rows)[number]>>();
  for (const r of rows) {
    const p = partitionOf(accountOf(r.payload), partitions);
    let list = byPartition.get(p);
    if (!list) byPartition.set(p, (list = []));
    list.push(r);
  }
  let firstFailed = Infinity;
  let error: unknown;
  await Promise.all(
    [...byPartition].map(async ([p, list]) => {
      for (const r of list) {
        try {
          await publish(p, { id: r.id, receivedAt: r.received_at, origin: r.origin, payload: r.payload });
        } catch (err) {
          if (r.seq < firstFailed) {
            firstFailed = r.seq;
            error = err;
          }
          return;
        }
      }
    }),
  );
  if (firstFailed === Infinity) return { upto: rows.length ? rows[rows.length - 1]!.seq : from };
  let upto = from;
  for (const r of rows) {
    if (r.seq >= firstFailed) break;
    upto = r.seq;
  }
  return { upto, error };
}

export class StreamRelay {
  position = 0;
  published = 0;
  private readonly link: ClusterLink;
  private readonly db: Db;
  private readonly log: Logger;
  private readonly owner: string;
  private leaseRev = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unsub: (() => void) | undefined;

  private readonly publish: PublishRow;

  constructor(link: ClusterLink, db: Db, log: Logger, owner: string) {
    this.link = link;
    this.db = db;
    this.log = log;
    this.owner = owner;
    this.publish = (p, row) =>
      this.link.js.publish(this.link.names.events(p), JSON.stringify(row), { msgID: row.id });
  }

  get active(): boolean {
    return this.leaseRev > 0;
  }

  start(): void {
    const sub = this.link.nc.subscribe(this.link.names.pokeEvents, { callback: () => this.poke() });
    this.unsub = () => sub.unsubscribe();
    this.timer = setInterval(() => this.poke(), Math.min(200, this.link.leaseMs / 4));
    this.timer.unref();
    this.poke();
  }

  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop()
      .catch((err: unknown) => this.log.error({ err }, 'stream relay failed; will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.poke();
        }
      });
  }

  private async holdLease(kv: KV): Promise<boolean> {
    const key = 'relay';
    if (this.leaseRev > 0) {
      try {
        this.leaseRev = await kv.update(key, this.owner, this.leaseRev);
        return true;
      } catch {
        this.leaseRev = 0;
        this.log.warn('stream relay lease lost');
        return false;
      }
    }
    try {
      this.leaseRev = await kv.create(key, this.owner);
      this.position = await clusterStore.relayPosition(this.db, RELAY);
      this.log.info({ position: this.position }, 'stream relay lease taken');
      return true;
    } catch {
      return false;
    }
  }

  private lastRenew = 0;

  private async loop(): Promise<void> {
    const now = Date.now();
    if (this.leaseRev === 0 || now - this.lastRenew > this.link.leaseMs / 3) {
      if (!(await this.holdLease(this.link.leases))) return;
      this.lastRenew = now;
    }
    for (;;) {
      if (this.stopped) return;
      const rows = await engineStore.after(this.db, this.position, BATCH);
      if (rows.length === 0) return;
      const { upto, error } = await publishInOrder(rows, this.position, this.link.partitions, this.publish);
      const done = rows.filter((r) => r.seq <= upto).length;
      if (upto > this.position) {
        this.position = upto;
        await clusterStore.setRelayPosition(this.db, RELAY, this.position);
      }
      this.published += done;
      // the failed partition's rows (and the rest after the position) are published again on the retry
      if (error !== undefined) throw error;
      if (Date.now() - this.lastRenew > this.link.leaseMs / 3) {
        if (!(await this.holdLease(this.link.leases))) return;
        this.lastRenew = Date.now();
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsub?.();
    if (this.timer) clearInterval(this.timer);
    while (this.running) await this.running;
    if (this.leaseRev > 0) {
      await this.link.leases.delete('relay', { previousSeq: this.leaseRev }).catch(() => undefined);
      this.leaseRev = 0;
    }
  }
}

function accountOf(payload: string): string {
  try {
    const a = (JSON.parse(payload) as { account?: unknown }).account;
    return typeof a === 'string' ? a : '';
  } catch {
    return '';
  }
}
