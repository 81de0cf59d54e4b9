import { z } from 'zod';
import { int, type Setting } from '../config/kit.ts';

/** Settings of the scale-out shape (role, NATS JetStream stream and lease bucket, partitions). */
export const CLUSTER_SETTINGS = {
  role: {
    schema: z.enum(['all', 'api', 'engine', 'dispatcher']),
    default: 'all',
    form: 'all, api, engine or dispatcher',
    doc: 'What this process runs: all (the embedded default, one process), or one role of the scale-out shape (needs PostgreSQL and NATS JetStream; docs/scale-out.md)',
  },
  natsUrl: {
    schema: z
      .string()
      .refine((v) => v === '' || /^(nats|tls):\/\/[^\s]+$/.test(v), 'nats://host:port or empty'),
    default: '',
    form: 'empty or nats://host:port[,nats://…]',
    doc: 'NATS servers (JetStream enabled) of the scale-out shape; required when role is not all',
  },
  clusterName: {
    schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -'),
    default: 'gatehouse',
    form: 'letters, digits, _ and - (1-64)',
    doc: 'Names the JetStream stream (<name>_events), the lease bucket (<name>_leases) and the subjects (<name>.…) of one deployment',
  },
  clusterPartitions: {
    schema: int(1, 4096),
    default: 16,
    form: 'integer 1-4096 (fixed for the life of a deployment)',
    doc: 'Partitions of the event stream: an account belongs to partition fnv1a(account) mod N; each engine worker owns some',
  },
  clusterLeaseSeconds: {
    schema: int(2, 300),
    default: 5,
    form: 'seconds (integer 2-300)',
    doc: 'A partition lease lapses this long after its engine worker stopped renewing it (a dead worker’s partitions are taken over after it)',
  },
  clusterSnapshotSeconds: {
    schema: int(1, 86_400),
    default: 30,
    form: 'seconds (integer)',
    doc: 'How often an engine worker writes each owned partition’s state to PostgreSQL (a takeover replays the stream after it)',
  },
  clusterStreamMaxAgeHours: {
    schema: int(0, 87_600),
    default: 168,
    form: 'hours (integer; 0 keeps everything)',
    doc: 'How long the event stream keeps events and fingerprint sightings (a takeover replays only what follows the partition’s latest snapshot, written every clusterSnapshotSeconds; the events stay in PostgreSQL)',
  },
  clusterCheckTimeoutMs: {
    schema: int(10, 60_000),
    default: 2000,
    form: 'milliseconds (integer)',
    doc: 'How long the api role waits for the owning engine worker to answer a pre-send check',
  },
} as const satisfies Record<string, Setting>;
