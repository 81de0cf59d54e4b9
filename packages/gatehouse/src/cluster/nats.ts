/**
 * The scale-out shape's NATS side: one connection per process, the deployment's JetStream stream
 * (subjects partitioned by account, deduplicated by event id) and its lease bucket (key-value, with a
 * TTL: a lease its owner stops renewing lapses).
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log/index.ts';
import { clusterNames, type ClusterNames } from './partition.ts';

export interface ClusterLink {
  nc: NatsConnection;
  js: JetStreamClient;
  leases: KV;
  jsm: JetStreamManager;
  names: ClusterNames;
  partitions: number;
  leaseMs: number;
  close(): Promise<void>;
}

export interface LinkOptions {
  natsUrl: string;
  clusterName: string;
  partitions: number;
  leaseSeconds: number;
  /** The stream's retention (0: everything); undefined leaves an existing stream's as it is. */
  streamMaxAgeHours?: number;
  log: Logger;
}

const NS = 1_000_000;

/** The NATS client, loaded by a scale-out role when it connects (the embedded default never does). */
async function nats() {
  const [js, kv, transport] = await Promise.all([
    import('@nats-io/jetstream'),
    import('@nats-io/kv'),
    import('@nats-io/transport-node'),
  ]);
  return {
    jetstream: js.jetstream,
    jetstreamManager: js.jetstreamManager,
    Kvm: kv.Kvm,
    connect: transport.connect,
  };
}

/** Connects (retrying forever on a lost connection) and makes sure the stream and bucket exist. */
export async function openLink(o: LinkOptions): Promise<ClusterLink> {
  const { connect, jetstream, jetstreamManager, Kvm } = await nats();
  const nc = await connect({
    servers: o.natsUrl.split(','),
    name: `gatehouse-${process.pid}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // no Error (with its stack trace) made ahead of every request and JetStream publish in case it
    // fails: ~2 % of the api's and the dispatcher's CPU on the pre-send check (bench scaleout-check)
    noAsyncTraces: true,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect')
        o.log.warn({ nats: s.type }, 'NATS connection status changed');
    }
  })();
  const names = clusterNames(o.clusterName);
  const jsm = await jetstreamManager(nc);
  const config = {
    name: names.stream,
    // events by partition, and the fingerprint sightings every partition replays from its snapshot
    subjects: [names.eventsAll, names.sightings],
    // a republished row (the relay restarted before recording its position) is dropped by id
    duplicate_window: 10 * 60_000 * NS,
    ...(o.streamMaxAgeHours !== undefined ? { max_age: o.streamMaxAgeHours * 3_600_000 * NS } : {}),
  };
  let info: Awaited<ReturnType<typeof jsm.streams.info>> | undefined;
  try {
    info = await jsm.streams.info(names.stream);
  } catch {
    await jsm.streams.add(config);
  }
  // a stream made before the sightings were on it gets their subject; a changed retention applies
  if (
    info &&
    (!config.subjects.every((x) => info.config.subjects?.includes(x)) ||
      (config.max_age !== undefined && info.config.max_age !== config.max_age))
  )
    await jsm.streams.update(names.stream, {
      ...info.config,
      subjects: config.subjects,
      ...(config.max_age !== undefined ? { max_age: config.max_age } : {}),
    });
  const js = jetstream(nc);
  const leaseMs = o.leaseSeconds * 1000;
  const leases = await new Kvm(js).create(names.bucket, { ttl: leaseMs, history: 1 });
  return {
    nc,
    js,
    leases,
    jsm,
    names,
    partitions: o.partitions,
    leaseMs,
    async close() {
      await nc.drain().catch(() => nc.close());
    },
  };
}

/**
 * The live entries of the lease bucket (key → value), read with one stream-info request for the keys
 * and one get per key. Not `KV.keys()`: its ordered consumer can wait forever when entries expire
 * (the bucket's TTL) between its count and its delivery — a worker's lease round then hung, and with
 * it the worker's stop (CI: the scale-out gate test's start never ended).
 */
export async function leaseEntries(link: ClusterLink, prefix = ''): Promise<Map<string, string>> {
  const stream = `KV_${link.names.bucket}`;
  const head = `$KV.${link.names.bucket}.`;
  const info = await link.jsm.streams.info(stream, { subjects_filter: `${head}${prefix}>` });
  const keys = Object.keys(info.state.subjects ?? {}).map((s) => s.slice(head.length));
  const out = new Map<string, string>();
  await Promise.all(
    keys.map(async (k) => {
      const e = await link.leases.get(k);
      if (e && e.operation === 'PUT') out.set(k, e.string());
    }),
  );
  return out;
}

/** Removes a deployment's stream and bucket (tests, with a name of their own). */
export async function destroyCluster(natsUrl: string, clusterName: string): Promise<void> {
  const { connect, jetstreamManager } = await nats();
  const nc = await connect({ servers: natsUrl.split(',') });
  try {
    const names = clusterNames(clusterName);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(names.stream).catch(() => undefined);
    await jsm.streams.delete(`KV_${names.bucket}`).catch(() => undefined);
  } finally {
    await nc.close();
  }
}
