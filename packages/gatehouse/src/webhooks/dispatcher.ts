import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { laneTurn } from '../core/lane.ts';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import type { SecretBox } from './secrets.ts';
import { deliver, stableError, STRICT_TARGETS, type TargetPolicy } from './target-guard.ts';
import { signedHeaders } from './signing.ts';
import type { WebhookDeliveriesTable, WebhookEndpointsTable } from './schema.ts';
import { webhooksStore as q } from './store.ts';

export interface DispatcherOptions {
  concurrency: number;
  timeoutMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  maxAttempts: number;
  maxAgeMs: number;
  pollMs: number;
  /**
   * Wake-ups (pokes after commits) within this many ms of the last look share one query (default 25): a
   * burst of commits costs one query, not one per commit, and a delivery waits at most this long (in a
   * mass incident a look every 5 ms was ~1,200 due-heads queries in a 5,000-account replay's live phase,
   * on the event loop the pre-send check shares).
   */
  wakeMs?: number;
  /** Finished deliveries and messages older than this are pruned (hourly); 0 or absent: never. */
  retentionMs?: number;
  log?: Logger;
  /** Where webhooks may go (default: https to public addresses only). */
  targets?: TargetPolicy;
  /** Injectable clock (epoch ms) and randomness, for tests of backoff and dead-lettering. */
  now?: () => number;
  random?: () => number;
  userAgent?: string;
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]. */
export function backoffMs(attempt: number, base: number, cap: number, random: () => number): number {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt - 1, 40));
  return Math.floor(random() * ceiling);
}

type Delivery = WebhookDeliveriesTable & { seq: number; body: string };

/**
 * Sends due deliveries: at most one in flight per (endpoint, account) queue, so each queue is delivered
 * in order, and at most `concurrency` in flight overall, so a slow account or endpoint does not stop the
 * others. Woken by poke() after commits (coalesced: one look per `wakeMs` at most, however many commits
 * poke it) and by a timer for retries that fall due.
 */
export class WebhookDispatcher {
  private readonly db: Db;
  private readonly box: SecretBox;
  private readonly opts: DispatcherOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly busyQueues = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pumping: Promise<number> | undefined;
  /** The coalesced wake-up waiting for its turn. */
  private wake: NodeJS.Timeout | undefined;
  /** When the last look for due deliveries started (performance.now()). */
  private lastLook = -Infinity;
  private again = false;
  /** Looks for due deliveries (queries) since start: tests and metrics see the coalescing. */
  looks = 0;
  private stopped = true;
  /** Deliveries acknowledged by this dispatcher since it was created. */
  delivered = 0;
  private metrics: { attempts: Counter<'outcome'>; duration: Histogram; lag: Histogram } | undefined;

