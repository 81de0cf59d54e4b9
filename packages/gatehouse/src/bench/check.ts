/**
 * `gatehouse bench check`: the pre-send check over HTTP at a fixed 5,000 requests/s (`--rate` for
 * another) from a second process on loopback (keep-alive). Figures: requestsPerSecond (answered), p50Ms,
 * p99Ms. Goal: p99 ≤ 2 ms at 5,000/s.
 * 20,000 accounts (the platform's own: seeded as accounts Gatehouse gave out) send in turn; a warm-up at
 * the same rate (5 s, longer when the rate is too low to name every account in it) first creates their
 * state, so the figures are for the steady state (an account checked for the first time allocates its
 * profile and is looked up once).
 *
 * Beside them, where a tail comes from, over the measured seconds only: the server process's
 * event-loop delay (p99, max) and its garbage-collection pauses (longest, total), the load generator's
 * lateness and the time from its hand-over to the answer, and the machine's load average (the figures
 * are only comparable on a quiet machine: on 2 cores every other busy process takes the server's turn).
 * `serverCpuMsPerCheck` is the server process's CPU time (all its threads, user + system) over the
 * measured seconds divided by the checks answered: what a check costs, the figure that load on the
 * machine disturbs least (the load generator runs in its own process and is not in it).
 * `serverMainThreadCpuMsPerCheck` is the event loop's share of it (the rest is the check-log worker), and
 * `serverHeapBytesPerCheck` the main thread's JavaScript heap allocated per check (the garbage its
 * young-generation collections sweep).
 *
 * `GATEHOUSE_BENCH_PROF=DIR`: a CPU profile of the server process over the measured seconds only (not
 * the start-up, seeding or warm-up), written to DIR/check-<rate>.cpuprofile; with
 * `GATEHOUSE_BENCH_HEAP_PROF=1` also where its heap was allocated (sampled, garbage included), in
 * DIR/check-<rate>.heapprofile.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { registerBenchmark, percentile, type BenchOptions, type Figures } from './index.ts';
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { tempDir } from '../testing/index.ts';
import type { CheckLoadSpec } from './check-load.ts';

const LOADGEN = fileURLToPath(new URL('./check-load.ts', import.meta.url));
const ACCOUNTS = 20_000;

/**
 * The senders are the platform's own accounts: ids Gatehouse gave out, written straight into the table
 * (no password can sign them in). An id Gatehouse never issued costs the check a lookup every
 * ten seconds and a warning in every answer: that misuse path is not the goal's figure.
 */
async function seedAccounts(gh: Awaited<ReturnType<typeof createGatehouse>>, n: number): Promise<void> {
  const t = Date.now();
  for (let i = 0; i < n; i += 500) {
    const rows = [];
    for (let a = i; a < Math.min(n, i + 500); a++) {
      const id = `bench-u${a}`;
      rows.push({
        id,
        handle: id,
        handle_key: id,
        display_name: `u${a}`,
        password_hash: '!',
        state: 'active' as const,
        created_at: t,
        updated_at: t,
      });
    }
    await gh.store.db.insertInto('accounts').values(rows).execute();
  }
}

interface LoadResult {
  count: number;
  errors: number;
  statuses: Record<string, number>;
  durationMs: number;
  latenciesMs: number[];
  /** Per request: how late the load generator handed it to its client; and from then to the answer. */
  lagMs?: number[];
  sentMs?: number[];
  /** The load generator's CPU time over the measured seconds. */
  cpuMs?: number;
}

/** Runs the load generator; `onMeasuring` is called when its warm-up ends and the measured seconds begin. */
export function load(spec: CheckLoadSpec, onMeasuring?: () => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', LOADGEN, JSON.stringify(spec)],
      {
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      },
    );
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('message', (m) => {
      if (m === 'measuring') onMeasuring?.();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`check load generator exited with ${code}`));
      try {
        resolve(JSON.parse(out) as LoadResult);
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Cumulative counts by bucket upper bound (ms) of the check route's server-side latency. */
export async function serverHistogram(url: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (
      !line.startsWith('gatehouse_http_request_duration_seconds_bucket') ||
      !line.includes('/v1/check/message')
    )
      continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const n = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le) out.set(le === '+Inf' ? Infinity : Number(le) * 1000, n);
  }
  return out;
}

