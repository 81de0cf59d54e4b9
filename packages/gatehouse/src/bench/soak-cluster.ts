/**
 * `gatehouse bench soak-cluster [--minutes M] [--rate R]`: the soak of `bench soak` against the
 * scale-out shape, as real processes on this machine: a dispatcher, an api and two engine workers on
 * PostgreSQL, NATS JetStream and Redis (GATEHOUSE_TEST_PG_URL, GATEHOUSE_TEST_NATS_URL,
 * GATEHOUSE_TEST_REDIS_URL; a schema, stream and bucket of their own, removed after). The events go to
 * the api; the memory sampled is each process's resident set (`/proc/<pid>/status`), per role and in
 * total (`rssMb`, whose slope over the second half is the figure). Beside it, whether the engine
 * workers kept up: `partitionsBehindAtEnd`, the partitions whose latest snapshot did not yet cover their
 * last event in the stream when the load stopped, and `catchUpSeconds`, how long until every one did
 * (at most 120 s; -1 if not: a worker that falls behind shows here, not as memory), with the events
 * their snapshots had applied then and after the wait (rising: slow; flat: stuck). Not part of `bench all`.
 */
import { readFileSync } from 'node:fs';
import { registerBenchmark, type BenchOptions, type Figures } from './index.ts';
import { PARTITIONS, shape, waitFor } from './scaleout.ts';
import { soak } from './soak.ts';
import { lastSeqs, owners, snapshotCoverage } from '../cluster/procs.ts';

const NATS = process.env.GATEHOUSE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const REDIS = process.env.GATEHOUSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Resident set of a process, MB (0 once it has exited). */
function rssMbOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 102.4) / 10 : 0;
  } catch {
    return 0;
  }
}

export async function benchSoakCluster(opts: BenchOptions): Promise<Figures> {
  const s = await shape(2, { GATEHOUSE_REDIS_URL: REDIS });
  try {
    const api = s.procs.find((p) => p.role === 'api')!;
    if (!(await waitFor(async () => (await owners(s.link)).size === PARTITIONS, 30_000)))
      throw new Error('the engine workers did not take every partition in 30 s');
    const memory = () => {
      const row: Record<string, number> = {};
      let total = 0;
      let engine = 0;
      for (const p of s.procs) {
        const rss = rssMbOf(p.child.pid);
        total += rss;
        const name = p.role === 'engine' ? `engine${++engine}` : p.role;
        row[`${name}RssMb`] = rss;
      }
      return { rssMb: Math.round(total * 10) / 10, ...row };
    };
    const figures = await soak({ url: api.url, key: s.key, memory }, opts);
    // per partition: covered when its latest snapshot's position reaches its last event in the stream
    const progress = async () => {
      const last = await lastSeqs(NATS, s.name, PARTITIONS);
      const cov = await snapshotCoverage(s.store.db, PARTITIONS);
      return {
        behind: last.filter((q, p) => q > 0 && (cov[p]?.position ?? 0) < q).length,
        applied: cov.reduce((n, c) => n + (c?.events ?? 0), 0),
      };
    };
    const stopped = Date.now();
    const atEnd = await progress();
    let after = atEnd;
    const caughtUp = await waitFor(async () => (after = await progress()).behind === 0, 120_000);
    return {
      ...figures,
      partitionsBehindAtEnd: atEnd.behind,
      catchUpSeconds: caughtUp ? Math.round((Date.now() - stopped) / 100) / 10 : -1,
      // events the snapshots say the workers applied: still rising while behind is slow, flat is stuck
      eventsAppliedAtEnd: atEnd.applied,
      eventsAppliedAfterWait: after.applied,
    };
  } finally {
    await s.close();
  }
}

registerBenchmark({
  name: 'soak-cluster',
  description:
    'scale-out shape (api, 2 engines, dispatcher; PostgreSQL + NATS + Redis) at --rate events/s for --minutes: RSS per process / 扩展部署长时间负载下的内存',
  inAll: false,
  run: benchSoakCluster,
});
