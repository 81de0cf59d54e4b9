import type { AddressInfo } from 'node:net';
import { appendAuditInTx, AuditService, auditRoutes, auditSink } from './audit/index.ts';
import { InProcessBus, OutboxDrainer, type Bus } from './bus/index.ts';
import type { Config } from './config/index.ts';
import { ContentService, contentRoutes } from './content/index.ts';
import { createContentAnalyzer, EngineService, engineRoutes, type ContentAnalyzer } from './engine/index.ts';
import { identityRoutes, IdentityService } from './identity/index.ts';
import { GatehouseError } from './errors/index.ts';
import { IncidentService, incidentRoutes } from './incidents/index.ts';
import { KeyService } from './keys/index.ts';
import { createLogger, type Logger } from './log/index.ts';
import {
  localize,
  LogNotifier,
  PolicyError,
  PolicyManager,
  ResponseService,
  responseRoutes,
  SessionGrantRevoker,
  type DecisionInput,
} from './response/index.ts';
import {
  DevelopmentLogSender,
  factsFromResponseActions,
  longStandingFromEventLog,
  recoveryOptionsFrom,
  recoveryRoutes,
  RecoveryService,
  type CodeSender,
} from './recovery/index.ts';
import { buildServer, type Server } from './server/app.ts';
import { migrate, openStore, pendingMigrations, type Store } from './store/index.ts';
import {
  resolveSecretKey,
  SecretBox,
  enqueueInTx,
  WebhookDispatcher,
  webhookRoutes,
  WebhookService,
  webhookDelivery,
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
  engine: EngineService;
  policy: PolicyManager;
  response: ResponseService;
  incidents: IncidentService;
  recovery: RecoveryService;
  app: Server;
  /** Starts background work (outbox drainer, webhook dispatcher, engine consumer). Subscribe to the bus before this to see every event. */
  start(): Promise<void>;
  /** Starts, then listens on config.host:config.port; resolves with the URL. */
  listen(): Promise<string>;
  /** Graceful stop: refuse new work, finish in-flight requests, drain the outbox, close the database. */
  close(): Promise<void>;
}

export interface CreateOptions {
  log?: Logger;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
  /** The engine's content analysis (default: the content service: model, brands, lists, image bank). */
  engineContent?: ContentAnalyzer;
  /** Sends recovery codes to email/phone (overrides recoveryCodeSender; tests pass a capturing one). */
  codeSender?: CodeSender;
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
  const engine: EngineService = new EngineService({
    db: store.db,
    bus,
    log,
    dataDir: config.dataDir,
    snapshotSeconds: config.engineSnapshotSeconds,
    // one adapter from the content part to the engine (the same one the engine's tests use), over the
    // live model (online labels), the reloaded brands and lists, and the image bank
    content:
      opts.engineContent ??
      createContentAnalyzer({
        textModel: content.model,
        url: () => content.urlContext(),
        matchImage: (h) => content.matchImage(h),
      }),
    database: config.database,
    dialect: store.dialect,
    sqliteSynchronous: config.sqliteSynchronous,
    onCommit: () => drainer.poke(),
    gate: (account, now) => response.gate(account, now),
  });