export function bucketPercentile(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const les = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const le of les) if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= p * total) return le;
  return Infinity;
}

export async function benchCheck(opts: BenchOptions): Promise<Figures> {
  const t = tempDir('gatehouse-bench-check-');
  const config = loadConfig({
    env: {},
    overrides: { dataDir: t.dir, port: 0, logLevel: 'silent', engineSnapshotSeconds: 0 },
  });
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  try {
    const url = await gh.listen();
    const { key } = await gh.keys.create('bench check', ['events:write']);
    await seedAccounts(gh, ACCOUNTS);
    const rate = opts.rate ?? 5000;
    // the goal's figure is at 32 keep-alive connections; GH_BENCH_CONNECTIONS asks whether a tail is the
    // client's pool queueing behind a server pause (a platform's fleet of app servers opens more)
    const connections = Number(process.env.GH_BENCH_CONNECTIONS ?? 32) || 32;
    const durationMs = Math.max(2000, Math.round(10_000 * opts.scale));
    opts.log(
      `check: ${rate} req/s for ${durationMs / 1000} s from a second process (${connections} connections)`,
    );
    const before = await serverHistogram(url);
    const probe = new ProcessProbe();
    const prof = new MeasuredProfile(process.env.GATEHOUSE_BENCH_PROF, `check-${rate}`);
    const r = await load(
      {
        url,
        apiKey: key,
        rate,
        durationMs,
        // every account checked at least once before the measured seconds, whatever the rate (at 3,000/s
        // five seconds named 15,000 of the 20,000: the rest cost their first lookup inside the figures)
        warmupMs: Math.max(5000, Math.ceil(((ACCOUNTS * 1.1) / rate) * 1000)),
        connections,
        accounts: ACCOUNTS,
      },
      () => {
        probe.start();
        void prof.start();
      },
    ).finally(() => probe.stop());
    await prof.stop();
    const cpu = probe.cpu();
    const after = await serverHistogram(url);
    const ok = r.statuses['200'] ?? 0;
    if (ok !== r.count) opts.log(`  non-200 answers: ${JSON.stringify(r.statuses)} errors ${r.errors}`);
    const figures = {
      requestsPerSecond: Math.round(ok / (r.durationMs / 1000)),
      p50Ms: Math.round(percentile(r.latenciesMs, 50) * 1000) / 1000,
      p99Ms: Math.round(percentile(r.latenciesMs, 99) * 1000) / 1000,
      /** Server-side p99 (Fastify's own timing, from /metrics): the upper bound of its histogram bucket. */
      serverP99BucketMs: bucketPercentile(before, after, 0.99),
      serverCpuMsPerCheck: Math.round((cpu / Math.max(1, r.count)) * 10_000) / 10_000,
      serverMainThreadCpuMsPerCheck: Math.round((probe.mainCpu() / Math.max(1, r.count)) * 10_000) / 10_000,
      serverHeapBytesPerCheck: Math.round(probe.allocated() / Math.max(1, r.count)),
      ...(r.cpuMs === undefined
        ? {}
        : { loadgenCpuMsPerCheck: Math.round((r.cpuMs / Math.max(1, r.count)) * 10_000) / 10_000 }),
      ...loadgenSplit(r),
      ...probe.figures(),
      connections,
      loadAverage1m: Math.round(loadavg()[0]! * 10) / 10,
    };
    opts.log(`  ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await gh.close();
    t.cleanup();
  }
}

registerBenchmark({
  name: 'check',
  description:
    'pre-send check over HTTP at 5,000 req/s (--rate) from a second process: p50/p99, CPU per check / 发送前检查延迟',
  run: benchCheck,
});

/**
 * Where the client's tail comes from: the load generator's own lateness (p99 of how late it handed
 * requests to its client) and the time from hand-over to answer (p99). The figure stays p99Ms.
 */
export function loadgenSplit(r: LoadResult): { loadgenLagP99Ms?: number; sentToAnswerP99Ms?: number } {
  if (!r.lagMs?.length || !r.sentMs?.length) return {};
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    loadgenLagP99Ms: r3(percentile(r.lagMs, 99)),
    sentToAnswerP99Ms: r3(percentile(r.sentMs, 99)),
  };
}

/** A CPU profile of this process between start() and stop(), when a directory is given (else nothing). */
class MeasuredProfile {
  private session: Session | undefined;
  private started: Promise<unknown> | undefined;
  private readonly dir: string | undefined;
  private readonly label: string;
  constructor(dir: string | undefined, label: string) {
    this.dir = dir;
    this.label = label;
  }

  start(): Promise<unknown> | undefined {
    if (!this.dir) return undefined;
    const s = (this.session = new Session());
    s.connect();
    this.started = s
      .post('Profiler.enable')
      .then(() => s.post('Profiler.setSamplingInterval', { interval: 100 }))
      .then(() => s.post('Profiler.start'))
      .then(() =>
        process.env.GATEHOUSE_BENCH_HEAP_PROF
          ? s.post('HeapProfiler.startSampling', {
              samplingInterval: 4096,
              includeObjectsCollectedByMajorGC: true,
              includeObjectsCollectedByMinorGC: true,
            })
          : undefined,
      );
    return this.started;
  }

  async stop(): Promise<void> {
    if (!this.dir || !this.session) return;
    await this.started;
    const { profile } = await this.session.post('Profiler.stop');
    const heap = process.env.GATEHOUSE_BENCH_HEAP_PROF
      ? (await this.session.post('HeapProfiler.stopSampling')).profile
      : undefined;
    this.session.disconnect();
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, `${this.label}.cpuprofile`), JSON.stringify(profile));
    if (heap) writeFileSync(join(this.dir, `${this.label}.heapprofile`), JSON.stringify(heap));
  }
}

/**
 * This process's event-loop delay and garbage-collection pauses between start() and stop() (the
 * server's, in the embedded default the bench runs in-process). A GC pause is a stop of the event
 * loop; a delay beyond the longest pause is other work on the loop (or the OS not running it).
 */
export class ProcessProbe {
  private readonly delay = monitorEventLoopDelay({ resolution: 1 });
  private readonly gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.gcMs += e.duration;
      this.gcMaxMs = Math.max(this.gcMaxMs, e.duration);
      if (e.duration > 2) this.gcOver2Ms++;
    }
  });
  private gcMs = 0;
  private gcMaxMs = 0;
  private gcOver2Ms = 0;
  private running = false;
  private cpuFrom: NodeJS.CpuUsage | undefined;
  private cpuMs = 0;
  private mainFrom: NodeJS.CpuUsage | undefined;
  private mainMs = 0;
  private gcProfiler: GCProfiler | undefined;
  private heapFrom = 0;
  private allocatedBytes = 0;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.cpuFrom = process.cpuUsage();
    this.mainFrom = process.threadCpuUsage();
    this.heapFrom = getHeapStatistics().used_heap_size;
    this.gcProfiler = new GCProfiler();
    this.gcProfiler.start();
    this.delay.enable();
    this.gc.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    const c = process.cpuUsage(this.cpuFrom);
    this.cpuMs = (c.user + c.system) / 1000;
    const m = process.threadCpuUsage(this.mainFrom);
    this.mainMs = (m.user + m.system) / 1000;
    // allocated = what each collection found in use before it, less what the previous one left
    let from = this.heapFrom;
    let bytes = 0;
    for (const g of this.gcProfiler?.stop()?.statistics ?? []) {
      bytes += Math.max(0, g.beforeGC.heapStatistics.usedHeapSize - from);
      from = g.afterGC.heapStatistics.usedHeapSize;
    }
    this.allocatedBytes = bytes + Math.max(0, getHeapStatistics().used_heap_size - from);
    this.delay.disable();
    this.gc.disconnect();
  }

  /** This process's CPU time (ms, every thread) between start() and stop(). */
  cpu(): number {
    return this.cpuMs;
  }

  /** The main thread's CPU time (ms) between start() and stop(). */
  mainCpu(): number {
    return this.mainMs;
  }

  /** Bytes the main thread's JavaScript heap allocated between start() and stop(). */
  allocated(): number {
    return this.allocatedBytes;
  }

  figures(): Record<string, number> {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    return {
      serverLoopDelayP99Ms: ms(this.delay.percentile(99)),
      serverLoopDelayMaxMs: ms(this.delay.max),
      serverGcPauseMaxMs: Math.round(this.gcMaxMs * 100) / 100,
      serverGcPauseTotalMs: Math.round(this.gcMs),
      serverGcPausesOver2Ms: this.gcOver2Ms,
    };
  }
}
