import { Gauge, type Registry } from 'prom-client';
import { laneTurn } from '../core/lane.ts';
import type { Logger } from '../log/index.ts';
import type { DecisionInput } from './types.ts';

/**
 * The bounded queue between decisions and the work they cause (incidents, response actions, the
 * webhooks those enqueue). The pre-send check never waits for it: the check answers from the engine's
 * memory and its decision is made durable (outbox) before it reaches this queue. The queue works one
 * item at a time and yields to the event loop between items, so a backlog shows as queue depth, never
 * as check latency.
 *
 * Coalescing: decisions `batchKey` names (a contained account's later messages) wait up to `batchMs`
 * and are handled together by `handleBatch`: one transaction, one audit entry, one webhook per batch.
 * Order: a decision handled alone (a new containment) goes before every ripe batch; the batches'
 * messages are stopped already. It takes its turn of the lane like the other background loops: ahead
 * of them it applied containments sooner but slowed the checks (docs/scenarios.md, issue 17).
 *
 * Back-pressure: at `max` decisions (waiting, batched or in flight), `push` waits for room; the outbox
 * drainer waits with it and `full` reports it to /readyz. Nothing is lost: the drainer records an
 * outbox event as published only below `pendingFrom()`, so decisions still queued when the process
 * dies are published, and handled, again after the restart (handling is idempotent per decision).
 */
export interface ResponseQueueOptions {
  max: number;
  batchMs: number;
  log: Logger;
  handle: (d: DecisionInput) => Promise<unknown>;
  handleBatch: (ds: DecisionInput[]) => Promise<unknown>;
  /** The key decisions are batched under (an account), or undefined to handle one alone. */
  batchKey: (d: DecisionInput) => string | undefined;
}

interface Item {
  d: DecisionInput;
  seq: number | undefined;
  at: number;
}

export interface QueueStats {
  depth: number;
  max: number;
  full: boolean;
  /** Age of the oldest decision not yet handled, ms (0 when empty). */
  oldestMs: number;
  handled: number;
  batches: number;
  batchedDecisions: number;
  /** Times `push` had to wait for room. */
  waits: number;
}

const BATCH_MAX = 500;
/** Waiting decisions gathered into their batches per turn of the lane at most. */
const COLLECT_RUN = 256;

export class ResponseQueue {
  private readonly o: ResponseQueueOptions;
  private waiting: Item[] = [];
  private readonly batches = new Map<string, { items: Item[]; timer: NodeJS.Timeout | undefined }>();
  private ready: Item[][] = [];
  private readonly pending = new Map<number, number>();
  private size = 0;
  /** Back-pressure with hysteresis: set when the bound is reached, cleared at half (readiness does not flap). */
  private saturated = false;
  private room: Array<() => void> = [];
  private idle: Array<() => void> = [];
  private working = false;
  private closing = false;
  private readonly counts = { handled: 0, batches: 0, batchedDecisions: 0, waits: 0 };

  constructor(o: ResponseQueueOptions) {
    this.o = o;
  }

  /** Queues a decision (seq: its outbox sequence); waits while the queue is full. */
  async push(d: DecisionInput, seq?: number): Promise<void> {
    while (this.size >= this.o.max) {
      this.saturated = true;
      this.counts.waits++;
      await new Promise<void>((r) => this.room.push(r));
    }
    this.size++;
    if (seq !== undefined) this.pending.set(seq, (this.pending.get(seq) ?? 0) + 1);
    this.waiting.push({ d, seq, at: Date.now() });
    this.kick();
  }