  let policy: PolicyManager;
  try {
    policy = new PolicyManager(config.policyFile, { log, onLoad: (p) => response.recordPolicy(p) });
  } catch (e) {
    engine.close().catch(() => undefined);
    content.close();
    await store.close();
    if (e instanceof PolicyError)
      throw new GatehouseError('POLICY_INVALID', e.message, { extra: { problems: e.problems } });
    throw e;
  }
  const response: ResponseService = new ResponseService({
    db: store.db,
    log,
    identity,
    policy,
    messages: engine.messageLog,
    delivery: webhookDelivery,
    audit: auditSink,
    engine: engine.control,
    grants: [new SessionGrantRevoker(identity)],
    notifier: new LogNotifier(log),
    onCommit: () => {
      drainer.poke();
      dispatcher.poke();
    },
  });
  const incidents = new IncidentService(store.db, {
    massThreshold: config.incidentMassThreshold,
    massWindowMs: config.incidentMassWindowMinutes * 60_000,
    contact: config.incidentContact,
  });
  // Decisions reach the response part and incidents through the bus (at least once; both are idempotent).
  bus.subscribe('decision.made', async (e) => {
    const d = e.decision as DecisionInput & { signals: Array<{ name: string; value: number | string }> };
    await incidents.onDecision(d);
    await response.handle(d);
  });
  bus.subscribe('campaign.detected', async (e) => {
    await incidents.onCampaign(e.campaign as Parameters<IncidentService['onCampaign']>[0]);
  });
  bus.subscribe('action.taken', async (e) => {
    const a = e.action as {
      kind: string;
      mode: string;
      status: string;
      decision: string;
      detail: Record<string, unknown>;
    };
    await incidents.onAction({
      account: e.account ?? '',
      kind: a.kind,
      mode: a.mode,
      status: a.status,
      decision: a.decision,
      at: e.time,
      detail: a.detail,
    });
  });
  let sweeper: NodeJS.Timeout | undefined;
  const codeSender =
    opts.codeSender ??
    (config.recoveryCodeSender === 'development-log' ? new DevelopmentLogSender(log) : undefined);
  const recovery = new RecoveryService(
    store.db,
    {
      identity,
      codeSender,
      log,
      enqueueWebhook: enqueueInTx,
      appendAudit: appendAuditInTx,
      eventLog: engine.eventLog,
      longStandingFriends: longStandingFromEventLog(engine.eventLog, {
        minAgeMs: config.recoveryFriendMinAgeDays * 86_400_000,
      }),
      compromiseFacts: factsFromResponseActions((f) => response.actions(f), {
        compromiseStart: engine.messageLog.compromiseStart,
      }),
      onCommit: () => {
        drainer.poke();
        dispatcher.poke();
      },
    },
    recoveryOptionsFrom(config),
  );

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
  await app.register(identityRoutes, {
    identity,
    keys,
    config,
    // an operator's freeze or unfreeze is the platform's business too (it shows the banner)
    onOperatorStateChange: (tx, c) =>
      webhookDelivery.enqueueInTx(tx, {
        type: c.state === 'frozen' ? 'account.frozen' : 'account.unfrozen',
        account: c.account,
        payload: {
          account: c.account,
          reason: c.reason,
          by: 'operator',
          notice:
            c.state === 'frozen'
              ? localize('operatorFrozen', { reason: c.reason })
              : localize('operatorUnfrozen', {}),
        },
      }),
  });
  dispatcher.registerMetrics(metrics);
  await app.register(webhookRoutes, { webhooks, keys });
  await app.register(auditRoutes, { audit, keys });
  await app.register(contentRoutes, { content, keys });
  await app.register(responseRoutes, { response, policy, identity, keys, config });
  await app.register(incidentRoutes, { incidents, keys });
  await app.register(engineRoutes, { engine, keys, eventsBodyLimit: config.eventsBodyLimit });
  await app.register(recoveryRoutes, { recovery, identity, keys, config });
  await app.ready();

  let started: Promise<void> | undefined;
  const start = () => {
    if (started) return started;
    drainer.start();
    dispatcher.start();
    started = (async () => {
      await engine.start();
      await policy.start();
      await response.restoreEngineState();
      sweeper = setInterval(() => {
        response.sweep().catch((err: unknown) => log.error({ err }, 'response sweep failed'));
      }, 30_000);
      sweeper.unref();
    })();
    return started;
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
    engine,
    policy,
    response,
    incidents,
    recovery,
    app,
    start,
    async listen() {
      await start();
      await app.listen({ host: config.host, port: config.port });
      const a = app.server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      return `http://${host}:${a.port}`;
    },
    async close() {
      if (closing) return;
      closing = true;
      await app.close();
      if (started) await started.catch(() => undefined);
      await engine.close().catch((err: unknown) => log.error({ err }, 'engine close failed'));
      await drainer.stop();
      await drainer.drain();
      if (sweeper) clearInterval(sweeper);
      policy.stop();
      await dispatcher.stop();
      content.close();
      await bus.close();
      await store.close();
    },
  };
}
