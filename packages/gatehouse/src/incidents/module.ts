import type { Core, PartModule, Wiring } from '../core/index.ts';
import { IncidentFeed } from './feed.ts';
import { incidentRoutes } from './routes.ts';
import { IncidentService } from './service.ts';

/** The incident feed's window as a multiple of `responseBatchMs`. */
const INCIDENT_WINDOW_FACTOR = 5;

/**
 * Incidents: campaigns, decisions and actions from the bus, gathered per window and written in one
 * transaction per batch (feed.ts), bounded: a full feed makes the outbox wait and /readyz say so.
 */
export function incidentsModule(core: Core, w: Wiring): PartModule<{ incidents: IncidentService }> {
  const { config, drainer, log } = core;
  const incidents = new IncidentService(core.store.db, {
    massThreshold: config.incidentMassThreshold,
    massWindowMs: config.incidentMassWindowMinutes * 60_000,
    contact: config.incidentContact,
  });
  const feed = new IncidentFeed(incidents, {
    // bookkeeping, read by operators: a longer window than the response's (200 ms → 1 s), so a mass
    // incident costs a few batches a second on the event loop the pre-send check shares, not one per
    // response window (0 still writes at once)
    windowMs: config.responseBatchMs * INCIDENT_WINDOW_FACTOR,
    max: config.responseQueueMax,
    log,
  });
  w.set('incidents', incidents);
  return {
    name: 'incidents',
    services: { incidents },
    subscribe: (bus) => {
      feed.subscribe(bus);
      // the drainer records as published only what the feed has written too, and settles it
      const pending = drainer.pendingFrom;
      const settle = drainer.settle;
      drainer.pendingFrom = () => feed.pendingFrom(pending?.());
      drainer.settle = async () => {
        await settle?.();
        await feed.drain();
      };
    },
    ready: () => !feed.backedUp,
    metrics: (registry) => feed.registerMetrics(registry),
    routes: async (app) => {
      await app.register(incidentRoutes, { incidents, keys: w.get('keys') });
    },
  };
}