  constructor(db: Db, box: SecretBox, opts: DispatcherOptions) {
    this.db = db;
    this.box = box;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /** Exposes attempt counts, request latency, enqueue-to-delivery lag and the pending count. */
  registerMetrics(registry: Registry): void {
    const db = this.db;
    new Gauge({
      name: 'gatehouse_webhook_deliveries_pending',
      help: 'Webhook deliveries not yet delivered or dead-lettered',
      registers: [registry],
      async collect() {
        this.set(await q.countPending(db));
      },
    });
    this.metrics = {
      attempts: new Counter({
        name: 'gatehouse_webhook_attempts_total',
        help: 'Webhook attempts by outcome (delivered, retry, dead)',
        labelNames: ['outcome'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'gatehouse_webhook_request_duration_seconds',
        help: 'Duration of one webhook request',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
      lag: new Histogram({
        name: 'gatehouse_webhook_delivery_lag_seconds',
        help: 'Time from enqueue to acknowledged delivery',
        buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 3600, 86400],
        registers: [registry],
      }),
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    // the timer is for retries falling due and other processes' deliveries: a look woken by a commit
    // within the last interval has already covered them
    this.timer = setInterval(() => {
      if (performance.now() - this.lastLook >= this.opts.pollMs / 2) this.poke();
    }, this.opts.pollMs);
    this.timer.unref();
    if (this.opts.retentionMs) {
      const prune = () =>
        void this.prune().catch((err: unknown) => this.opts.log?.error({ err }, 'webhook pruning failed'));
      this.pruneTimer = setInterval(prune, 3_600_000);
      this.pruneTimer.unref();
      prune();
    }
    this.poke();
  }

  /** Deletes finished deliveries, their attempts and messages older than the retention. */
  async prune(): Promise<{ deliveries: number; messages: number }> {
    if (!this.opts.retentionMs) return { deliveries: 0, messages: 0 };
    return this.db.transaction().execute((tx) => q.prune(tx, this.now() - this.opts.retentionMs!));
  }

  /**
   * Look for due deliveries soon. Coalesces: the first poke after a quiet spell looks at once (next
   * turn of the event loop, so the commits of one turn share it); pokes within `wakeMs` of the last look,
   * or while one runs, are folded into one look `wakeMs` after it.
   */
  poke(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    if (this.wake) return;
    const wait = Math.max(0, this.lastLook + (this.opts.wakeMs ?? 25) - performance.now());
    this.wake = setTimeout(() => {
      this.wake = undefined;
      this.run();
    }, wait);
  }

  /** Nothing running, in flight or scheduled. */
  get idle(): boolean {
    return !this.pumping && !this.wake && this.inflight.size === 0;
  }

  private run(): void {
    if (this.stopped || this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.poke();
      }
    });
  }

  /**
   * Sends everything due now, waiting for each round of requests, until nothing is due (tests and CLI;
   * works whether or not the dispatcher was started). Failed deliveries are rescheduled, not retried here.
   */
  async flush(): Promise<void> {
    for (;;) {
      while (this.pumping) await this.pumping;
      const launched = await this.pump();
      if (launched === 0 && this.inflight.size === 0) return;
      await Promise.all(this.inflight.values());
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.wake) clearTimeout(this.wake);
    this.wake = undefined;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.timer = undefined;
    this.pruneTimer = undefined;
    while (this.pumping) await this.pumping;
    await Promise.all(this.inflight.values());
  }

  private async pump(): Promise<number> {
    let launched = 0;
    try {
      const free = this.opts.concurrency - this.inflight.size;
      if (free <= 0) return 0;
      await laneTurn();
      const now = this.now();
      this.lastLook = performance.now();
      this.looks++;
      const due = await q.dueHeads(this.db, now, free + this.busyQueues.size);
      const picked: Delivery[] = [];
      const queues = new Set<string>();
      for (const d of due) {
        if (picked.length >= free) break;
        const queue = `${d.endpoint_id}\u0000${d.account_key}`;
        if (this.inflight.has(d.seq) || this.busyQueues.has(queue) || queues.has(queue)) continue;
        queues.add(queue);
        picked.push(d as Delivery);
      }
      const claimed = await q.claim(
        this.db,
        picked.map((d) => d.seq),
        now,
        now + this.opts.timeoutMs + 30_000,
      );
      for (const d of picked) {
        const attempts = claimed.get(d.seq);
        if (attempts === undefined) continue;
        d.attempts = attempts;
        const queue = `${d.endpoint_id}\u0000${d.account_key}`;
        this.busyQueues.add(queue);
        const p = this.attempt(d).finally(() => {
          this.inflight.delete(d.seq);
          this.busyQueues.delete(queue);
          if (!this.stopped) this.poke();
        });
        this.inflight.set(d.seq, p);
        launched++;
      }
    } catch (err) {
      this.opts.log?.error({ err }, 'webhook dispatch failed; will retry');
    }
    return launched;
  }

  /** Decrypted secrets, cached by their sealed form (a rotation changes it). */
  private readonly opened = new Map<string, string>();
  private open(sealed: string, endpointId: string): string {
    let s = this.opened.get(sealed);
    if (s === undefined) {
      s = this.box.open(sealed, endpointId);
      if (this.opened.size > 1000) this.opened.clear();
      this.opened.set(sealed, s);
    }
    return s;
  }

  private secretsOf(e: WebhookEndpointsTable, now: number): string[] {
    const out = [this.open(e.secret_enc, e.id)];
    if (e.old_secret_enc && (e.old_secret_expires_at ?? 0) > now) out.push(this.open(e.old_secret_enc, e.id));
    return out;
  }

  private async attempt(d: Delivery): Promise<void> {
    try {
      // deliveries take turns with the other background loops (core/lane.ts)
      await laneTurn();
      const endpoint = await q.endpoint(this.db, d.endpoint_id);
      const startedAt = this.now();
      if (!endpoint) {
        await q.finish(this.db, d.seq, {
          state: 'cancelled',
          attempts: d.attempts,
          next_attempt_at: d.next_attempt_at,
          done_at: startedAt,
          last_status: null,
          last_error: 'endpoint removed',
        });
        return;
      }
      let status: number | null = null;
      let error: string | null = null;
      const t0 = performance.now();
      let headers: Record<string, string> | undefined;
      try {
        headers = signedHeaders(
          this.secretsOf(endpoint, startedAt),
          d.message_id,
          Math.floor(startedAt / 1000),
          d.body,
        );
      } catch {
        error = 'the signing secret cannot be decrypted (was secretKey changed?)';
      }
      if (headers) {
        try {
          status = await deliver(endpoint.url, {
            headers: {
              ...headers,
              'content-type': 'application/json',
              'user-agent': this.opts.userAgent ?? 'Gatehouse-Webhooks/0.1',
            },
            body: d.body,
            timeoutMs: this.opts.timeoutMs,
            policy: this.opts.targets ?? STRICT_TARGETS,
          });
          if (status < 200 || status >= 300)
            error =
              status >= 300 && status < 400
                ? `HTTP ${status} (redirects are not followed)`
                : `HTTP ${status}`;
        } catch (e) {
          // the details stay in the operator's log; what the API reads back is a stable code
          this.opts.log?.debug({ endpointId: endpoint.id, err: describe(e) }, 'webhook attempt failed');
          error = stableError(e);
        }
      }
      const latency = Math.round((performance.now() - t0) * 100) / 100;
      await laneTurn();
      const at = this.now();
      const attempts = d.attempts + 1;
      const ok = error === null;
      const dead = !ok && (attempts >= this.opts.maxAttempts || at - d.created_at >= this.opts.maxAgeMs);
      await this.db.transaction().execute(async (tx) => {
        await q.insertAttempt(tx, { delivery_seq: d.seq, at, status, latency_ms: latency, error });
        await q.finish(tx, d.seq, {
          state: ok ? 'delivered' : dead ? 'dead' : 'pending',
          attempts,
          next_attempt_at:
            ok || dead
              ? at
              : at + backoffMs(attempts, this.opts.retryBaseMs, this.opts.retryCapMs, this.random),
          done_at: ok || dead ? at : null,
          last_status: status,
          last_error: error,
        });
      });
      this.metrics?.attempts.inc({ outcome: ok ? 'delivered' : dead ? 'dead' : 'retry' });
      this.metrics?.duration.observe(latency / 1000);
      if (ok) {
        this.delivered++;
        this.metrics?.lag.observe(Math.max(0, at - d.created_at) / 1000);
      } else if (dead) {
        this.opts.log?.warn(
          { messageId: d.message_id, endpointId: d.endpoint_id, attempts, error },
          'webhook delivery dead-lettered',
        );
      }
    } catch (err) {
      // The lease expires and another pass retries it.
      this.opts.log?.error({ err, delivery: d.seq }, 'webhook attempt could not be recorded');
    }
  }
}

function describe(e: unknown): string {
  const err = e as Error & { code?: string };
  return `${err?.name ?? 'Error'}${err?.code ? ` ${err.code}` : ''}: ${String(err?.message ?? e)}`.slice(
    0,
    300,
  );
}
