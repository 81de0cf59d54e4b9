import type { Core, PartModule, Wiring } from '../core/index.ts';
import { WebhookDispatcher } from './dispatcher.ts';
import { webhookRoutes } from './routes.ts';
import { WebhookService } from './index.ts';

/** Signed webhooks to the platform: the dispatcher, the endpoints' service, their routes. */
export function webhooksModule(
  core: Core,
  w: Wiring,
): PartModule<{ webhooks: WebhookService; dispatcher: WebhookDispatcher }> {
  const { config, store, box } = core;
  const targets = { allowHttp: config.webhookAllowHttp, allowLoopback: config.webhookAllowLoopback };
  const dispatcher = new WebhookDispatcher(store.db, box, {
    concurrency: config.webhookConcurrency,
    timeoutMs: config.webhookTimeoutMs,
    retryBaseMs: config.webhookRetryBaseMs,
    retryCapMs: config.webhookRetryCapMs,
    maxAttempts: config.webhookMaxAttempts,
    maxAgeMs: config.webhookMaxAgeHours * 3_600_000,
    pollMs: config.webhookPollMs,
    retentionMs: config.webhookRetentionDays * 86_400_000,
    targets,
    log: core.log,
  });
  w.set('dispatcher', dispatcher);
  const webhooks = new WebhookService(store.db, box, {
    secretOverlapMs: config.webhookSecretOverlapHours * 3_600_000,
    targets,
    onCommit: () => dispatcher.poke(),
  });
  webhooks.dispatcher = dispatcher;
  return {
    name: 'webhooks',
    services: { webhooks, dispatcher },
    metrics: (registry) => dispatcher.registerMetrics(registry),
    routes: async (app) => {
      await app.register(webhookRoutes, { webhooks, keys: w.get('keys') });
    },
    start: () => {
      if (core.runs('webhooks')) dispatcher.start();
    },
    stop: () => dispatcher.stop(),
  };
}
