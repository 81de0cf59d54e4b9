/**
 * The relay: publishes the event log (PostgreSQL `events`, appended in commit order under the log's
 * advisory lock) onto the JetStream stream, each row on its account's partition subject, with its
 * event id as the message id (JetStream drops a republished row inside the duplicate window). Its
 * position is recorded in `cluster_relay` after each batch; one relay runs at a time (a lease in the
 * bucket), so rows reach the stream in log order and each account's events stay in order.
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

  constructor(link: ClusterLink, db: Db, log: Logger, owner: string) {
    this.link = link;
    this.db = db;
    this.log = log;
    this.owner = owner;
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
    const { js, names, partitions } = this.link;
    for (;;) {
      if (this.stopped) return;
      const rows = await engineStore.after(this.db, this.position, BATCH);
      if (rows.length === 0) return;
      // published in order on one connection; awaited together
      await Promise.all(
        rows.map((r) => {
          const account = accountOf(r.payload);
          const row: StreamRow = {
            id: r.id,
            receivedAt: r.received_at,
            origin: r.origin,
            payload: r.payload,
          };
          return js.publish(names.events(partitionOf(account, partitions)), JSON.stringify(row), {
            msgID: r.id,
          });
        }),
      );
      this.position = rows[rows.length - 1]!.seq;
      this.published += rows.length;
      await clusterStore.setRelayPosition(this.db, RELAY, this.position);
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
