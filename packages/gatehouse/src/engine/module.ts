import type { Core, PartModule, Wiring } from '../core/index.ts';
import { readAttachmentImages } from '../content/qr/index.ts';
import { rehearses } from '../response/index.ts';
import { createContentAnalyzer } from './content.ts';
import { KnownAccounts } from './known-accounts.ts';
import { engineRoutes } from './routes.ts';
import { EngineService } from './service.ts';
import type { ContentAnalyzer } from './types.ts';

/**
 * The detection engine: the service (event log, consumer, pre-send check, snapshots) over the content
 * part's analysis; the response part's holds and identity's probation gate the check; its routes.
 */
export function engineModule(
  core: Core,
  w: Wiring,
  opts: { content?: ContentAnalyzer } = {},
): PartModule<{ engine: EngineService }> {
  const { config, log, store } = core;
  const content = w.get('content');
  const engine: EngineService = new EngineService({
    db: store.db,
    bus: core.bus,
    log,
    dataDir: config.dataDir,
    snapshotSeconds: config.engineSnapshotSeconds,
    // one adapter from the content part to the engine (the same one the engine's tests use), over the
    // live model (online labels), the reloaded brands and lists, and the image bank
    content:
      opts.content ??
      createContentAnalyzer({
        textModel: content.model,
        url: () => content.urlContext(),
        matchImage: (h) => content.matchImage(h),
        linksAcrossMessages: (s, c, t, at) => content.linksAcrossMessages(s, c, t, at),
        loginQr: content.loginQr,
      }),
    database: config.database,
    dialect: store.dialect,
    sqliteSynchronous: config.sqliteSynchronous,
    onCommit: () => core.drainer.poke(),
    // the response part's holds (asked when the engine allows); a probation session's messages outside
    // the close circle (asked always, so its reason is reported beside the engine's)
    gate: (account, now) => w.get('response').gate(account, now),
    // a verdict the policy only rehearses (dry-run) lets the message go (the answer names it)
    rehearses: (d) => rehearses(w.get('policy').current, d),
    // (friends as the engine scoring the check knows them: an engine worker's partition, not this
    // service's own engine, which an engine worker does not feed)
    restrict: (_a, now, ev, scoring) =>
      w.get('identity').probation.gate(ev, now, (a, other) => scoring.isFriend(a, other)),
    // user reports feed the content part's review queue (issue 14 item 8); learning waits for an operator
    onReport: (ev) =>
      void content
        .receiveReport({
          messageId: ev.messageId,
          reporter: ev.account,
          sender: ev.sender,
          reason: ev.reason,
          at: ev.time,
        })
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'content report not recorded')),
  });
  w.set('engine', engine);
  // a scale-out role's engine appends to the log; workers own the partitions (cluster/)
  core.cluster?.wireEngine(engine);
  core.cluster?.wireProbation(w.get('identity').probation, store.db);
  // events and checks naming an account id Gatehouse never gave out are accepted with a warning
  const knownAccounts = new KnownAccounts({ lookup: (ids) => w.get('identity').existingIds(ids) });
  return {
    name: 'engine',
    services: { engine },
    metrics: (registry) => knownAccounts.registerMetrics(registry),
    routes: async (app) => {
      await app.register(engineRoutes, {
        engine,
        keys: w.get('keys'),
        eventsBodyLimit: config.eventsBodyLimit,
        accounts: knownAccounts,
        // images in attachments[].data: QR text kept (a platform login code cut to its prefix), bytes dropped
        readImages: (items) => readAttachmentImages(items, { redact: (t) => content.loginQr.redact(t) }),
      });
    },
    start: () => engine.start(),
    stop: () => engine.close().catch((err: unknown) => log.error({ err }, 'engine close failed')),
    dispose: () => void engine.close().catch(() => undefined),
  };
}
