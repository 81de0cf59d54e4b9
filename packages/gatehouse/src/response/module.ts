import { auditSink } from '../audit/index.ts';
import type { Core, PartModule, Wiring } from '../core/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { OAuthGrantRevoker } from '../oauth/index.ts';
import { webhookDelivery } from '../webhooks/index.ts';
import { LogNotifier, SessionGrantRevoker } from './adapters.ts';
import { PolicyManager } from './policy-manager.ts';
import { PolicyError } from './policy.ts';
import { ResponseQueue } from './queue.ts';
import { responseRoutes } from './routes.ts';
import { ResponseService } from './service.ts';

/**
 * The response part: the policy, the service taking actions, and the bounded queue through which
 * decisions reach the service (`decision.made` on the bus); the sweeper of holds and
 * quarantines; its routes.
 */
export function responseModule(
  core: Core,
  w: Wiring,
): PartModule<{ response: ResponseService; policy: PolicyManager; responseQueue: ResponseQueue }> {
  const { config, log, store, drainer } = core;
  let policy: PolicyManager;
  try {
    policy = new PolicyManager(config.policyFile, { log, onLoad: (p) => response.recordPolicy(p) });
  } catch (e) {
    if (e instanceof PolicyError)
      throw new GatehouseError('POLICY_INVALID', e.message, { extra: { problems: e.problems } });
    throw e;
  }
  const identity = w.get('identity');
  const engine = w.get('engine');
  const response: ResponseService = new ResponseService({
    db: store.db,
    log,
    identity,
    policy,
    messages: engine.messageLog,
    delivery: webhookDelivery,
    audit: auditSink,
    engine: engine.control,
    grants: [new SessionGrantRevoker(identity), new OAuthGrantRevoker(w.get('oauth'))],
    notifier: new LogNotifier(log),
    onCommit: () => {
      drainer.poke();
      w.get('dispatcher').poke();
    },
  });
  w.set('response', response);
  // the scale-out shape: throttles reach the engine workers that answer the checks
  core.cluster?.wireThrottles(response.throttles, store.db);
  w.set('policy', policy);
  // Decisions reach the response part through the bus (at least once; handling is idempotent) and a
  // bounded queue: the outbox waits when it is full, the pre-send check never does. (Incidents take
  // them from the bus through their own batched feed: incidents/feed.ts.)
  const responseQueue = new ResponseQueue({
    max: config.responseQueueMax,
    batchMs: config.responseBatchMs,
    log,
    handle: (d) => response.handle(d),
    handleBatch: (ds) => response.handleBatch(ds),
    batchKey: response.batchKey,
  });
  drainer.pendingFrom = () => responseQueue.pendingFrom();
  drainer.settle = () => responseQueue.drain();
  let sweeper: NodeJS.Timeout | undefined;
  return {
    name: 'response',
    services: { response, policy, responseQueue },
    subscribe: (bus) => {
      bus.subscribe('decision.made', async (e, delivery) => {
        await responseQueue.push(e.decision, delivery?.seq);
      });
    },
    // back-pressure: decisions wait for room in the response queue
    check: () => responseQueue.readyCheck(),
    metrics: (registry) => responseQueue.registerMetrics(registry),
    routes: async (app) => {
      await app.register(responseRoutes, {
        response,
        policy,
        identity,
        keys: w.get('keys'),
        config,
        thresholds: engine.engine.thresholds,
      });
    },
    start: async () => {
      await policy.start();
      if (!core.runs('sweeper')) return;
      await response.restoreEngineState();
      sweeper = setInterval(() => {
        response.sweep().catch((err: unknown) => log.error({ err }, 'response sweep failed'));
      }, 30_000);
      sweeper.unref();
    },
    stop: () => {
      if (sweeper) clearInterval(sweeper);
      policy.stop();
    },
  };
}
