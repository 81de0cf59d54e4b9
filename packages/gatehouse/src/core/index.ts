/**
 * What every part's module is built from (the shared core: settings, log, migrated store, bus and
 * outbox drainer, the secret key) and what a module gives back to the composition root
 * (`gatehouse.ts`): its bus subscriptions, routes, metrics and lifecycle. See docs/ARCHITECTURE.md.
 */
import type { Registry } from 'prom-client';
import { DrainLease, InProcessBus, OutboxDrainer, type Bus } from '../bus/index.ts';
import { openCluster, type Cluster, type Work } from '../cluster/index.ts';
import type { Config } from '../config/index.ts';
import { createLogger, type Logger } from '../log/index.ts';
import { sharedCounters, type SharedCounters } from '../ratelimit/shared.ts';
import type { Server } from '../server/app.ts';
import { Readiness, type CheckResult } from '../server/readiness.ts';
import { migrate, openStore, storeReadyCheck, type Store } from '../store/index.ts';
import { resolveSecretKey, SecretBox } from '../webhooks/index.ts';

export { Wiring, type Parts } from './wiring.ts';

/** The shared core handed to every module. */
export interface Core {
  config: Config;
  log: Logger;
  store: Store;
  bus: Bus;
  drainer: OutboxDrainer;
  /** The scale-out role's side (NATS stream, leases, relay, engine worker); undefined for role all. */
  cluster: Cluster | undefined;
  /** Whether this process runs a piece of background work (every piece in the embedded default). */
  runs(work: Work): boolean;
  /** The server's secret key (webhook secrets, sealed keys, notice links) and the box sealing with it. */
  secretKey: Buffer;
  box: SecretBox;
  /** The attempt counters every credential limit uses: memory (SQLite), the database or Redis. */
  counters: SharedCounters;
  /** Where the server is: `publicUrl` when set, else where it listens (known once it does). */
  publicUrl(): string;
  /** The server's own address (its bind address before it listens). */
  ownUrl(): string;
  setOwnUrl(url: string): void;
}

/**
 * One part as the composition root sees it. Every hook is optional; the root calls `subscribe`,
 * `routes` and `metrics` in its module order, `start` and `stop` in its lifecycle orders.
 */
export interface PartModule<S extends object = object> {
  readonly name: string;
  /** What the part offers the rest of the service (the root hands them on as `Gatehouse` fields). */
  readonly services: S;
  /** Bus subscriptions (before start, so that no event is missed). */
  subscribe?(bus: Bus): void;
  /** The part's routes on the HTTP shell. */
  routes?(app: Server): Promise<void>;
  metrics?(registry: Registry): void;
  /** false while the part takes no more work (readiness: back-pressure). */
  ready?(): boolean;
  /** The part's readiness with its figures for /readyz (instead of `ready`). */
  check?(): CheckResult | Promise<CheckResult>;
  start?(): void | Promise<void>;
  /** Stops the part's work (its errors are the part's to handle). */
  stop?(): void | Promise<void>;
  /** Releases what the part holds when the service fails to start (before `start`). */
  dispose?(): void;
  /** The server listens at `url`. */
  listening?(url: string): void;
}

/** Opens the store (migrating it unless told not to) and builds the core; closes the store on failure. */
export async function openCore(
  config: Config,
  opts: { log?: Logger; migrate?: boolean } = {},
): Promise<Core> {
  const log = opts.log ?? createLogger(config.logLevel);
  const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
  let secretKey: Buffer;
  try {
    if (opts.migrate !== false) {
      const r = await migrate(store);
      if (r.applied.length) log.info({ applied: r.applied }, 'migrations applied');
    }
    secretKey = resolveSecretKey(config, log);
  } catch (e) {
    await store.close();
    throw e;
  }
  let cluster: Cluster | undefined;
  try {
    cluster = await openCluster(config, log);
  } catch (e) {
    await store.close();
    throw e;
  }
  const bus = new InProcessBus(log);
  // the server's own address, for links when publicUrl is not set (known once it listens)
  let ownUrl = `http://${config.host}:${config.port}`;
  return {
    config,
    log,
    store,
    bus,
    drainer:
      cluster?.outboxDrainer(store.db, bus) ??
      new OutboxDrainer(
        store.db,
        bus,
        config.outboxPollMs,
        log,
        undefined,
        store.dialect === 'postgres' ? new DrainLease(store.db, config.outboxLeaseSeconds * 1000) : undefined,
      ),
    cluster,
    runs: (work) => !cluster || cluster.runs(work),
    counters: sharedCounters(config, store.db, log),
    secretKey,
    box: new SecretBox(secretKey),
    publicUrl: () => config.publicUrl || ownUrl,
    ownUrl: () => ownUrl,
    setOwnUrl: (url) => {
      ownUrl = url;
    },
  };
}

/** The core's own part in the lifecycle: the outbox drainer, then (last) the bus and the store. */
export function coreModule(core: Core): PartModule & { close(): Promise<void> } {
  return {
    name: 'core',
    services: {},
    start: () => core.drainer.start(),
    // everything committed so far reaches its subscribers before the parts behind them stop
    stop: async () => {
      await core.drainer.stop();
      await core.drainer.drain();
    },
    close: async () => {
      await core.bus.close();
      await core.cluster?.close();
      await core.counters.close();
      await core.store.close();
    },
  };
}

type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every module's services in one object (one type: what each module's `services` holds, together). */
export type ServicesOf<M extends Record<string, PartModule>> = Intersection<M[keyof M]['services']>;

/** The services of the modules in one object (their names never overlap). */
export function servicesOf<M extends Record<string, PartModule>>(modules: M): ServicesOf<M> {
  const all: Record<string, unknown> = {};
  for (const m of Object.values(modules)) Object.assign(all, m.services);
  return all as ServicesOf<M>;
}

/** /readyz: the database and its migrations, the attempt counters, then each part's own check. */
export function readinessOf(core: Core, modules: readonly PartModule[]): Readiness {
  const r = new Readiness()
    .add('database', () => storeReadyCheck(core.store))
    .add('counters', () => core.counters.check());
  for (const m of modules) {
    if (m.check) r.add(m.name, () => m.check!());
    else if (m.ready) r.add(m.name, () => ({ ok: m.ready!() }));
  }
  return r;
}
