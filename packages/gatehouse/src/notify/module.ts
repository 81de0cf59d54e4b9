import type { Core, PartModule, Wiring } from '../core/index.ts';
import { newEventId } from '../bus/index.ts';
import { enqueueInTx } from '../webhooks/index.ts';
import { notifyRoutes } from './routes.ts';
import { NotifyService } from './service.ts';

/** Notices to owners: the service (contacts from recovery, "this wasn't me" to the response part), its routes. */
export function notifyModule(core: Core, w: Wiring): PartModule<{ notify: NotifyService }> {
  const { config, log, store } = core;
  const notify = new NotifyService({
    db: store.db,
    config,
    secretKey: core.secretKey,
    log,
    enqueueWebhook: enqueueInTx,
    onWebhookCommit: () => w.get('dispatcher').poke(),
    contacts: async (account) =>
      (await w.get('recovery').channels(account))
        .filter((c) => c.verified)
        .map((c) => ({
          channel: c.kind === 'email' ? ('email' as const) : ('sms' as const),
          address: c.address,
        })),
    handleOf: async (account) =>
      (
        await w
          .get('identity')
          .getAccount(account)
          .catch(() => undefined)
      )?.handle,
    accountByHandle: async (handle) => (await w.get('identity').findByHandle(handle))?.id,
    // the owner's "this wasn't me": contained like an owner's "not me" answer to a challenge
    contain: async ({ account, session, link }) => {
      const why = {
        en: 'the owner said the activity in a notice was not them',
        zh: '号主确认通知中的操作不是本人',
      };
      const steps = await w.get('response').handle({
        id: `owner-denied:${link}`,
        account,
        ...(session ? { session } : {}),
        time: Date.now(),
        action: 'contain',
        risk: 1,
        eventType: 'owner.denied',
        eventId: newEventId(),
        signals: [{ name: 'owner_denied', value: 1, logOdds: 10, reason: why }],
        reasons: [{ signal: 'owner_denied', ...why }],
      });
      return { steps: steps.map((x) => ({ kind: x.kind, status: x.status })) };
    },
    publicUrl: core.publicUrl,
  });
  w.set('notify', notify);
  return {
    name: 'notify',
    services: { notify },
    subscribe: (bus) => notify.subscribe(bus),
    metrics: (registry) => notify.registerMetrics(registry),
    routes: async (app) => {
      await app.register(notifyRoutes, {
        notify,
        identity: w.get('identity'),
        keys: w.get('keys'),
        config,
        publicUrl: core.publicUrl,
      });
    },
    start: () => {
      if (core.runs('notify')) notify.start();
    },
    // notices enqueued while the outbox drained are still committed; in-app ones enqueue webhooks
    stop: () => notify.stop(),
  };
}
