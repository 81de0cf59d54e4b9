/**
 * Load generator for `gatehouse bench check`, run as a second process: an open loop at a fixed rate
 * of POST /v1/check/message with a fresh message id each time (ids repeat nothing, so every request
 * is scored), over keep-alive connections. Latency is measured from each request's scheduled time (the
 * figure). Beside it, to tell where a tail comes from: `lagMs`, how late this process handed each
 * request to the client after its scheduled time (its own timers, GC, or the OS not running it: a
 * second process on the same cores), and `sentMs`, from that hand-over to the answer; `cpuMs`, this
 * process's own CPU time over the measured seconds (on 2 cores it is taken from the server's share).
 * Prints one JSON line: {count, errors, statuses, durationMs, latenciesMs, lagMs, sentMs, cpuMs}.
 */
import { Pool } from 'undici';

export interface CheckLoadSpec {
  url: string;
  apiKey: string;
  rate: number;
  durationMs: number;
  warmupMs: number;
  connections: number;
  accounts: number;
}

const TEXTS = [
  '今天晚上一起吃饭吗',
  '好的，明天见',
  'are we still on for lunch tomorrow',
  '周末去爬山吧，天气不错',
  '澳门首家线上赌场 首充送888 https://bet-888.com/r/1',
  '我在医院，急需用钱，先转我2000',
];

export async function runCheckLoad(spec: CheckLoadSpec) {
  const pool = new Pool(spec.url, { connections: spec.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${spec.apiKey}` };
  const lat: number[] = [];
  const lagMs: number[] = [];
  const sentMs: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let n = 0;
  const one = async (measure: boolean, scheduled: number) => {
    const i = n++;
    const handed = performance.now();
    const a = i % spec.accounts;
    const body = JSON.stringify({
      id: `bench-${process.pid}-${i}`,
      time: Date.now(),
      account: `bench-u${a}`,
      recipients: [`bench-u${(a * 7 + 1) % spec.accounts}`],
      text: TEXTS[i % 97 === 0 ? 4 + (i % 2) : i % 4],
      client: { kind: 'mobile', name: 'QQ', version: '9.0' },
    });
    try {
      const res = await pool.request({ method: 'POST', path: '/v1/check/message', headers, body });
      await res.body.dump();
      if (measure) {
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        const done = performance.now();
        lat.push(done - scheduled);
        lagMs.push(handed - scheduled);
        sentMs.push(done - handed);
      }
    } catch {
      if (measure) errors++;
    }
  };
  const loop = async (durationMs: number, measure: boolean) => {
    const interval = 1000 / spec.rate;
    const start = performance.now();
    const end = start + durationMs;
    const inflight = new Set<Promise<void>>();
    let next = start;
    while (next < end) {
      const now = performance.now();
      while (next <= now && next < end) {
        const p = one(measure, next).finally(() => inflight.delete(p));
        inflight.add(p);
        next += interval;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1, next - performance.now()))));
    }
    await Promise.all(inflight);
    return performance.now() - start;
  };
  await loop(spec.warmupMs, false);
  // the bench (the parent) samples the server over the measured seconds only
  process.send?.('measuring');
  const cpuFrom = process.cpuUsage();
  const durationMs = await loop(spec.durationMs, true);
  const cpu = process.cpuUsage(cpuFrom);
  await pool.close();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { count: lat.length, errors, statuses, durationMs, latenciesMs: lat, lagMs, sentMs, cpuMs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as CheckLoadSpec;
  process.stdout.write(JSON.stringify(await runCheckLoad(spec)));
  process.disconnect?.();
}
