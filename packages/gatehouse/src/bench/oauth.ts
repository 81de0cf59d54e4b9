import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, registerBenchmark, type BenchOptions, type Figures } from './index.ts';
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { BENCH_REDIRECT, mint } from '../oauth/mint.ts';
import { userinfoStats } from '../oauth/userinfo.ts';
import { tempDir } from '../testing/index.ts';

const LOADER = fileURLToPath(new URL('./oauth-load.ts', import.meta.url));

/**
 * Runs oauth-load.ts in a second process with the spec in a file. The server's CPU time (`cpuUs`) is
 * counted from the moment the generator is up and warmed up to the end of its requests: starting it
 * (a fork of this large process) and its uncounted warm-up requests are not the endpoint's cost.
 */
/**
 * `GATEHOUSE_BENCH_PROF=DIR`: a CPU profile of the server process for each measured window only (not the
 * minting, start-up or warm-up), one `.cpuprofile` per window in DIR.
 */
const PROF_DIR = process.env.GATEHOUSE_BENCH_PROF;
let profSession: Session | undefined;
let profCount = 0;
async function profStart(): Promise<void> {
  if (!PROF_DIR) return;
  profSession ??= new Session();
  profSession.connect();
  await profSession.post('Profiler.enable');
  await profSession.post('Profiler.setSamplingInterval', { interval: 250 });
  await profSession.post('Profiler.start');
}
async function profStop(label: string): Promise<void> {
  if (!PROF_DIR || !profSession) return;
  const { profile } = await profSession.post('Profiler.stop');
  profSession.disconnect();
  writeFileSync(
    join(PROF_DIR, `${String(++profCount).padStart(3, '0')}-${label}.cpuprofile`),
    JSON.stringify(profile),
  );
}

