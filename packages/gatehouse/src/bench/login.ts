import { hash } from '@node-rs/argon2';
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { tempDir } from '../testing/index.ts';
import { loadFromSecondProcess } from './http.ts';
import { median, registerBenchmark, type BenchOptions, type Figures } from './index.ts';

/** Concurrency for both measurements: the libuv thread pool runs the Argon2id work. */
const CONCURRENCY = Number(process.env.UV_THREADPOOL_SIZE ?? 4);

/** The process's CPU time (every thread: the loop and the Argon2id threads), in seconds. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The event loop thread's own CPU time, in seconds. */
function loopSeconds(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1e6;
}

async function rawHashes(
  durationMs: number,
  params: { memoryCost: number; timeCost: number; parallelism: number },
): Promise<{ perSecond: number; perCpuSecond: number }> {
  let n = 0;
  const end = performance.now() + durationMs;
  const start = performance.now();
  const cpu0 = cpuSeconds();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (performance.now() < end) {
        await hash(`benchmark password ${w} ${n}`, params);
        n++;
      }
    }),
  );
  return { perSecond: n / ((performance.now() - start) / 1000), perCpuSecond: n / (cpuSeconds() - cpu0) };
}

/**
 * Password sign-ins per second through the HTTP API (load from a second process) next to raw Argon2id
 * hashes per second with the same parameters and concurrency, measured in alternating rounds of one run.
 *
 * Two comparisons. `overhead` compares wall-clock rates: on a machine whose cores the load generator and
 * other programs share, it also counts their CPU and the scheduler's shares (the raw rounds keep every
 * thread-pool thread busy, a server between requests does not). `cpuOverhead` compares what each costs
 * this process in CPU time (every thread: the loop's HTTP, database and event work and the Argon2id
 * threads; the load generator is another process): sign-ins per CPU-second against hashes per
 * CPU-second, the work a sign-in adds to its Argon2id whatever else the machine runs.
 */
async function run(opts: BenchOptions): Promise<Figures> {
  const t = tempDir('gatehouse-bench-');
  const config = loadConfig({
    overrides: { dataDir: t.dir, port: 0, logLevel: 'silent', loginMaxFailuresPerIp: 100_000 },
  });
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  try {
    const url = await gh.listen();
    const ctx = { ip: '127.0.0.1', userAgent: 'bench' };
    const accounts = 8;
    const agent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0';
    for (let i = 0; i < accounts; i++)
      await gh.identity.createAccount({ handle: `bench.user${i}`, password: `bench password ${i}` }, ctx);
    const signin = await gh.identity.signIn({ handle: 'bench.user0', password: 'bench password 0' }, ctx);
    // returning users: each account signed in once on the device and network the load comes from, and
    // signs in again with that device's token (the common sign-in). Without it every bench sign-in is a
    // new device in a wave of them from one network: the engine challenges each one and the response
    // part records a challenge, a webhook and a notice per sign-in — a barrage's cost, not a sign-in's.
    const deviceTokens: string[] = [];
    for (let i = 0; i < accounts; i++) {
      const first = await gh.identity.signIn(
        { handle: `bench.user${i}`, password: `bench password ${i}` },
        { ip: '127.0.0.1', userAgent: agent },
      );
      deviceTokens.push(first.deviceToken ?? '');
    }
    const params = {
      memoryCost: config.argon2MemoryKib,
      timeCost: config.argon2Iterations,
      parallelism: config.argon2Parallelism,
    };
    const rounds = Math.max(2, Math.round(5 * opts.scale));
    const durationMs = Math.max(1000, Math.round(4000 * opts.scale));
    const logins: number[] = [];
    const raws: number[] = [];
    const loginsCpu: number[] = [];
    const rawsCpu: number[] = [];
    const loopMs: number[] = [];
    const sessions: number[] = [];
    const loginSpec = {
      url,
      concurrency: CONCURRENCY,
      durationMs,
      rate: 0,
      requests: Array.from({ length: accounts }, (_, i) => ({
        method: 'POST',
        path: '/v1/auth/signin',
        headers: { 'content-type': 'application/json', 'user-agent': agent },
        body: JSON.stringify({
          handle: `bench.user${i}`,
          password: `bench password ${i}`,
          deviceToken: deviceTokens[i],
        }),
      })),
    };
    // one unmeasured round first: the sign-in path compiled and the database's pages read, as the raw
    // hashes need neither
    await loadFromSecondProcess({ ...loginSpec, durationMs: Math.round(durationMs / 2) });
    for (let r = 0; r < rounds; r++) {
      const raw = await rawHashes(durationMs, params);
      raws.push(raw.perSecond);
      rawsCpu.push(raw.perCpuSecond);
      const cpu0 = cpuSeconds();
      const loop0 = loopSeconds();
      const l = await loadFromSecondProcess(loginSpec);
      const cpu = cpuSeconds() - cpu0;
      const loop = loopSeconds() - loop0;
      const ok = l.statuses['200'] ?? 0;
      if (ok !== l.count)
        throw new Error(`login bench saw non-200 answers: ${JSON.stringify(l.statuses)} errors ${l.errors}`);
      logins.push(ok / (l.durationMs / 1000));
      // the load generator's start and warm-up are outside its measured time but inside this CPU time
      // (a few idle milliseconds): counted against the sign-ins, never in their favour
      loginsCpu.push(ok / cpu);
      loopMs.push((loop * 1000) / ok);
      const s = await loadFromSecondProcess({
        url,
        concurrency: 16,
        durationMs: Math.round(durationMs / 2),
        rate: 0,
        warmupMs: 200,
        requests: [{ method: 'GET', path: '/v1/me', headers: { authorization: `Bearer ${signin.token}` } }],
      });
      sessions.push((s.statuses['200'] ?? 0) / (s.durationMs / 1000));
      opts.log(
        `  round ${r + 1}/${rounds}: raw ${raws.at(-1)!.toFixed(1)}/s (${rawsCpu.at(-1)!.toFixed(1)}/CPU-s), ` +
          `logins ${logins.at(-1)!.toFixed(1)}/s (${loginsCpu.at(-1)!.toFixed(1)}/CPU-s, loop ${loopMs.at(-1)!.toFixed(2)} ms each), ` +
          `session requests ${sessions.at(-1)!.toFixed(0)}/s`,
      );
    }
    const loginsPerSecond = median(logins);
    const argon2HashesPerSecond = median(raws);
    const loginsPerCpuSecond = median(loginsCpu);
    const argon2HashesPerCpuSecond = median(rawsCpu);
    return {
      loginsPerSecond: round(loginsPerSecond),
      argon2HashesPerSecond: round(argon2HashesPerSecond),
      overhead: round(1 - loginsPerSecond / argon2HashesPerSecond, 3),
      loginsPerCpuSecond: round(loginsPerCpuSecond),
      argon2HashesPerCpuSecond: round(argon2HashesPerCpuSecond),
      cpuOverhead: round(1 - loginsPerCpuSecond / argon2HashesPerCpuSecond, 3),
      loopMsPerLogin: round(median(loopMs), 2),
      sessionRequestsPerSecond: Math.round(median(sessions)),
    };
  } finally {
    await gh.close();
    t.cleanup();
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

registerBenchmark({
  name: 'login',
  description: 'password sign-ins/s over HTTP vs raw Argon2id hashes/s; session requests/s',
  run,
});
