import { hash } from '@node-rs/argon2';
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { tempDir } from '../testing/index.ts';
import { loadFromSecondProcess } from './http.ts';
import { median, registerBenchmark, type BenchOptions, type Figures } from './index.ts';

/** Concurrency for both measurements: the libuv thread pool runs the Argon2id work. */
const CONCURRENCY = Number(process.env.UV_THREADPOOL_SIZE ?? 4);

async function rawHashesPerSecond(
  durationMs: number,
  params: { memoryCost: number; timeCost: number; parallelism: number },
): Promise<number> {
  let n = 0;
  const end = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (performance.now() < end) {
        await hash(`benchmark password ${w} ${n}`, params);
        n++;
      }
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

/**
 * Password sign-ins per second through the HTTP API (load from a second process) next to raw Argon2id
 * hashes per second with the same parameters and concurrency, measured in alternating rounds of one run.
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
    for (let i = 0; i < accounts; i++)
      await gh.identity.createAccount({ handle: `bench.user${i}`, password: `bench password ${i}` }, ctx);
    const signin = await gh.identity.signIn({ handle: 'bench.user0', password: 'bench password 0' }, ctx);
    const params = {
      memoryCost: config.argon2MemoryKib,
      timeCost: config.argon2Iterations,
      parallelism: config.argon2Parallelism,
    };
    const rounds = Math.max(2, Math.round(5 * opts.scale));
    const durationMs = Math.max(1000, Math.round(4000 * opts.scale));
    const logins: number[] = [];
    const raws: number[] = [];
    const sessions: number[] = [];
    const loginSpec = {
      url,
      concurrency: CONCURRENCY,
      durationMs,
      rate: 0,
      requests: Array.from({ length: accounts }, (_, i) => ({
        method: 'POST',
        path: '/v1/auth/signin',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0',
        },
        body: JSON.stringify({ handle: `bench.user${i}`, password: `bench password ${i}` }),
      })),
    };
    for (let r = 0; r < rounds; r++) {
      raws.push(await rawHashesPerSecond(durationMs, params));
      const l = await loadFromSecondProcess(loginSpec);
      const ok = l.statuses['200'] ?? 0;
      if (ok !== l.count)
        throw new Error(`login bench saw non-200 answers: ${JSON.stringify(l.statuses)} errors ${l.errors}`);
      logins.push(ok / (l.durationMs / 1000));
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
        `  round ${r + 1}/${rounds}: raw ${raws.at(-1)!.toFixed(1)}/s, logins ${logins.at(-1)!.toFixed(1)}/s, session requests ${sessions.at(-1)!.toFixed(0)}/s`,
      );
    }
    const loginsPerSecond = median(logins);
    const argon2HashesPerSecond = median(raws);
    return {
      loginsPerSecond: round(loginsPerSecond),
      argon2HashesPerSecond: round(argon2HashesPerSecond),
      overhead: round(1 - loginsPerSecond / argon2HashesPerSecond, 3),
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
