/**
 * The OAuth benchmark's load generator, run as a second process (like bench/loadgen.ts, whose closed
 * loop it uses for repeatable requests). Single-use requests (codes, rotating refresh tokens) are sent
 * exactly once each, N at a time, and the rate is count / time to send them all. The spec comes in a
 * file (the lists are too long for a command line). It warms up (repeatable requests), prints `ready`, and
 * sends its requests once a line arrives on stdin.
 *
 *   node oauth-load.ts SPEC.json   →   ready, then {"count":…,"statuses":{…},"durationMs":…}
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { runLoad, type LoadSpec } from './loadgen.ts';

export interface OnceSpec {
  url: string;
  requests: Array<{ method: string; path: string; headers?: Record<string, string>; body?: string }>;
  concurrency: number;
}

export async function runOnce(spec: OnceSpec) {
  const pool = new Pool(spec.url, { connections: spec.concurrency, pipelining: 1 });
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (next < spec.requests.length) {
        const r = spec.requests[next++]!;
        try {
          const res = await pool.request({
            method: r.method as 'POST',
            path: r.path,
            headers: r.headers,
            body: r.body,
          });
          await res.body.dump();
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        } catch {
          errors++;
        }
      }
    }),
  );
  const durationMs = performance.now() - start;
  await pool.close();
  return { count: spec.requests.length, errors, statuses, durationMs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as (OnceSpec & { once: true }) | LoadSpec;
  // The server measures its CPU time per request: it starts its clock only once this process is up
  // (starting a process costs the server's process tens of milliseconds: the fork of a large heap) and the
  // warm-up is over (its requests are not counted), when it answers "ready" with a line on stdin.
  if (!('once' in spec) && spec.warmupMs) await runLoad({ ...spec, durationMs: spec.warmupMs, warmupMs: 0 });
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const r = 'once' in spec ? await runOnce(spec) : await runLoad({ ...spec, warmupMs: 0 });
  const { latenciesMs: _, ...out } = r as typeof r & { latenciesMs?: number[] };
  process.stdout.write(JSON.stringify(out));
}
