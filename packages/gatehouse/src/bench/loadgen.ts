/**
 * HTTP load generator, run as a second process so the server's CPU is not shared with the client's
 * JavaScript. Closed loop (N workers, each sends the next request when the last answered) or open loop
 * (a fixed request rate; latency is measured from each request's scheduled time, so a stalled server
 * cannot hide its queueing). Prints one JSON line: {count, errors, statuses, durationMs, latenciesMs}.
 *
 *   node loadgen.ts '{"url":"http://127.0.0.1:8080","requests":[{"method":"GET","path":"/healthz"}],
 *                     "concurrency":8,"durationMs":3000,"rate":0}'
 */
import { Pool } from 'undici';

export interface LoadSpec {
  url: string;
  requests: Array<{ method: string; path: string; headers?: Record<string, string>; body?: string }>;
  concurrency: number;
  durationMs: number;
  /** Requests per second for the open loop; 0 for the closed loop. */
  rate: number;
  warmupMs?: number;
}

export interface LoadResult {
  count: number;
  errors: number;
  statuses: Record<string, number>;
  durationMs: number;
  latenciesMs: number[];
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const pool = new Pool(spec.url, { connections: spec.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let i = 0;
  const one = async (measure: boolean, scheduled?: number) => {
    const r = spec.requests[i++ % spec.requests.length]!;
    const t0 = scheduled ?? performance.now();
    try {
      const res = await pool.request({
        method: r.method as 'GET',
        path: r.path,
        headers: r.headers,
        body: r.body,
      });
      await res.body.dump();
      if (measure) {
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        lat.push(performance.now() - t0);
      }
    } catch {
      if (measure) errors++;
    }
  };
  const warmEnd = performance.now() + (spec.warmupMs ?? 0);
  while (performance.now() < warmEnd)
    await Promise.all(Array.from({ length: spec.concurrency }, () => one(false)));
  const start = performance.now();
  const end = start + spec.durationMs;
  if (spec.rate > 0) {
    const interval = 1000 / spec.rate;
    const inflight = new Set<Promise<void>>();
    let next = start;
    while (next < end) {
      const now = performance.now();
      while (next <= now && next < end) {
        const p = one(true, next).finally(() => inflight.delete(p));
        inflight.add(p);
        next += interval;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1, next - performance.now()))));
    }
    await Promise.all(inflight);
  } else {
    await Promise.all(
      Array.from({ length: spec.concurrency }, async () => {
        while (performance.now() < end) await one(true);
      }),
    );
  }
  const durationMs = performance.now() - start;
  await pool.close();
  return { count: lat.length, errors, statuses, durationMs, latenciesMs: lat };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const r = await runLoad(spec);
  process.stdout.write(JSON.stringify(r));
}
