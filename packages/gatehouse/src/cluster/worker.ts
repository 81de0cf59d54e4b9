/**
 * An engine worker: announces itself in the lease bucket (`w.<id>`), owns a fair share of the
 * partitions (`p.<n>` = its id, renewed every third of the lease), takes over partitions whose lease
 * lapsed (a dead worker's, after clusterLeaseSeconds), hands partitions over when a new worker
 * joins (snapshot, then release) and hands all of them over when it stops.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import type { EngineService, Sighting } from '../engine/index.ts';
import { leaseEntries, type ClusterLink } from './nats.ts';
import { PartitionRunner } from './runner.ts';

export interface WorkerOptions {
  link: ClusterLink;
  db: Db;
  log: Logger;
  service: EngineService;
  snapshotMs: number;
  onCommit: () => void;
}

export class EngineWorker {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly runners = new Map<number, PartitionRunner>();
  /** Events applied by this worker (all partitions). */
  applied = 0;
  takeovers = 0;
  private readonly o: WorkerOptions;
  private selfRev = 0;
  private timer: NodeJS.Timeout | undefined;
  private snapTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private renewing: Promise<void> | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  /** Partitions whose lease is taken and whose state is still loading. */
  private readonly opening = new Map<number, PartitionRunner>();
  private stopped = false;
  private outgoing: Array<[number, Sighting]> = [];
  private sendTimer: NodeJS.Timeout | undefined;
  /** Sightings of other partitions applied to this worker's partitions. */
  sightingsIn = 0;

  constructor(o: WorkerOptions) {
    this.o = o;
  }

  /**
   * Content fingerprints and campaigns cross partitions: every sighting a partition counts goes, batched
   * every 50 ms, onto the stream (`<name>.fp`), which every partition consumes (here and in other
   * workers) and counts; a partition's snapshot holds what it had counted and the sightings' stream
   * position, so a partition restored after its worker died replays the sightings after it. A batch
   * whose publish failed is sent again with the next (the sightings of a partition's own events are
   * also derived again when a new owner replays them).
   */
  private share(partition: number, s: Sighting): void {
    this.outgoing.push([partition, s]);
    this.scheduleSend(50);
  }

  private scheduleSend(ms: number): void {
    if (this.stopped) return;
    this.sendTimer ??= setTimeout(() => {
      this.sendTimer = undefined;
      this.sendSightings().catch((err: unknown) => {
        this.o.log.warn({ err }, 'fingerprint sightings not published; retrying');
        this.scheduleSend(500);
      });
    }, ms);
  }

  /**
   * Publishes the sightings counted so far (taken at the call, synchronously); on failure they are put
   * back and the promise rejects. A snapshot waits for it: a sighting of an event the snapshot covers
   * is on the stream before the snapshot is written (a new owner does not apply that event again).
   */
  private sendSightings(): Promise<void> {
    const batch = this.outgoing;
    this.outgoing = [];
    if (batch.length === 0) return Promise.resolve();
    return this.o.link.js.publish(this.o.link.names.sightings, JSON.stringify(batch)).then(
      () => undefined,
      (err: unknown) => {
        this.outgoing = batch.concat(this.outgoing);
        throw err;
      },
    );
  }

  async start(): Promise<void> {
    this.selfRev = await this.o.link.leases.put(`w.${this.id}`, String(Date.now()));
    await this.tick();
    this.timer = setInterval(() => {
      if (!this.ticking)
        this.ticking = this.tick()
          .catch((err: unknown) => this.o.log.error({ err }, 'engine worker lease round failed'))
          .finally(() => (this.ticking = undefined));
    }, this.o.link.leaseMs / 3);
    // renewals never wait for a round that is loading partitions (a slow load must not let leases lapse)
    this.renewTimer = setInterval(() => {
      this.renewOnce().catch((err: unknown) =>
        this.o.log.error({ err }, 'engine worker lease renewal failed'),
      );
    }, this.o.link.leaseMs / 4);
    this.snapTimer = setInterval(() => {
      for (const r of this.runners.values())
        r.snapshot().catch((err: unknown) =>
          this.o.log.error({ err, partition: r.partition }, 'partition snapshot failed'),
        );
    }, this.o.snapshotMs);
    this.snapTimer.unref();
  }

  /** The partitions this worker owns now. */
  owned(): number[] {
    return [...this.runners.keys()].sort((a, b) => a - b);
  }

  /** One lease round: renew, count live workers, take free partitions up to a fair share, give extras back. */
  /** One renewal at a time (two concurrent compare-and-sets on a lease would fail one of them). */
  private renewOnce(): Promise<void> {
    this.renewing ??= this.renew().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /** Renews this worker's key and every lease it holds (owned or loading); drops a partition whose lease was lost. */
  private async renew(): Promise<void> {
    if (this.stopped) return;
    const kv = this.o.link.leases;
    this.selfRev = await kv.put(`w.${this.id}`, String(Date.now()));
    const all = [...this.runners, ...this.opening];
    await Promise.all(
      all.map(async ([p, r]) => {
        try {
          r.leaseRev = await kv.update(`p.${p}`, this.id, r.leaseRev);
        } catch {
          if (this.runners.get(p) !== r) return; // still loading: its round finds out
          this.o.log.warn({ partition: p }, 'partition lease lost; dropping its state');
          this.runners.delete(p);
          await r.stop(false);
        }
      }),
    );
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const kv = this.o.link.leases;
    await this.renewOnce();
    const keys = await leaseEntries(this.o.link);
    const workers = [...keys.keys()].filter((k) => k.startsWith('w.')).length || 1;
    const P = this.o.link.partitions;
    const fair = Math.ceil(P / workers);
    if (this.runners.size < fair) {
      const start = Math.floor(Math.random() * P);
      for (let i = 0; i < P && this.runners.size + this.opening.size < fair && !this.stopped; i++) {
        const p = (start + i) % P;
        if (this.runners.has(p) || keys.has(`p.${p}`)) continue;
        let rev: number;
        try {
          rev = await kv.create(`p.${p}`, this.id);
        } catch {
          continue; // another worker was quicker
        }
        const r = new PartitionRunner(p, rev, {
          link: this.o.link,
          db: this.o.db,
          log: this.o.log,
          service: this.o.service,
          onCommit: this.o.onCommit,
          onApplied: (n) => (this.applied += n),
          share: (q, sg) => this.share(q, sg),
          onSightings: (n) => (this.sightingsIn += n),
          sendShared: () => this.sendSightings(),
        });
        this.opening.set(p, r);
      }
      // the partitions taken load their state in parallel
      const t0 = Date.now();
      await Promise.all(
        [...this.opening].map(async ([p, r]) => {
          try {
            await r.open();
          } catch (err) {
            this.o.log.error({ err, partition: p }, 'partition could not be opened; releasing it');
            this.opening.delete(p);
            await kv.delete(`p.${p}`, { previousSeq: r.leaseRev }).catch(() => undefined);
            return;
          }
          this.opening.delete(p);
          this.runners.set(p, r);
          this.takeovers++;
          this.o.log.info({ partition: p, position: r.position, ms: Date.now() - t0 }, 'partition taken');
        }),
      );
    } else if (this.runners.size > fair) {
      // a worker joined: hand the extras over (state to PostgreSQL first, then the lease)
      for (const p of this.owned().slice(fair)) await this.release(p);
    }
  }

  private async release(p: number): Promise<void> {
    const r = this.runners.get(p);
    if (!r) return;
    this.runners.delete(p);
    await r.stop(true);
    await this.o.link.leases.delete(`p.${p}`, { previousSeq: r.leaseRev }).catch(() => undefined);
    this.o.log.info({ partition: p, position: r.position }, 'partition handed over');
  }

  /** Hands every partition over and leaves. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.snapTimer) clearInterval(this.snapTimer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.sendTimer) clearTimeout(this.sendTimer);
    while (this.ticking) await this.ticking;
    while (this.renewing) await this.renewing;
    for (const p of this.owned())
      await this.release(p).catch((err: unknown) =>
        this.o.log.error({ err, partition: p }, 'partition hand-over failed'),
      );
    await this.sendSightings().catch((err: unknown) =>
      this.o.log.error({ err }, 'fingerprint sightings not published at stop'),
    );
    await this.o.link.leases.delete(`w.${this.id}`, { previousSeq: this.selfRev }).catch(() => undefined);
  }
}
