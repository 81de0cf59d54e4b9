import type { AddressInfo } from 'node:net';
import { auditModule } from './audit/module.ts';
import type { Bus, OutboxDrainer } from './bus/index.ts';
import { clusterModule } from './cluster/module.ts';
import type { Config } from './config/index.ts';
import { consoleModule } from './console/index.ts';
import { contentModule } from './content/module.ts';
import {
  coreModule,
  openCore,
  readinessOf,
  servicesOf,
  Wiring,
  type Core,
  type PartModule,
  type ServicesOf,
} from './core/index.ts';
import type { ContentAnalyzer } from './engine/index.ts';
import { engineModule } from './engine/module.ts';
import { parseCidrList } from './identity/index.ts';
import { identityModule } from './identity/module.ts';
import { incidentsModule } from './incidents/module.ts';
import { keysModule } from './keys/module.ts';
import type { Logger } from './log/index.ts';
import { notifyModule } from './notify/module.ts';
import { oauthModule } from './oauth/module.ts';
import type { CodeSender } from './recovery/index.ts';
import { recoveryModule } from './recovery/module.ts';
import { responseModule } from './response/module.ts';
import { buildServer, type Server } from './server/app.ts';
import type { Store } from './store/index.ts';
import { webhooksModule } from './webhooks/module.ts';

/** One running Gatehouse: the core, every part's services (its module's `services`), the HTTP server. */
export type Gatehouse = {
  config: Config;
  log: Logger;
  store: Store;
  bus: Bus;
  drainer: OutboxDrainer;
  app: Server;
  /** Starts background work (outbox drainer, webhook dispatcher, engine consumer). Subscribe to the bus before this to see every event. */
  start(): Promise<void>;
  /** Starts, then listens on config.host:config.port; resolves with the URL. */
  listen(): Promise<string>;
  /** Graceful stop: refuse new work, finish in-flight requests, drain the outbox, close the database. */
  close(): Promise<void>;
} & ServicesOf<ReturnType<typeof buildModules>>;

export interface CreateOptions {
  log?: Logger;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
  /** The engine's content analysis (default: the content service: model, brands, lists, image bank). */
  engineContent?: ContentAnalyzer;
  /** Sends recovery codes to email/phone (overrides recoveryCodeSender; tests pass a capturing one). */
  codeSender?: CodeSender;
}

/** Every part's module, built in dependency order (each takes the parts it calls later through the wiring). */
function buildModules(core: Core, w: Wiring, opts: CreateOptions, add: <M extends PartModule>(m: M) => M) {
  return {
    notify: add(notifyModule(core, w)),
    identity: add(identityModule(core, w)),
    keys: add(keysModule(core, w)),
    webhooks: add(webhooksModule(core, w)),
    audit: add(auditModule(core, w)),
    content: add(contentModule(core, w)),
    engine: add(engineModule(core, w, { content: opts.engineContent })),
    oauth: add(oauthModule(core, w)),
    response: add(responseModule(core, w)),
    incidents: add(incidentsModule(core, w)),
    recovery: add(recoveryModule(core, w, { codeSender: opts.codeSender })),
    console: add(consoleModule(core, w)),
    cluster: add(clusterModule(core, w)),
  };
}

/** The composition root: the core, the parts' modules, the HTTP server, the lifecycle. */
export async function createGatehouse(config: Config, opts: CreateOptions = {}): Promise<Gatehouse> {
  const core = await openCore(config, opts);
  const built: PartModule[] = [];
  let parts: ReturnType<typeof buildModules>;
  try {
    parts = buildModules(core, new Wiring(), opts, (m) => (built.push(m), m));
  } catch (e) {
    for (const m of built.reverse()) m.dispose?.();
    await core.counters.close();
    await core.store.close();
    throw e;
  }
  const { notify, identity, webhooks, audit, content, engine, oauth, response, recovery, cluster } = parts;
  const base = coreModule(core);
  // routes (so the OpenAPI document), metrics, bus subscriptions and readiness in this order (keys has none)
  const modules: PartModule[] = [identity, webhooks, audit, content, response, parts.incidents, engine];
  modules.push(recovery, notify, oauth, parts.console, cluster);
  // the outbox drainer, the text model (it may learn the stored labels again), the dispatchers; the engine before what the response restores into it
  const startOrder = [base, content, webhooks, notify, engine, oauth, audit, identity, response, cluster];
  // intake first, then the outbox drained to its subscribers, then what they enqueued
  const stopOrder = [oauth, cluster, engine, base, response, notify, webhooks, audit, content];

  let closing = false;
  const readiness = readinessOf(core, modules);
  const { app, metrics } = await buildServer({
    log: core.log,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy ? parseCidrList(config.trustedProxies) : false,
    // per dependency (server/readiness.ts): the database, the attempt counters, each part's own
    ready: async () => (closing ? false : readiness.report()),
  });
  for (const m of modules) m.subscribe?.(core.bus);
  for (const m of modules) m.metrics?.(metrics);
  readiness.registerMetrics(metrics);
  for (const m of modules) await m.routes?.(app);
  await app.ready();

  let started: Promise<void> | undefined;
  const start = () =>
    (started ??= (async () => {
      for (const m of startOrder) await m.start?.();
    })());

  return {
    ...servicesOf(parts),
    config,
    log: core.log,
    store: core.store,
    bus: core.bus,
    drainer: core.drainer,
    app,
    start,
    async listen() {
      await start();
      await app.listen({ host: config.host, port: config.port });
      const a = app.server.address() as AddressInfo;
      core.setOwnUrl(`http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
      for (const m of modules) m.listening?.(core.ownUrl());
      return core.ownUrl();
    },
    async close() {
      if (closing) return;
      closing = true;
      await app.close();
      if (started) await started.catch(() => undefined);
      for (const m of stopOrder) await m.stop?.();
      await base.close();
    },
  };
}
