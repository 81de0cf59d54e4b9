import type { AddressInfo } from 'node:net';
import { AuditService, auditRoutes } from './audit/index.ts';
import { InProcessBus, OutboxDrainer, type Bus } from './bus/index.ts';
import type { Config } from './config/index.ts';
import { ContentService, contentRoutes } from './content/index.ts';
import { identityRoutes, IdentityService } from './identity/index.ts';
import { KeyService } from './keys/index.ts';
import { createLogger, type Logger } from './log/index.ts';
import { buildServer, type Server } from './server/app.ts';
import { migrate, openStore, pendingMigrations, type Store } from './store/index.ts';
import {
  resolveSecretKey,
  SecretBox,
  WebhookDispatcher,
  webhookRoutes,
  WebhookService,
} from './webhooks/index.ts';

/** One running Gatehouse: every part, hand-wired. */
export interface Gatehouse {
  config: Config;
  log: Logger;
  store: Store;
  bus: Bus;
  drainer: OutboxDrainer;
  identity: IdentityService;
  keys: KeyService;
  webhooks: WebhookService;
  dispatcher: WebhookDispatcher;
  audit: AuditService;
  content: ContentService;
  app: Server;
  /** Starts background work (outbox drainer, webhook dispatcher). Subscribe to the bus before this to see every event. */
  start(): void;
  /** Starts, then listens on config.host:config.port; resolves with the URL. */
  listen(): Promise<string>;
  /** Graceful stop: refuse new work, finish in-flight requests, drain the outbox, close the database. */
  close(): Promise<void>;
}

export interface CreateOptions {
  log?: Logger;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
}

export async function createGatehouse(config: Config, opts: CreateOptions = {}): Promise<Gatehouse> {
  const log = opts.log ?? createLogger(config.logLevel);
  const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
  try {
    if (opts.migrate !== false) {
      const r = await migrate(store);
      if (r.applied.length) log.info({ applied: r.applied }, 'migrations applied');
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  let box: SecretBox;
  try {
    box = new SecretBox(resolveSecretKey(config, log));
  } catch (e) {
    await store.close();
    throw e;
  }
  const bus = new InProcessBus(log);
  const drainer = new OutboxDrainer(store.db, bus, config.outboxPollMs, log);
  const identity = new IdentityService(store.db, {
    argon2: {
      memoryKiB: config.argon2MemoryKib,
      iterations: config.argon2Iterations,
      parallelism: config.argon2Parallelism,
    },
    sessionTtlMs: config.sessionTtlHours * 3_600_000,
    sessionIdleMs: config.sessionIdleHours * 3_600_000,
    loginMaxFailuresPerAccount: config.loginMaxFailuresPerAccount,
    loginMaxFailuresPerIp: config.loginMaxFailuresPerIp,
    loginWindowMs: config.loginWindowSeconds * 1000,
    signupMaxPerIp: config.signupMaxPerIp,
    onCommit: () => {
      drainer.poke();
      dispatcher.poke();
    },
  });
  const keys = new KeyService(store.db);
  const dispatcher = new WebhookDispatcher(store.db, box, {
    concurrency: config.webhookConcurrency,
    timeoutMs: config.webhookTimeoutMs,
    retryBaseMs: config.webhookRetryBaseMs,
    retryCapMs: config.webhookRetryCapMs,
    maxAttempts: config.webhookMaxAttempts,
    maxAgeMs: config.webhookMaxAgeHours * 3_600_000,
    pollMs: config.webhookPollMs,
    retentionMs: config.webhookRetentionDays * 86_400_000,
    log,
  });
  const webhooks = new WebhookService(store.db, box, {
    secretOverlapMs: config.webhookSecretOverlapHours * 3_600_000,
    onCommit: () => dispatcher.poke(),
  });
  webhooks.dispatcher = dispatcher;
  const audit = new AuditService(store.db);
  const content = new ContentService({
    dataDir: config.dataDir,
    textModelFile: config.textModelFile,
    brandsFile: config.brandsFile,
    blocklistFile: config.blocklistFile,
    allowlistFile: config.allowlistFile,
    imageBankFile: config.imageBankFile,
    log,
    db: store.db,
  });

  let closing = false;
  const { app, metrics } = await buildServer({
    log,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    ready: async () => {
      if (closing) return false;
      await store.ping();
      return (await pendingMigrations(store)).length === 0;
    },
  });
  await app.register(identityRoutes, { identity, keys, config });
  dispatcher.registerMetrics(metrics);
  await app.register(webhookRoutes, { webhooks, keys });
  await app.register(auditRoutes, { audit, keys });
  await app.register(contentRoutes, { content, keys });
  await app.ready();

  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    drainer.start();
    dispatcher.start();
  };

  return {
    config,
    log,
    store,
    bus,
    drainer,
    identity,
    keys,
    webhooks,
    dispatcher,
    audit,
    content,
    app,
    start,
    async listen() {
      start();
      await app.listen({ host: config.host, port: config.port });
      const a = app.server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      return `http://${host}:${a.port}`;
    },
    async close() {
      if (closing) return;
      closing = true;
      await app.close();
      await drainer.stop();
      await drainer.drain();
      await dispatcher.stop();
      content.close();
      await bus.close();
      await store.close();
    },
  };
}
