/**
 * `gatehouse bench soak [--minutes M] [--rate R]`: the embedded default (one process, SQLite) takes R
 * events/s (default 5,000) through `POST /v1/events` for M minutes (default 10), and its memory is
 * sampled over time: RSS and V8 heap every 10 s (every 5 s in a run under 2 minutes), in the JSON
 * (`series`) and a table. Figures: events offered and acknowledged, events/s acknowledged, RSS and heap
 * at the start of the second half and at the end, and their slope over the second half (MB/min; flat
 * memory is a slope near 0). The events go in batches of rate/100 every 10 ms from a client in the same
 * process (an undici pool; its memory is small and constant), open loop with at most 64 requests in
 * flight: a batch due while 64 are in flight is not sent and counted (`batchesNotSent`), so a server
 * that falls behind shows as a lower acknowledged rate, not as a client queue growing in memory.
 * 10,000 accounts in turn, so after the first seconds every account has its state and growth would be
 * a leak, not new accounts. Not part of `bench all` (it runs for minutes).
 */
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { tempDir } from '../testing/index.ts';
import { registerBenchmark, type BenchOptions, type Figures } from './index.ts';

const ACCOUNTS = 10_000;
const MAX_INFLIGHT = 64;
const TEXTS = ['晚上一起吃饭吗', 'see you at dinner', '明天的会议改到下午三点', 'did you get the files?'];
const client = { kind: 'mobile', name: 'QQ', version: '9.0' };

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** Where a soak sends its events, and how the memory of what it soaks is read. */
export interface SoakTarget {
  url: string;
  key: string;
  /** Memory now, MB: `rssMb` (the total), and any other columns for the series (`heapUsedMb` gives heap figures). */
  memory(): Record<string, number>;
}

export async function benchSoak(opts: BenchOptions): Promise<Figures> {
  const t = tempDir('gatehouse-bench-soak-');
  const config = loadConfig({ env: {}, overrides: { dataDir: t.dir, port: 0, logLevel: 'silent' } });
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  try {
    const url = await gh.listen();
    const { key } = await gh.keys.create('bench soak', ['events:write']);
    const memory = () => {
      const m = process.memoryUsage();
      return {
        rssMb: mb(m.rss),
        heapUsedMb: mb(m.heapUsed),
        heapTotalMb: mb(m.heapTotal),
        externalMb: mb(m.external),
      };
    };
    return await soak({ url, key, memory }, opts);
  } finally {
    await gh.close();
    t.cleanup();
  }
}

/** Sends `--rate` events/s to `target` for `--minutes` and samples its memory (see the top of this file). */
export async function soak(target: SoakTarget, opts: BenchOptions): Promise<Figures> {
  const minutes = opts.minutes ?? 10;
  const rate = opts.rate ?? 5000;
  const { Pool } = await import('undici');
  const pool = new Pool(target.url, { connections: 16, pipelining: 1, keepAliveTimeout: 30_000 });
  try {
    const headers = { authorization: `Bearer ${target.key}`, 'content-type': 'application/json' };
    const perBatch = Math.max(1, Math.round(rate / 100));
    const durationMs = Math.round(minutes * 60_000);
    const sampleMs = minutes < 2 ? 5000 : 10_000;
    opts.log(`soak: ${rate} events/s (${perBatch} per request, 100 requests/s) for ${minutes} min`);
    let seq = 0;
    let offered = 0;
    let acknowledged = 0;
    let refused = 0;
    let notSent = 0;
    const inflight = new Set<Promise<void>>();
    const send = async (n: number) => {
      const t0 = Date.now();
      const events = Array.from({ length: n }, () => {
        const i = seq++;
        return {
          id: `soak-${i}`,
          type: 'message.sent',
          time: t0,
          account: `acc_soak${i % ACCOUNTS}`,
          client,
          recipients: [`acc_soak${(i * 7 + 1) % ACCOUNTS}`],
          text: `${TEXTS[i % TEXTS.length]} ${i % 97}`,
        };
      });
      offered += n;
      try {
        const res = await pool.request({
          method: 'POST',
          path: '/v1/events',
          headers,
          body: JSON.stringify({ events }),
        });
        await res.body.dump();
        if (res.statusCode === 200) acknowledged += n;
        else refused += n;
      } catch {
        refused += n;
      }
    };
    const series: Array<Record<string, number>> = [];
    const start = performance.now();
    let lastAck = 0;
    let lastAt = start;
    const sample = () => {
      const now = performance.now();
      const row = {
        seconds: Math.round((now - start) / 100) / 10,
        ...target.memory(),
        eventsPerSecond: Math.round((acknowledged - lastAck) / ((now - lastAt) / 1000)),
        acknowledged,
      };
      lastAck = acknowledged;
      lastAt = now;
      series.push(row);
      opts.log(`  ${JSON.stringify(row)}`);
    };
    sample();
    const sampler = setInterval(sample, sampleMs);
    let next = start;
    const end = start + durationMs;
    while (next < end) {
      const now = performance.now();
      while (next <= now && next < end) {
        if (inflight.size >= MAX_INFLIGHT) notSent++;
        else {
          const p = send(perBatch).finally(() => inflight.delete(p));
          inflight.add(p);
        }
        next += 10;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(5, next - performance.now()))));
    }
    await Promise.all(inflight);
    clearInterval(sampler);
    sample();
    opts.series?.push(...series);
    const half = series.filter((r) => r.seconds! >= durationMs / 2000);
    const x = half.map((r) => r.seconds! / 60);
    const first = half[0] ?? series[0]!;
    const last = series[series.length - 1]!;
    const perMin = (key: string) =>
      Math.round(
        slope(
          x,
          half.map((r) => r[key]!),
        ) * 100,
      ) / 100;
    const heap: Figures =
      last.heapUsedMb === undefined
        ? {}
        : {
            heapMbSecondHalfStart: first.heapUsedMb!,
            heapMbEnd: last.heapUsedMb,
            heapSlopeMbPerMin: perMin('heapUsedMb'),
          };
    return {
      minutes,
      rateOffered: rate,
      eventsOffered: offered,
      eventsAcknowledged: acknowledged,
      eventsRefused: refused,
      batchesNotSent: notSent,
      eventsPerSecond: Math.round(acknowledged / (durationMs / 1000)),
      rssMbSecondHalfStart: first.rssMb!,
      rssMbEnd: last.rssMb!,
      rssMbMax: Math.max(...series.map((r) => r.rssMb!)),
      rssSlopeMbPerMin: perMin('rssMb'),
      ...heap,
    };
  } finally {
    await pool.close();
  }
}

registerBenchmark({
  name: 'soak',
  description:
    'embedded default at --rate events/s (5,000) for --minutes (10): RSS and heap over time / 长时间负载下的内存',
  inAll: false,
  run: benchSoak,
});