  /** Depth, fullness, the oldest decision's age and what was handled, on /metrics. */
  registerMetrics(registry: Registry): void {
    const stats = () => this.stats();
    const gauge = (name: string, help: string, f: (s: QueueStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(f(stats()));
        },
      });
    gauge(
      'gatehouse_response_queue_depth',
      'Decisions waiting for response work (queued, batched or in flight)',
      (s) => s.depth,
    );
    gauge('gatehouse_response_queue_capacity', 'The response queue bound (responseQueueMax)', (s) => s.max);
    gauge(
      'gatehouse_response_queue_full',
      '1 while the response queue is full (the outbox waits: back-pressure)',
      (s) => (s.full ? 1 : 0),
    );
    gauge(
      'gatehouse_response_queue_oldest_seconds',
      'Age of the oldest decision not yet handled',
      (s) => s.oldestMs / 1000,
    );
    gauge(
      'gatehouse_response_decisions_handled',
      'Decisions handled by the response queue since start',
      (s) => s.handled,
    );
    gauge(
      'gatehouse_response_batches',
      'Batches of a contained account’s later decisions handled since start',
      (s) => s.batches,
    );
    gauge(
      'gatehouse_response_queue_waits',
      'Times the outbox waited for room in the response queue since start',
      (s) => s.waits,
    );
  }

  /** The lowest outbox seq whose work is not done (the drainer records publication below it). */
  pendingFrom(): number | undefined {
    let min: number | undefined;
    for (const s of this.pending.keys()) if (min === undefined || s < min) min = s;
    return min;
  }

  get full(): boolean {
    return this.size >= this.o.max;
  }

  /** Not ready from the moment the bound is reached until the backlog is back under half of it. */
  get backedUp(): boolean {
    return this.saturated || this.full;
  }

  /** Readiness (for /readyz): not ready while backed up (full, until under half), the outbox's back-pressure. */
  readyCheck(): { ok: boolean; depth: number; max: number; oldestMs: number } {
    const s = this.stats();
    return { ok: !this.backedUp, depth: s.depth, max: s.max, oldestMs: s.oldestMs };
  }

  stats(): QueueStats {
    let oldest = Infinity;
    for (const i of this.waiting) oldest = Math.min(oldest, i.at);
    for (const b of this.batches.values()) for (const i of b.items) oldest = Math.min(oldest, i.at);
    for (const b of this.ready) for (const i of b) oldest = Math.min(oldest, i.at);
    return {
      depth: this.size,
      max: this.o.max,
      full: this.full,
      oldestMs: oldest === Infinity ? 0 : Date.now() - oldest,
      ...this.counts,
    };
  }

  /** Handles everything queued now (batches at once) and resolves when the queue is empty. */
  async drain(): Promise<void> {
    this.closing = true;
    for (const [key, b] of this.batches) {
      if (b.timer) clearTimeout(b.timer);
      this.batches.delete(key);
      this.ready.push(b.items);
    }
    this.kick();
    while (this.size > 0) await new Promise<void>((r) => this.idle.push(r));
    this.closing = false;
  }

  private kick(): void {
    if (this.working) return;
    this.working = true;
    setImmediate(() => {
      this.work()
        .catch((err: unknown) => this.o.log.error({ err }, 'response queue failed'))
        .finally(() => {
          this.working = false;
          if (this.waiting.length || this.ready.length) this.kick();
        });
    });
  }

  private async work(): Promise<void> {
    for (;;) {
      await laneTurn();
      // a decision handled alone (a new containment above all) goes ahead of the batches: those are a
      // contained account's later messages, which the check already stops. Batches first held each new
      // containment of a mass incident behind every ripe batch (docs/scenarios.md, issue 17)
      let item: Item | undefined;
      for (let n = 0; n < COLLECT_RUN && (item = this.waiting.shift()); n++) {
        const key = this.o.batchMs > 0 && !this.closing ? this.o.batchKey(item.d) : undefined;
        if (key === undefined) break;
        this.collect(key, item);
        item = undefined;
      }
      if (item) {
        const one = item;
        await this.run([one], () => this.o.handle(one.d));
        continue;
      }
      if (this.waiting.length > 0) continue;
      const batch = this.ready.shift();
      if (!batch) return;
      await this.run(batch, () => this.o.handleBatch(batch.map((i) => i.d)));
      this.counts.batches++;
      this.counts.batchedDecisions += batch.length;
    }
  }

  private collect(key: string, item: Item): void {
    let b = this.batches.get(key);
    if (!b) {
      b = { items: [], timer: undefined };
      this.batches.set(key, b);
      const own = b;
      own.timer = setTimeout(() => {
        if (this.batches.get(key) !== own) return;
        this.batches.delete(key);
        this.ready.push(own.items);
        this.kick();
      }, this.o.batchMs);
      own.timer.unref?.();
    }
    b.items.push(item);
    if (b.items.length >= BATCH_MAX) {
      if (b.timer) clearTimeout(b.timer);
      this.batches.delete(key);
      this.ready.push(b.items);
    }
  }

  private async run(items: Item[], f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (err) {
      this.o.log.error({ err, decisions: items.map((i) => i.d.id) }, 'response work failed');
    }
    this.counts.handled += items.length;
    this.done(items);
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
    const room = this.room.splice(0, this.o.max - this.size);
    for (const r of room) r();
    if (this.size === 0) for (const r of this.idle.splice(0)) r();
  }
}
