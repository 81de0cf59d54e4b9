#!/usr/bin/env node
// Runs every *.test.ts beside the code with Node's own test runner (type stripping, no build).
// GATEHOUSE_REQUIRE_SERVICES=1 (set by .ci/run) turns "server absent: skipped" into a failure.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runFiles } from './test/run.js';
// the one place that names the Chromium and its flags (Node >= 22.18 strips the types)
import { CHROMIUM, CHROMIUM_ARGS } from '../packages/gatehouse/src/testing/browser.ts';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `Gatehouse needs Node.js >= 22 (this is ${process.version}). Run: npm test (or node scripts/node.js scripts/test.js)`,
  );
  process.exit(1);
}
const filters = process.argv.slice(2);
/**
 * Files that take far longer than the rest (whole simulated societies, browsers, end-to-end flows): the
 * order of a first run; later runs order by the wall times the last run recorded (below).
 */
const SLOW = [
  // longest first, as a full run measured them (wall times on a machine loaded ~35 on 2 cores, December
  // 2026: `npm test` with GATEHOUSE_TEST_TIMES=1; the order is what counts, not the figures)
  // a child process killed with its queue full, then a restart, on both databases
  /response\/queue-crash\.test/,
  // the scam model retrained from the datasets
  /text\/scam\/scam\.test/,
  /oauth\/suspend-race\.test/,
  // real processes (a dispatcher, engine workers, an api) on NATS and PostgreSQL: killed, restarted
  /cluster\/(gates|restarts|faults)\.test/,
  // notices over SMTP, retries, bursts: on both databases
  /notify\/smtp\.test/,
  /recovery\/signin-factors\.test/,
  /sim\/sim\.test/,
  /oauth\/(flows|account-cache|token-cache|killswitch)\.test/,
  // the PostgreSQL copies of slow suites take about twice as long as their SQLite runs
  /server\/http\.postgres\.test/,
  /recovery\/appeal-cooldown\.postgres\.test/,
  /server\/http\.test/,
  /e2e\//,
  /sim\/(demo|chat-platform)\.test/,
  /recovery\/(attacks|e2e|http)\.postgres\.test/,
  /bus\/dispatchers\.test/,
  /minimal-platform\/src\/platform\.test/,
  /ratelimit\/shared\.test/,
  /cli\/cli\.test/,
  /\.browser\.test/,
  /bus\/outbox\.test/,
  /chat\/src\/(browser|hijack)\.test/,
  /engine\/(http|long-text)\.test/,
  /recovery\/(e2e|attacks|concurrency)\.test/,
  /store\/(store|append-order)\.test/,
];
/**
 * Files that get a process of their own instead of sharing one (scripts/test/run.js): they change
 * process-wide state that the next file in the same process would inherit.
 */
const ISOLATED = [
  // one TCP socket of the demo stays open over 30 s after demo.close() when the file runs alone (not
  // yet understood; in a full run it closed in time)
  /sim\/demo\.test/,
];
const slowness = (f) => {
  const i = SLOW.findIndex((re) => re.test(f));
  return i < 0 ? 0 : SLOW.length - i;
};
// Each run records every file's wall time here (scripts/test/run.js); the next run starts the longest
// first, so that the workers finish together (longest-first scheduling). A file the record does not
// know (new, or a first run) counts as long when SLOW names it.
// Kept outside node_modules (which `npm ci` deletes, so CI always fell back to SLOW), one per checkout.
const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'gatehouse');
const checkout = createHash('sha256').update(process.cwd()).digest('hex').slice(0, 12);
const timesFile = join(cacheDir, `test-times-${checkout}.json`);
let recorded = {};
// (node_modules/.cache/gatehouse-test-times.json: where a checkout's earlier runs kept them)
for (const f of [timesFile, join(process.cwd(), 'node_modules', '.cache', 'gatehouse-test-times.json')])
  try {
    recorded = JSON.parse(readFileSync(f, 'utf8'));
    break;
  } catch {
    // a first run: SLOW alone orders it
  }
