/**
 * The scale-out shape (issue 16): roles of one binary on PostgreSQL and NATS JetStream.
 *
 * - api: HTTP; appends events to the log (PostgreSQL) and pokes the relay; pre-send checks go to the
 *   owning engine worker (request/reply); outbox rows are left to the dispatcher.
 * - engine: an EngineWorker owning partitions through leases; decisions to engine_decisions + outbox.
 * - dispatcher: the outbox drainer (the in-process bus: response, incidents, notify, identity events
 *   into the log), the webhook and notice dispatchers, and the relay (event log → stream).
 * - all: the embedded default; none of this is opened.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.ts';
import { DrainLease, OutboxDrainer, type Bus } from '../bus/index.ts';
import type { EngineService } from '../engine/index.ts';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import { openLink, type ClusterLink } from './nats.ts';
import { partitionOf } from './partition.ts';
import { StreamRelay, type StreamRow } from './relay.ts';
import { remoteCheck, remoteSignInRisk } from './remote-check.ts';
import type { Probation } from '../identity/qr/probation.ts';
import type { ThrottleGate } from '../response/throttle.ts';
import { GateShare } from './gates.ts';
import type { ControlOp } from './runner.ts';
import { EngineWorker } from './worker.ts';

export { CLUSTER_SETTINGS } from './settings.ts';
export { clusterMigrations, type ClusterTables } from './schema.ts';
export { partitionOf, clusterNames } from './partition.ts';
export { destroyCluster, openLink, type ClusterLink } from './nats.ts';
export { EngineWorker } from './worker.ts';
export { StreamRelay } from './relay.ts';

export type Role = Config['role'];
/** Background work the composition root starts; each role runs some of it. */
export type Work = 'outbox' | 'webhooks' | 'notify' | 'sweeper' | 'anchors';

const RUNS: Record<Role, ReadonlySet<Work>> = {
  all: new Set(['outbox', 'webhooks', 'notify', 'sweeper', 'anchors']),
  api: new Set(),
  engine: new Set(),
  dispatcher: new Set(['outbox', 'webhooks', 'notify', 'sweeper', 'anchors']),
};

/** An outbox drainer stand-in for roles that do not drain: a commit pokes the dispatcher over NATS. */
class PokingDrainer extends OutboxDrainer {
  private readonly link: ClusterLink;
  constructor(link: ClusterLink, db: Db, bus: Bus) {
    super(db, bus, 1000);
    this.link = link;
  }
  override start(): void {}
  override poke(): void {
    this.link.nc.publish(this.link.names.pokeOutbox);
  }
  override async drain(): Promise<void> {}
  override async stop(): Promise<void> {}
}

export class Cluster {
  readonly role: Exclude<Role, 'all'>;
  readonly link: ClusterLink;
  worker: EngineWorker | undefined;
  relay: StreamRelay | undefined;
  gates: GateShare | undefined;
  private readonly config: Config;
  private readonly log: Logger;
  private unsub: Array<() => void> = [];

  constructor(config: Config, link: ClusterLink, log: Logger) {
    this.role = config.role as Exclude<Role, 'all'>;
    this.config = config;
    this.link = link;
    this.log = log;
  }

  runs(w: Work): boolean {
    return RUNS[this.role].has(w);
  }

  /** The outbox drainer of this role (the real one only in the dispatcher, poked over NATS). */
  outboxDrainer(db: Db, bus: Bus): OutboxDrainer {
    if (this.role !== 'dispatcher') return new PokingDrainer(this.link, db, bus);
    // several dispatchers may run: one drains at a time, the others take over when it dies
    const lease = new DrainLease(db, this.config.outboxLeaseSeconds * 1000);
    const d = new OutboxDrainer(db, bus, this.config.outboxPollMs, this.log, undefined, lease);
    const sub = this.link.nc.subscribe(this.link.names.pokeOutbox, { callback: () => d.poke() });
    this.unsub.push(() => sub.unsubscribe());
    return d;
  }

  /**
   * The engine service of a scale-out role appends to the log only: appends poke the relay, checks go
   * to the owning worker (api), and the response part's controls travel on the stream to the owners.
   */
  wireEngine(engine: EngineService): void {
    engine.consume = false;
    engine.appended = () => this.link.nc.publish(this.link.names.pokeEvents);
    if (this.role === 'api') {
      engine.remoteCheck = remoteCheck(this.link, this.config.clusterCheckTimeoutMs);
      engine.remoteSignInRisk = remoteSignInRisk(this.link, this.config.clusterCheckTimeoutMs, this.log);
    }
    const send = (op: ControlOp, partitions: number[]) => {
      for (const p of partitions) {
        const id = `control:${randomUUID()}`;
        const row: StreamRow = { id, receivedAt: Date.now(), origin: 'control', payload: JSON.stringify(op) };
        this.link.js
          .publish(this.link.names.events(p), JSON.stringify(row), { msgID: id })
          .catch((err: unknown) => this.log.error({ err, op: op.op }, 'engine control not published'));
      }
    };
    const all = [...Array(this.link.partitions).keys()];
    const of = (account: string) => [partitionOf(account, this.link.partitions)];
    Object.assign(engine.control, {
      release: (account: string) => send({ op: 'release', account }, of(account)),
      quarantine: (key: string) => send({ op: 'quarantine', key }, all),
      unquarantine: (key: string) => send({ op: 'unquarantine', key }, all),
    });
  }

  /**
   * The pre-send check's gates: every role announces the throttles (response part) and probations
   * (identity) it sets or lifts; engine workers, which answer the checks, apply them (cluster/gates.ts).
   */
  wireThrottles(gate: ThrottleGate, db: Db): void {
    this.gates ??= new GateShare(this.link, db, this.log);
    this.gates.announceThrottles(gate);
  }

  wireProbation(p: Probation, db: Db): void {
    this.gates ??= new GateShare(this.link, db, this.log);
    this.gates.announceProbation(p);
  }

  /** Starts the role's own work (after the root started the shared parts). */
  async start(db: Db, engine: EngineService, onOutbox: () => void): Promise<void> {
    const owner = `${this.role}-${process.pid}-${randomUUID().slice(0, 6)}`;
    if (this.role === 'engine') {
      await this.gates?.follow();
      this.worker = new EngineWorker({
        link: this.link,
        db,
        log: this.log,
        service: engine,
        snapshotMs: this.config.clusterSnapshotSeconds * 1000,
        onCommit: onOutbox,
      });
      await this.worker.start();
    }
    if (this.role === 'dispatcher') {
      this.relay = new StreamRelay(this.link, db, this.log, owner);
      this.relay.start();
    }
    this.log.info({ role: this.role, partitions: this.link.partitions }, 'scale-out role started');
  }

  async stop(): Promise<void> {
    for (const u of this.unsub) u();
    this.gates?.stop();
    await this.worker?.stop();
    await this.relay?.stop();
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}

/** Opens the scale-out side for a role other than all (undefined for the embedded default). */
export async function openCluster(config: Config, log: Logger): Promise<Cluster | undefined> {
  if (config.role === 'all') return undefined;
  const link = await openLink({
    natsUrl: config.natsUrl,
    clusterName: config.clusterName,
    partitions: config.clusterPartitions,
    leaseSeconds: config.clusterLeaseSeconds,
    streamMaxAgeHours: config.clusterStreamMaxAgeHours,
    log,
  });
  return new Cluster(config, link, log);
}
