import { Gauge, type Registry } from 'prom-client';
import type { Bus } from '../bus/index.ts';
import type { Logger } from '../log/index.ts';
import type { IncidentWork } from './batch.ts';
import type { IncidentService } from './service.ts';

export interface IncidentFeedOptions {
  /** How long bookkeeping waits to be written with what follows (ms; 0: at once, still batched). */
  windowMs: number;
  /** Items waiting or in flight at most; the bus (outbox drainer) waits for room beyond it. */
  max: number;
  log: Logger;
}

interface Item {
  w: IncidentWork;
  seq: number | undefined;
  at: number;
}

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
  private readonly pending = new Map<number, number>();
  private size = 0;
  /** Back-pressure with hysteresis: set when the bound is reached, cleared at half (readiness does not flap). */
  private saturated = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private room: Array<() => void> = [];
  private readonly counts = { recorded: 0, batches: 0, waits: 0, failed: 0 };

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
    this.items.push({ w, seq, at: Date.now() });
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
    const oldest = this.items[0]?.at;
    return {
      depth: this.size,
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
      'gatehouse_incident_feed_waits',
      'Times the outbox waited for room in the incident feed',
      (s) => s.waits,
    );
  }

  /** Writes everything queued now and resolves when the feed is empty. */
  async drain(): Promise<void> {
    while (this.items.length > 0 || this.running) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      await (this.running ?? this.flush());
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
        const batch = this.items.splice(0, BATCH_MAX);
        try {
          await this.svc.record(batch.map((i) => i.w));
          this.counts.batches++;
        } catch (err) {
          // one bad item must not cost the others their bookkeeping: each alone
          this.o.log.error({ err }, 'incident batch failed; recording one by one');
          for (const i of batch)
            await this.svc.record([i.w]).catch((e: unknown) => {
              this.counts.failed++;
              this.o.log.error({ err: e, kind: i.w.kind }, 'incident bookkeeping failed');
            });
        }
        this.counts.recorded += batch.length;
        this.done(batch);
        // let requests in between batches
        await new Promise<void>((r) => setImmediate(r));
      }
    })().finally(() => {
      this.running = undefined;
      if (this.items.length > 0) this.schedule(this.o.windowMs);
    });
    return this.running;
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