const expected = (f) => recorded[f] ?? (slowness(f) > 0 ? 1000 + slowness(f) : 0);
const files = globSync(['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts'], {
  exclude: (p) => p.includes('node_modules'),
})
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .sort((a, b) => expected(b) - expected(a));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// PostgreSQL test schemas (gh_test_<created, base 36>_<random>) are dropped by each test's cleanup; a
// killed run (or an older checkout) leaves some: drop those of runs long finished before starting:
// created over an hour ago (or named without their time, as before), so that a run never drops the
// schemas of another run on the same server (several checkouts share one).
let pgReachable = false;
await (async () => {
  const url = process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  let c;
  try {
    const { default: pg } = await import('pg');
    c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    await c.connect();
    pgReachable = true;
    // gh_scale_*: the scale-out fault test's schema
    const { rows } = await c.query(
      "select nspname from pg_namespace where nspname like 'gh\\_test\\_%' or nspname like 'gh\\_scale\\_%'",
    );
    const createdAt = (name) => {
      const m = /^gh_(?:test|scale)_([0-9a-z]+)_[0-9a-f]+$/.exec(name);
      return m ? parseInt(m[1], 36) : 0;
    };
    for (const { nspname } of rows)
      if (Date.now() - createdAt(nspname) > 3_600_000)
        await c.query(`drop schema if exists "${nspname}" cascade`);
  } catch {
    // no PostgreSQL here: its suites report that themselves
  } finally {
    await c?.end().catch(() => undefined);
  }
})();

// The migration, recorded once for the run: every test process makes its migrated PostgreSQL schemas by
// replaying it (packages/gatehouse/src/testing/pg-schema.ts) instead of migrating one first itself
// (behind the advisory lock that every migrator on the server shares).
const recordedMigration = join(mkdtempSync(join(tmpdir(), 'gatehouse-test-')), 'migration.sql');
// in the names of the run's PostgreSQL schemas: the emptied ones its processes keep for reuse are
// dropped when it ends (testing/pg-schema.ts)
const runId = randomBytes(4).toString('hex');
const testEnv = { ...process.env, GATEHOUSE_TEST_RUN: runId };
if (pgReachable)
  try {
    const { recordMigration, RECORDED_MIGRATION_ENV } =
      await import('../packages/gatehouse/src/testing/pg-schema.ts');
    const script = await recordMigration();
    if (script !== undefined) {
      writeFileSync(recordedMigration, script);
      testEnv[RECORDED_MIGRATION_ENV] = recordedMigration;
    }
  } catch (e) {
    // each test process records its own then
    console.error(`# could not record the PostgreSQL migration once for the run: ${e?.message ?? e}`);
  }

// One Chromium for the run (a Playwright browser server) when a file drives a browser: each file connects
// to it and makes contexts of its own (packages/gatehouse/src/testing/browser.ts) instead of starting one.
const usesBrowser = (f) => /testBrowser|browser-harness|demo-browser/.test(readFileSync(f, 'utf8'));
let browserServer;
if (existsSync(CHROMIUM) && files.some(usesBrowser))
  try {
    const { chromium } = await import('playwright-core');
    browserServer = await chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    testEnv.GATEHOUSE_TEST_BROWSER_WS = browserServer.wsEndpoint();
  } catch (e) {
    // each browser test launches its own then
    console.error(`# could not start the run's shared Chromium: ${e?.message ?? e}`);
  }

// Node's compile cache, shared by the test processes and the CLIs and cluster roles they spawn (a warm
// cache saves about 0.8 of the ~2.7 CPU-s a process spends loading Gatehouse). The cache is keyed by the
// file's content and the Node version, so it is never stale. It lives outside node_modules, which
// `npm ci` (.ci/run) deletes: in node_modules every CI run compiled everything cold.
const compileCache = process.env.NODE_COMPILE_CACHE || join(cacheDir, 'node-compile');
const status = await runFiles(files, {
  env: { ...testEnv, NODE_COMPILE_CACHE: compileCache },
  // a bound on a hung test, not a speed check: CI runs on a loaded machine (3-5x slower than a quiet
  // run), where a whole simulated society or the four-process fault test takes minutes
  timeoutMs: 300_000,
  jobs: Number(process.env.GATEHOUSE_TEST_JOBS) || 3,
  isolated: (f) => ISOLATED.some((re) => re.test(f)),
  // GATEHOUSE_TEST_TIMES=1: also a table of per-file wall and CPU times (scripts/test-times.js)
  times: Boolean(process.env.GATEHOUSE_TEST_TIMES),
  recordTimes: timesFile,
});
await browserServer?.close().catch(() => undefined);
if (pgReachable)
  try {
    const { dropRunSchemas } = await import('../packages/gatehouse/src/testing/pg-schema.ts');
    await dropRunSchemas(runId);
  } catch (e) {
    // the next run drops them once they are an hour old
    console.error(`# could not drop the run's PostgreSQL schemas: ${e?.message ?? e}`);
  }
rmSync(dirname(recordedMigration), { recursive: true, force: true });
process.exit(status);
