import { Counter, Gauge, type Registry } from 'prom-client';
import { laneTurn } from '../core/lane.ts';
import type { Logger } from '../log/index.ts';
import { maskAddress } from '../recovery/index.ts';
import type { Db } from '../store/db.ts';
import { backoffMs } from '../webhooks/index.ts';
import type { ChannelName } from './catalogue.ts';
import type { Channel } from './channels/types.ts';
import { compose, type ComposeOptions } from './compose.ts';
import { planNotice, type PlannerOptions, type PlanResult } from './planner.ts';
import type { DeliveryRow } from './schema.ts';
import { notifyStore as q } from './store.ts';

export interface DispatcherOptions {
  planner: Omit<PlannerOptions, 'db' | 'now' | 'links'>;
  compose: Omit<ComposeOptions, 'db' | 'links'>;
  links: PlannerOptions['links'];
  channels: Partial<Record<ChannelName, Channel>>;
  retryBaseMs: number;
  retryCapMs: number;
  maxAttempts: number;
  maxAgeMs: number;
  pollMs: number;
  /**
   * Wake-ups (pokes after commits) within this many ms of the last look share one look (default 20): a
   * burst of commits (a mass incident's sign-ins and containments) costs two queries, not two per
   * commit, on the event loop the pre-send check shares; a notice waits at most this long more.
   */
  wakeMs?: number;
  concurrency: number;
  /** Finished notices and deliveries older than this are deleted (hourly); 0: never. */
  retentionMs: number;
  log?: Logger;
  now?: () => number;
  random?: () => number;
}

const LEASE_MS = 60_000;

/** Where a message went, masked for logs ("l***@example.com", "*** **** 8000", the account for in-app). */
export function maskedTo(channel: string, address: string): string {
  return channel === 'email'
    ? maskAddress('email', address)
    : channel === 'sms'
      ? maskAddress('phone', address)
      : address;
}

/**
 * Plans committed notices and sends their deliveries: woken by poke() after commits and by a timer for
 * held notices and retries that fall due. At most `concurrency` sends in flight. Retries back off
 * exponentially with full jitter; a delivery that fails permanently, or still fails after maxAttempts or
 * maxAgeMs, ends and marks the address failing (cleared by the next success). Several dispatchers may
 * share a database: notices and deliveries are leased before they are worked on.
 */
export class NotifyDispatcher {
  private readonly db: Db;
  private readonly o: DispatcherOptions;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly inflight = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pumping: Promise<number> | undefined;
  private wake: NodeJS.Timeout | undefined;
  private lastLook = -Infinity;
  private again = false;
  private stopped = true;
  private metrics:
    { notices: Counter<'kind' | 'outcome'>; attempts: Counter<'channel' | 'outcome'> } | undefined;

  constructor(db: Db, o: DispatcherOptions) {
    this.db = db;
    this.o = o;
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
  }

