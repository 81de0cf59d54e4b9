import type { Core, PartModule, Wiring } from '../core/index.ts';
import type { Cluster } from './index.ts';

/**
 * The scale-out role's own work (docs/scale-out.md): the relay, the engine worker and its leases,
 * started after the shared parts and stopped before the engine. Nothing for the embedded default.
 */
export function clusterModule(core: Core, w: Wiring): PartModule<{ cluster: Cluster | undefined }> {
  const { cluster } = core;
  return {
    name: 'cluster',
    services: { cluster },
    start: async () => {
      await cluster?.start(core.store.db, w.get('engine'), () => core.drainer.poke());
    },
    // /readyz: NATS answers a round trip (a lost connection throws or times out: not ready)
    ...(cluster ? { check: async () => ({ ok: true, nats: 'up', rttMs: await cluster.link.nc.rtt() }) } : {}),
    stop: async () => {
      await cluster?.stop().catch((err: unknown) => core.log.error({ err }, 'scale-out role stop failed'));
    },
  };
}