export function load(
  dir: string,
  spec: object,
): Promise<{
  count: number;
  errors: number;
  statuses: Record<string, number>;
  durationMs: number;
  cpuUs: number;
}> {
  const file = join(dir, `load-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', LOADER, file], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    let started: NodeJS.CpuUsage | undefined;
    let used = 0;
    child.stdout.on('data', (d) => {
      out += d;
      if (!started && out.startsWith('ready\n')) {
        out = out.slice('ready\n'.length);
        void profStart().then(() => {
          started = process.cpuUsage();
          child.stdin.end('go\n');
        });
      }
    });
    child.stdout.on('end', () => {
      if (!started) return;
      const u = process.cpuUsage(started);
      used = u.user + u.system;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const first = (spec as { requests: Array<{ path: string; body?: string }> }).requests[0];
      const label = `${first?.path ?? ''}-${/grant_type=(\w+)/.exec(first?.body ?? '')?.[1] ?? ''}`.replace(
        /\W+/g,
        '_',
      );
      void profStop(label).then(() =>
        code === 0 && started
          ? resolve({ ...JSON.parse(out), cpuUs: used })
          : reject(new Error(`load generator exited with ${code}`)),
      );
    });
  });
}

interface Idle {
  /** Process CPU (every thread: the loop, the garbage collector's helpers, the thread pool) per second. */
  cpuMsPerSecond: number;
  /** The event loop's thread alone. */
  mainMsPerSecond: number;
  /** Garbage collection pauses and work reported by V8 (main thread) per second. */
  gcMsPerSecond: number;
}

/** The server process's CPU over 2 s with no request, and how much of it the garbage collector took. */
async function idle(ms = 2000): Promise<Idle> {
  let gc = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc += e.duration;
  });
  obs.observe({ entryTypes: ['gc'] });
  const cpu = process.cpuUsage();
  const main = process.threadCpuUsage();
  const wall = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const c = process.cpuUsage(cpu);
  const m = process.threadCpuUsage(main);
  const sec = (performance.now() - wall) / 1000;
  obs.disconnect();
  return {
    cpuMsPerSecond: (c.user + c.system) / 1000 / sec,
    mainMsPerSecond: (m.user + m.system) / 1000 / sec,
    gcMsPerSecond: gc / sec,
  };
}

const idleLine = (i: Idle) =>
  `${i.cpuMsPerSecond.toFixed(1)} ms per second (event loop thread ${i.mainMsPerSecond.toFixed(1)}, garbage collection ${i.gcMsPerSecond.toFixed(1)})`;

/**
 * Token endpoint (authorization code with PKCE; refresh with rotation) and userinfo requests per second,
 * load from a second process, one server process (one core for the server's JavaScript). SQLite as
 * shipped (WAL, synchronous FULL).
 */
async function run(opts: BenchOptions): Promise<Figures> {
  const t = tempDir('gatehouse-bench-');
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: t.dir,
      port: 0,
      logLevel: 'silent',
      sqliteSynchronous: process.env.BENCH_SYNC ?? 'FULL',
    },
  });
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  try {
    const url = await gh.listen();
    const ctx = { ip: '127.0.0.1', userAgent: 'bench' };
    const acc = await gh.identity.createAccount(
      { handle: 'bench.oauth', password: 'bench password oauth 1' },
      ctx,
    );
    const { app, clientSecret } = await gh.oauth.registry.add({
      name: { en: 'Bench Game', zh: '压测游戏' },
      redirectUris: [BENCH_REDIRECT],
      scopes: ['nickname', 'friend_count', 'offline_access'],
      rateLimitPerMinute: 1_000_000,
    });
    const provider = await gh.oauth.provider();
    const scope = 'openid nickname offline_access';
    const auth = `Basic ${Buffer.from(`${encodeURIComponent(app.id)}:${encodeURIComponent(clientSecret!)}`).toString('base64')}`;
    const headers = { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' };
    const rounds = Math.max(1, Math.round(3 * opts.scale));
    const durationMs = Math.max(1000, Math.round(3000 * opts.scale));
    const supply = Math.max(500, Math.round(2000 * opts.scale));
    // Rates per second of wall time, and per second of the server process's CPU time: the per-core
    // figure, which holds on a shared machine where this process gets only part of a core.
    const codes: number[] = [];
    const refreshes: number[] = [];
    const userinfos: number[] = [];
    const cpu = { codes: [] as number[], refreshes: [] as number[], userinfos: [] as number[] };
    const viaProvider: number[] = [];
    const viaProviderNet: number[] = [];
    const netCpu = { codes: [] as number[], refreshes: [] as number[], userinfos: [] as number[] };
    // Also net of what the server spends with no request (other parts' pollers, measured just before
    // the rounds): on a loaded machine few requests fit in a window and that background work, counted in
    // every window, becomes most of the per-request figure. Reported beside the raw figures, never instead.
    let idleUsPerMs = 0;
    const net = (cpuUs: number, durationMs: number) =>
      Math.max(cpuUs * 0.05, cpuUs - idleUsPerMs * durationMs);
    const timed = async (r: Promise<{ ok: number; durationMs: number; cpuUs: number }>) => {
      const { ok, durationMs, cpuUs } = await r;
      return {
        wall: ok / (durationMs / 1000),
        perCpu: ok / (cpuUs / 1e6),
        perNetCpu: ok / (net(cpuUs, durationMs) / 1e6),
      };
    };
    // single-use bodies: each sent once, rate = all of them / the time they took
    const measure = async (bodies: string[], path: string, extra: Record<string, string> = headers) => {
      const r = await load(t.dir, {
        once: true,
        url,
        concurrency: 16,
        requests: bodies.map((body) => ({ method: 'POST', path, headers: extra, body })),
      });
      const ok = r.statuses['200'] ?? 0;
      if (ok !== r.count)
        throw new Error(`oauth bench ${path}: ${JSON.stringify(r.statuses)} errors ${r.errors}`);
      return { ok, durationMs: r.durationMs, cpuUs: r.cpuUs };
    };
    const repeat = async (path: string, extra: Record<string, string>, method = 'GET') => {
      const r = await load(t.dir, {
        url,
        concurrency: 16,
        durationMs,
        rate: 0,
        warmupMs: 300,
        requests: [{ method, path, headers: extra }],
      });
      const ok = r.statuses['200'] ?? 0;
      if (ok !== r.count || ok === 0)
        throw new Error(`oauth bench ${path}: ${JSON.stringify(r.statuses)} errors ${r.errors}`);
      return { ok, durationMs: r.durationMs, cpuUs: r.cpuUs };
    };
    /**
     * Single-use requests in batches of 250, each batch issued just before it is sent (a code lives 60 s):
     * counts, wall time and server CPU time summed over the batches.
     */
    const batched = async (
      make: (m: Awaited<ReturnType<typeof mint>>) => Promise<string>,
      body: (value: string) => string,
    ) => {
      let ok = 0;
      let wallMs = 0;
      let cpuUs = 0;
      let netUs = 0;
      for (let done = 0; done < supply; done += 250) {
        const m = await mint(provider, { accountId: acc.id, clientId: app.id, scope });
        const values: string[] = [];
        for (let i = 0; i < Math.min(250, supply - done); i++) values.push(await make(m));
        const r = await measure(values.map(body), '/oidc/token');
        ok += r.ok;
        wallMs += r.durationMs;
        cpuUs += r.cpuUs;
        netUs += net(r.cpuUs, r.durationMs);
      }
      return { wall: ok / (wallMs / 1000), perCpu: ok / (cpuUs / 1e6), perNetCpu: ok / (netUs / 1e6) };
    };
    // What the server spends with no request at all (other parts' timers and pollers): on a loaded
    // machine, where few requests fit in a window, it weighs on the per-request figures; reported apart,
    // once after start-up and once after the rounds, with the garbage collector's part (in `bench all` the
    // heap the earlier benchmarks left is collected while this one starts: that is not this server's work).
    const before = await idle();
    idleUsPerMs = before.cpuMsPerSecond;
    opts.log(`  server CPU with no requests, after start: ${idleLine(before)}`);
    const writes = gh.oauth.writes.stats;
    const tokens = gh.oauth.tokens.stats;
    for (let round = 0; round < rounds; round++) {
      const w0 = { ...writes };
      const verifier = randomBytes(32).toString('base64url');
      const c = await batched(
        (m) => m.code(verifier),
        (x) =>
          new URLSearchParams({
            grant_type: 'authorization_code',
            code: x,
            redirect_uri: BENCH_REDIRECT,
            code_verifier: verifier,
          }).toString(),
      );
      codes.push(c.wall);
      cpu.codes.push(c.perCpu);
      netCpu.codes.push(c.perNetCpu);
      const r = await batched(
        (m) => m.refreshToken(),
        (x) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: x }).toString(),
      );
      refreshes.push(r.wall);
      cpu.refreshes.push(r.perCpu);
      netCpu.refreshes.push(r.perNetCpu);
      opts.log(
        `  round ${round + 1}: token endpoint ${writes.writes - w0.writes} provider writes in ${writes.commits - w0.commits} commits (minting included); token cache ${tokens.hits} hits, ${tokens.misses} misses so far`,
      );
      const m = await mint(provider, { accountId: acc.id, clientId: app.id, scope });
      const at = await m.accessToken();
      const s0 = { ...userinfoStats };
      const u = await timed(repeat('/oidc/me', { authorization: `Bearer ${at}` }));
      opts.log(
        `  round ${round + 1}: userinfo fast path served ${userinfoStats.served - s0.served}, handed to the provider ${userinfoStats.handedOn - s0.handedOn}`,
      );
      // the provider's own userinfo route in the same round (a POST never takes the fast path)
      const p = await timed(repeat('/oidc/me', { authorization: `Bearer ${at}` }, 'POST'));
      viaProvider.push(p.perCpu);
      viaProviderNet.push(p.perNetCpu);
      userinfos.push(u.wall);
      cpu.userinfos.push(u.perCpu);
      netCpu.userinfos.push(u.perNetCpu);
      opts.log(
        `  round ${round + 1}/${rounds}: per CPU-second code ${cpu.codes.at(-1)!.toFixed(0)}, refresh ${cpu.refreshes.at(-1)!.toFixed(0)}, userinfo ${cpu.userinfos.at(-1)!.toFixed(0)} (the provider's route ${viaProvider.at(-1)!.toFixed(0)}); wall code ${codes.at(-1)!.toFixed(0)}/s, refresh ${refreshes.at(-1)!.toFixed(0)}/s, userinfo ${userinfos.at(-1)!.toFixed(0)}/s`,
      );
    }
    const after = await idle();
    opts.log(`  server CPU with no requests, after the rounds: ${idleLine(after)}`);
    return {
      tokenAuthorizationCodePerCoreSecond: Math.round(median(cpu.codes)),
      tokenRefreshPerCoreSecond: Math.round(median(cpu.refreshes)),
      userinfoPerCoreSecond: Math.round(median(cpu.userinfos)),
      tokenAuthorizationCodePerCoreSecondNetOfIdle: Math.round(median(netCpu.codes)),
      tokenRefreshPerCoreSecondNetOfIdle: Math.round(median(netCpu.refreshes)),
      userinfoPerCoreSecondNetOfIdle: Math.round(median(netCpu.userinfos)),
      userinfoProviderRoutePerCoreSecond: Math.round(median(viaProvider)),
      userinfoProviderRoutePerCoreSecondNetOfIdle: Math.round(median(viaProviderNet)),
      tokenAuthorizationCodePerSecond: Math.round(median(codes)),
      tokenRefreshPerSecond: Math.round(median(refreshes)),
      userinfoPerSecond: Math.round(median(userinfos)),
      serverIdleCpuMsPerSecond: Math.round(before.cpuMsPerSecond * 10) / 10,
      serverIdleGcMsPerSecond: Math.round(before.gcMsPerSecond * 10) / 10,
      serverIdleCpuMsPerSecondAfterRounds: Math.round(after.cpuMsPerSecond * 10) / 10,
    };
  } finally {
    await gh.close();
    t.cleanup();
  }
}

registerBenchmark({
  name: 'oauth',
  description: 'token endpoint (authorization code + PKCE, refresh with rotation) and userinfo requests/s',
  run,
});