  registerMetrics(registry: Registry): void {
    const db = this.db;
    new Gauge({
      name: 'gatehouse_notify_deliveries_pending',
      help: 'Notice deliveries not yet sent, failed or given up',
      registers: [registry],
      async collect() {
        this.set(await q.countPending(db));
      },
    });
    new Gauge({
      name: 'gatehouse_notify_addresses_failing',
      help: 'Owner addresses marked failing (a permanent failure or retries given up), by channel',
      labelNames: ['channel'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of await q.failingByChannel(db)) this.set({ channel: r.channel }, r.n);
      },
    });
    this.metrics = {
      notices: new Counter({
        name: 'gatehouse_notify_notices_total',
        help: 'Notices planned by outcome (planned, held, suppressed, coalesced)',
        labelNames: ['kind', 'outcome'],
        registers: [registry],
      }),
      attempts: new Counter({
        name: 'gatehouse_notify_attempts_total',
        help: 'Delivery attempts by channel and outcome (sent, retry, failed, dead)',
        labelNames: ['channel', 'outcome'],
        registers: [registry],
      }),
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.poke(), this.o.pollMs);
    this.timer.unref();
    if (this.o.retentionMs > 0) {
      const prune = () =>
        void this.prune().catch((err: unknown) => this.o.log?.error({ err }, 'notify pruning failed'));
      this.pruneTimer = setInterval(prune, 3_600_000);
      this.pruneTimer.unref();
      prune();
    }
    this.poke();
  }

  /** Deletes finished notices and deliveries older than the retention. */
  prune(): Promise<{ notices: number; deliveries: number }> {
    return this.db.transaction().execute((tx) => q.prune(tx, this.now() - this.o.retentionMs));
  }

  /**
   * Look for due notices and deliveries soon. Coalesces: the first poke after a quiet spell looks on the
   * next turn of the event loop (the commits of one turn share it); pokes within `wakeMs` of the last
   * look, or while one runs, are folded into one look `wakeMs` after it.
   */
  poke(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    if (this.wake) return;
    const wait = Math.max(0, this.lastLook + (this.o.wakeMs ?? 20) - performance.now());
    this.wake = setTimeout(() => {
      this.wake = undefined;
      this.run();
    }, wait);
  }

  private run(): void {
    if (this.stopped || this.pumping) return;
    this.lastLook = performance.now();
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.poke();
      }
    });
  }

  /** Plans and sends everything due now, until nothing is (tests, CLI). Retries are rescheduled, not run. */
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
    for (const c of Object.values(this.o.channels)) await c?.close?.();
  }

  /** Plans due notices, then launches due deliveries; returns how much work it started. */
  private async pump(): Promise<number> {
    let work = 0;
    try {
      for (;;) {
        // notices take turns with the other background loops (core/lane.ts)
        await laneTurn();
        const t = this.now();
        const claimed = await q.claimDueNotices(this.db, t, 100, t + LEASE_MS);
        for (const c of claimed) {
          await laneTurn();
          const r = await this.plan(c);
          if (r !== 'skipped') work++;
        }
        if (claimed.length < 100) break;
      }
      const free = this.o.concurrency - this.inflight.size;
      if (free > 0) {
        const t = this.now();
        const due = await q.claimDueDeliveries(this.db, t, free, t + LEASE_MS);
        for (const d of due) {
          if (this.inflight.has(d.seq)) continue;
          const p = this.attempt(d).finally(() => {
            this.inflight.delete(d.seq);
            if (!this.stopped) this.poke();
          });
          this.inflight.set(d.seq, p);
          work++;
        }
      }
    } catch (err) {
      this.o.log?.error({ err }, 'notify dispatch failed; will retry');
    }
    return work;
  }

  private async plan(n: { id: string; kind: string; account_id: string }): Promise<PlanResult> {
    const id = n.id;
    try {
      const r = await planNotice({ ...this.o.planner, db: this.db, links: this.o.links, now: this.now }, id);
      if (r !== 'skipped') this.metrics?.notices.inc({ kind: n.kind, outcome: r });
      if (r === 'suppressed')
        this.o.log?.info(
          { notice: id, kind: n.kind, account: n.account_id },
          'notice over the hourly limit: suppressed',
        );
      return r;
    } catch (err) {
      // the lease runs out and a later pass plans it
      this.o.log?.error({ err, notice: id }, 'planning a notice failed; will retry');
      return 'skipped';
    }
  }

  private async attempt(d: DeliveryRow): Promise<void> {
    const to = maskedTo(d.channel, d.address);
    try {
      await laneTurn();
      const channel = this.o.channels[d.channel as ChannelName];
      const n = await q.notice(this.db, d.notice_id);
      const outcome =
        !channel || !n
          ? ({
              ok: false,
              permanent: true,
              scope: 'transport',
              code: 'UNAVAILABLE',
              error: `channel ${d.channel} is not configured`,
            } as const)
          : await channel.send(await compose({ ...this.o.compose, db: this.db, links: this.o.links }, n, d));
      await laneTurn();
      const at = this.now();
      const attempts = d.attempts + 1;
      const failed = !outcome.ok && outcome.permanent;
      const dead =
        !outcome.ok && !failed && (attempts >= this.o.maxAttempts || at - d.created_at >= this.o.maxAgeMs);
      const state = outcome.ok ? 'sent' : failed ? 'failed' : dead ? 'dead' : 'pending';
      await this.db.transaction().execute(async (tx) => {
        await q.finishDelivery(tx, d.seq, {
          state,
          attempts,
          next_attempt_at:
            state === 'pending'
              ? at + backoffMs(attempts, this.o.retryBaseMs, this.o.retryCapMs, this.random)
              : at,
          done_at: state === 'pending' ? null : at,
          last_code: outcome.ok ? null : outcome.code,
          last_error: outcome.ok ? null : outcome.error,
        });
        // the owner's address is failing when it refused the message or retries gave up; a transport
        // fault that is still being retried says nothing about the address yet
        if (outcome.ok || failed || dead)
          await q.markHealth(
            tx,
            {
              account_id: d.account_id,
              channel: d.channel,
              address: d.address,
              last_code: outcome.ok ? null : outcome.code,
              last_error: outcome.ok ? null : outcome.error,
            },
            !outcome.ok,
            at,
          );
      });
      this.metrics?.attempts.inc({ channel: d.channel, outcome: state === 'pending' ? 'retry' : state });
      if (!outcome.ok) {
        const fields = {
          notice: d.notice_id,
          channel: d.channel,
          to,
          attempts,
          code: outcome.code,
          error: outcome.error,
          scope: outcome.scope,
        };
        if (state === 'pending') this.o.log?.warn(fields, 'notice delivery failed; will retry');
        else
          this.o.log?.warn(
            fields,
            `notice delivery ${state === 'dead' ? 'gave up' : 'failed permanently'}; the address is marked failing`,
          );
      }
    } catch (err) {
      // the lease expires and a later pass retries it
      this.o.log?.error(
        { err, delivery: d.seq, channel: d.channel, to },
        'notice delivery could not be recorded',
      );
    }
  }
}
