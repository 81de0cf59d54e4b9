import type { Core, PartModule, Wiring } from '../core/index.ts';
import { loginQrPrefixes } from './qr/index.ts';
import { contentRoutes } from './routes.ts';
import { ContentService } from './service.ts';

/** Content intelligence: the service holding the model, brands, lists and image bank; its routes. */
export function contentModule(core: Core, w: Wiring): PartModule<{ content: ContentService }> {
  const { config } = core;
  const content = new ContentService({
    dataDir: config.dataDir,
    textModelFile: config.textModelFile,
    brandsFile: config.brandsFile,
    blocklistFile: config.blocklistFile,
    allowlistFile: config.allowlistFile,
    imageBankFile: config.imageBankFile,
    log: core.log,
    db: core.store.db,
    // the platform's QR-login URLs (intent login_qr_shared): configured, else <publicUrl>/qr/
    loginQrUrls: () => loginQrPrefixes(config.loginQrUrls, [config.publicUrl, core.ownUrl()]),
    // processes sharing PostgreSQL learn each other's labels within a second
    followLabelsMs: config.database.kind === 'postgres' ? 1000 : 0,
  });
  w.set('content', content);
  return {
    name: 'content',
    services: { content },
    routes: async (app) => {
      await app.register(contentRoutes, { content, keys: w.get('keys') });
    },
    start: async () => {
      await content.start();
    },
    stop: () => content.close(),
    dispose: () => content.close(),
  };
}
