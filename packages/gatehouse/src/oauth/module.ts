import { appendAuditInTx } from '../audit/index.ts';
import type { Core, PartModule, Wiring } from '../core/index.ts';
import { enqueueInTx } from '../webhooks/index.ts';
import { factsFromEventLog, oauthOptionsFrom } from './index.ts';
import { oauthRoutes } from './routes.ts';
import { OAuthService } from './service.ts';

/** Third-party apps: the OpenID Connect provider and the resource API (issuer set once it listens). */
export function oauthModule(core: Core, w: Wiring): PartModule<{ oauth: OAuthService }> {
  const { config, log, store } = core;
  const identity = w.get('identity');
  const oauth: OAuthService = new OAuthService(
    {
      db: store.db,
      box: core.box,
      secretKey: core.secretKey,
      log,
      identity,
      incidents: { recordInTx: (tx, i) => w.get('incidents').recordInTx(tx, i) },
      enqueueWebhook: enqueueInTx,
      appendAudit: appendAuditInTx,
      facts: factsFromEventLog(w.get('engine').eventLog),
      onCommit: () => {
        core.drainer.poke();
        w.get('dispatcher').poke();
      },
      // the access log writes bus events only: the webhook dispatcher has nothing new to look at
      onAccessCommit: () => core.drainer.poke(),
    },
    oauthOptionsFrom(config),
  );
  w.set('oauth', oauth);
  return {
    name: 'oauth',
    services: { oauth },
    routes: async (app) => {
      await app.register(oauthRoutes, {
        oauth,
        identity,
        keys: w.get('keys'),
        config,
        secretKey: core.secretKey,
      });
    },
    start: () => oauth.start(),
    stop: () => oauth.close().catch((err: unknown) => log.error({ err }, 'oauth close failed')),
    listening: (url) => oauth.setIssuer(url),
  };
}
