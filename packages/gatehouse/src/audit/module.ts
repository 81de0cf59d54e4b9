import type { Core, PartModule, Wiring } from '../core/index.ts';
import { AnchorSchedule, anchorKey } from './anchor.ts';
import { auditRoutes } from './routes.ts';
import { AuditService } from './index.ts';

/** The audit log: the service, its routes, and the signed head exported on a schedule when configured. */
export function auditModule(core: Core, w: Wiring): PartModule<{ audit: AuditService }> {
  const { config } = core;
  const audit = w.set('audit', new AuditService(core.store.db));
  // the signed audit head, exported where the database's writers cannot rewrite it
  const anchors = config.auditAnchorFile
    ? new AnchorSchedule(audit, {
        file: config.auditAnchorFile,
        key: anchorKey(config),
        intervalMs: config.auditAnchorIntervalSeconds * 1000,
        log: core.log,
      })
    : undefined;
  return {
    name: 'audit',
    services: { audit },
    routes: async (app) => {
      await app.register(auditRoutes, { audit, keys: w.get('keys') });
    },
    start: async () => {
      if (core.runs('anchors')) await anchors?.start();
    },
    stop: async () => {
      await anchors?.stop();
    },
  };
}
