import { Gauge, type Registry } from 'prom-client';
import type { Bus } from '../bus/index.ts';
import { laneTurn } from '../core/lane.ts';
import type { Logger } from '../log/index.ts';
import type { IncidentWork } from './batch.ts';
import type { IncidentService } from './service.ts';

export interface IncidentFeedOptions {
  /** How long bookkeeping waits to be written with what follows (ms; 0: at once, still batched). */
  windowMs: number;
  /** Items waiting or in flight at most; the bus (outbox drainer) waits for room beyond it. */
  max: number;
  log: Logger;
  /** First wait before an item that failed alone is tried again (doubles, up to 30 s; default 500 ms). */
  retryBaseMs?: number;
}

interface Item {
  w: IncidentWork;
  seq: number | undefined;
  at: number;
  /** Failed tries of this item alone (it is kept, unacknowledged, and tried again after a backoff). */
  failures: number;
  /** When it is tried again (after a failure). */
  due: number;
}

const RETRY_CAP_MS = 30_000;
/** Rounds of tries drain() gives items that failed before it returns without them. */
const DRAIN_ROUNDS = 3;

/** Items written in one transaction at most. */
const BATCH_MAX = 100;

/**
 * What incidents learn from the bus (campaigns, decisions, the actions taken), gathered for a short
 * window and written in one transaction per batch (`IncidentService.record`): in a mass incident this
 * is a few statements per batch instead of one transaction per decision. It runs beside the response
 * queue, never in front of the pre-send check. Bounded: at `max` items `push` waits (so the outbox
 * drainer waits: back-pressure, reported by `full` on /readyz and in /metrics). Nothing is lost: the
 * drainer records an outbox event as published only below `pendingFrom()`, so bookkeeping still
 * waiting when the process dies is published, and recorded, again after the restart.
 */
export class IncidentFeed {
  private readonly svc: IncidentService;
  private readonly o: IncidentFeedOptions;
  private items: Item[] = [];
  /** Items whose transaction failed even alone, waiting for their next try (never dropped). */
  private retrying: Item[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<number, number>();
  private size = 0;
  /** Back-pressure with hysteresis: set when the bound is reached, cleared at half (readiness does not flap). */
  private saturated = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private room: Array<() => void> = [];
  private readonly counts = { recorded: 0, batches: 0, waits: 0, retries: 0 };

  constructor(svc: IncidentService, o: IncidentFeedOptions) {
    this.svc = svc;
    this.o = o;
  }

  /** Campaigns, decisions and actions from the bus. */
  subscribe(bus: Bus): void {
    bus.subscribe('campaign.detected', (e, d) =>
      this.push({ kind: 'campaign', campaign: e.campaign }, d?.seq),
    );
    bus.subscribe('decision.made', (e, d) => this.push({ kind: 'decision', decision: e.decision }, d?.seq));
    bus.subscribe('action.taken', (e, d) => {
      const a = e.action;
      return this.push(
        {
          kind: 'action',
          action: {
            account: e.account,
            kind: a.kind,
            mode: a.mode,
            status: a.status,
            decision: a.decision,
            at: e.time,
            detail: a.detail,
          },
        },
        d?.seq,
      );
    });
  }

  /** Queues one piece of bookkeeping (seq: its outbox sequence); waits while the feed is full. */
  async push(w: IncidentWork, seq?: number): Promise<void> {
    while (this.size >= this.o.max) {
      this.saturated = true;
      this.counts.waits++;
      this.schedule(0);
      await new Promise<void>((r) => this.room.push(r));
    }
    this.size++;
    if (seq !== undefined) this.pending.set(seq, (this.pending.get(seq) ?? 0) + 1);
    this.items.push({ w, seq, at: Date.now(), failures: 0, due: 0 });
    this.schedule(this.items.length >= BATCH_MAX ? 0 : this.o.windowMs);
  }

  get full(): boolean {
    return this.size >= this.o.max;
  }

  /** Not ready from the moment the bound is reached until the backlog is back under half of it. */
  get backedUp(): boolean {
    return this.saturated || this.full;
  }

  /**
   * The lowest outbox seq whose bookkeeping is not written (the drainer records publication below it),
   * or `other` (another consumer's) when that is lower.
   */
  pendingFrom(other?: number): number | undefined {
    let min = other;
    for (const s of this.pending.keys()) if (min === undefined || s < min) min = s;
    return min;
  }

  stats() {
    let oldest = this.items[0]?.at;
    for (const i of this.retrying) if (oldest === undefined || i.at < oldest) oldest = i.at;
    return {
      depth: this.size,
      retrying: this.retrying.length,
      max: this.o.max,
      full: this.full,
      oldestMs: oldest === undefined ? 0 : Date.now() - oldest,
      ...this.counts,
    };
  }

  registerMetrics(registry: Registry): void {
    const stats = () => this.stats();
    const gauge = (name: string, help: string, f: (s: ReturnType<IncidentFeed['stats']>) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(f(stats()));
        },
      });
    gauge(
      'gatehouse_incident_feed_depth',
      'Incident bookkeeping items waiting or being written',
      (s) => s.depth,
    );
    gauge('gatehouse_incident_feed_full', '1 while the incident feed is full (the outbox waits)', (s) =>
      s.full ? 1 : 0,
    );
    gauge(
      'gatehouse_incident_feed_oldest_seconds',
      'Age of the oldest incident bookkeeping item not yet written',
      (s) => s.oldestMs / 1000,
    );
    gauge(
      'gatehouse_incident_feed_batches',
      'Incident bookkeeping transactions since start',
      (s) => s.batches,
    );
    gauge(
      'gatehouse_incident_feed_retrying',
      'Incident bookkeeping items whose transaction failed, kept and tried again after a backoff',
      (s) => s.retrying,
    );
    gauge(
      'gatehouse_incident_feed_waits',
      'Times the outbox waited for room in the incident feed',
      (s) => s.waits,
    );
  }

  /**
   * Writes everything queued now and resolves when the feed is empty. Items whose transaction failed
   * are tried again (after at most a second) a few rounds; one still failing then stays kept and
   * unacknowledged (so it is published to the feed again after a restart) and drain returns: a
   * shutdown never hangs on a database that is gone.
   */
  async drain(): Promise<void> {
    for (let round = 0; ; round++) {
      while (this.items.length > 0 || this.running) {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
        await (this.running ?? this.flush());
      }
      if (this.retrying.length === 0 || round >= DRAIN_ROUNDS) return;
      await new Promise<void>((r) => setTimeout(r, Math.min(1000, this.nextRetryIn())));
      for (const i of this.retrying) i.due = 0;
      this.requeueDue();
    }
  }

  private schedule(ms: number): void {
    if (this.running) return; // the running flush schedules what came meanwhile
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
    this.timer.unref?.();
  }

  private flush(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      while (this.items.length > 0) {
        // each batch at its turn: requests in between (core/lane.ts)
        await laneTurn();
        const batch = this.items.splice(0, BATCH_MAX);
        const written: Item[] = [];
        try {
          await this.svc.record(batch.map((i) => i.w));
          this.counts.batches++;
          written.push(...batch);
        } catch (err) {
          // one bad item must not cost the others their bookkeeping: each alone; an item that fails
          // alone too is kept (still unacknowledged: the drainer does not record it as published) and
          // tried again after a backoff, never dropped
          this.o.log.error({ err }, 'incident batch failed; recording one by one');
          for (const i of batch) {
            try {
              await this.svc.record([i.w]);
              written.push(i);
            } catch (e) {
              this.retry(i, e);
            }
          }
        }
        this.counts.recorded += written.length;
        this.done(written);
      }
    })().finally(() => {
      this.running = undefined;
      // what came in while the last batch was written: at once when pushes wait for room (they were let
      // on by that batch and queued after the loop's last look), else after the window
      if (this.items.length > 0) this.schedule(this.room.length > 0 || this.full ? 0 : this.o.windowMs);
    });
    return this.running;
  }

  private backoff(i: Item): number {
    const base = this.o.retryBaseMs ?? 500;
    return Math.min(RETRY_CAP_MS, base * 2 ** Math.min(i.failures - 1, 20));
  }

  private retry(i: Item, err: unknown): void {
    i.failures++;
    this.counts.retries++;
    i.due = Date.now() + this.backoff(i);
    this.retrying.push(i);
    this.o.log.error(
      { err, kind: i.w.kind, failures: i.failures },
      'incident bookkeeping failed; kept, will try again',
    );
    this.armRetry();
  }

  private nextRetryIn(): number {
    let next = Infinity;
    for (const i of this.retrying) next = Math.min(next, i.due);
    return Math.max(0, Math.min(RETRY_CAP_MS, next - Date.now()));
  }

  private armRetry(): void {
    if (this.retryTimer || this.retrying.length === 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.requeueDue();
      this.armRetry();
    }, this.nextRetryIn());
    this.retryTimer.unref?.();
  }

  /** Puts the items whose backoff is over back in the queue (they are written with the next batch). */
  private requeueDue(): void {
    const now = Date.now();
    const due = this.retrying.filter((i) => i.due <= now);
    if (due.length === 0) return;
    this.retrying = this.retrying.filter((i) => i.due > now);
    this.items.unshift(...due);
    this.schedule(0);
  }

  private done(items: Item[]): void {
    for (const i of items) {
      this.size--;
      if (this.size <= this.o.max / 2) this.saturated = false;
      if (i.seq === undefined) continue;
      const n = (this.pending.get(i.seq) ?? 1) - 1;
      if (n <= 0) this.pending.delete(i.seq);
      else this.pending.set(i.seq, n);
    }
    for (const r of this.room.splice(0, this.o.max - this.size)) r();
  }
}
