/**
 * `npm run eval:rspamd`: rspamd's Bayes classifier and Gatehouse's text model side by side, on the
 * same fixed split of the shared datasets (evaluation, not a test).
 *
 * - installs rspamd with apt-get when it is missing (needs root and Debian's archive);
 * - starts one rspamd (one normal worker = one core, controller, no network modules) with a
 *   temporary config directory and its Bayes statistics in Redis (127.0.0.1:6379, in an empty
 *   database it picks and flushes afterwards);
 * - learns the training split with `rspamc learn_spam` / `learn_ham` (each message wrapped as a
 *   minimal RFC 5322 email), scores the validation split through /checkv2 (spam = BAYES_SPAM);
 * - trains Gatehouse on the same training split, scores the same validation split on one core;
 * - prints F1 and messages per second for both. If rspamd cannot be installed or started it says
 *   why and exits 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { metrics } from './data.ts';
import type { Metrics } from './data.ts';
import { loadSplits, trainOn } from './eval.ts';
import { DATASETS, datasetPath } from './loader.ts';
import type { DatasetName } from './loader.ts';
import type { Example } from './model.ts';
import { scoreProbability } from './score.ts';

const NORMAL_PORT = 11433;
const CONTROLLER_PORT = 11434;
const PROXY_PORT = 11435;
const REDIS = '127.0.0.1:6379';

function skip(reason: string): never {
  console.log(`eval:rspamd skipped: ${reason}`);
  process.exit(0);
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function ensureRspamd(): void {
  if (have('rspamd') && have('rspamc')) return;
  if (process.getuid?.() !== 0)
    skip('rspamd is not installed and this is not root (apt-get install -y rspamd)');
  console.log('rspamd not found: apt-get update && apt-get install -y rspamd …');
  const r = spawnSync(
    'sh',
    [
      '-c',
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 rspamd',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0 || !have('rspamd'))
    skip(
      `apt-get could not install rspamd (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`,
    );
}

function redisCli(args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr || 'redis-cli failed');
  return r.stdout.trim();
}

/** An empty Redis database index (15 down to 8), so nobody else's keys are touched. */
function pickRedisDb(): number {
  if (!have('redis-cli')) skip('redis-cli not found (needed to check and clean the Redis database)');
  try {
    if (redisCli(['ping']) !== 'PONG') skip(`Redis at ${REDIS} does not answer PING`);
  } catch (e) {
    skip(`Redis at ${REDIS} is not reachable: ${(e as Error).message.trim()}`);
  }
  for (let db = 15; db >= 8; db--) if (redisCli(['-n', String(db), 'dbsize']) === '0') return db;
  return skip('no empty Redis database between 8 and 15');
}

function writeConfig(dir: string, db: number): void {
  const local = join(dir, 'local.d');
  const override = join(dir, 'override.d');
  for (const d of [local, override, join(dir, 'db'), join(dir, 'run'), join(dir, 'log')])
    mkdirSync(d, { recursive: true });
  const files: Record<string, string> = {
    'local.d/worker-normal.inc': `bind_socket = "127.0.0.1:${NORMAL_PORT}";\ncount = 1;\n`,
    'local.d/worker-controller.inc': `bind_socket = "127.0.0.1:${CONTROLLER_PORT}";\nsecure_ip = "127.0.0.1";\ncount = 1;\n`,
    'local.d/worker-proxy.inc': `bind_socket = "127.0.0.1:${PROXY_PORT}";\ncount = 1;\n`,
    'override.d/worker-fuzzy.inc': 'count = -1;\n',
    'local.d/redis.conf': `servers = "${REDIS}";\ndb = "${db}";\n`,
    'local.d/classifier-bayes.conf': `backend = "redis";\nservers = "${REDIS}";\ndb = "${db}";\nmin_tokens = 1;\nmin_learns = 1;\nautolearn = false;\n`,
    'local.d/logging.inc': `type = "file";\nfilename = "${join(dir, 'log', 'rspamd.log')}";\nlevel = "error";\n`,
    'local.d/options.inc': 'dns { timeout = 0.1s; retransmits = 0; }\n',
  };
  // Modules that do network look-ups or write their own Redis data: off (this is a text comparison).
  for (const m of [
    'rbl',
    'spf',
    'dkim',
    'dmarc',
    'arc',
    'dkim_signing',
    'fuzzy_check',
    'neural',
    'asn',
    'url_redirector',
    'reputation',
    'mx_check',
    'greylist',
    'history_redis',
    'ratelimit',
    'replies',
    'phishing',
    'dcc',
    'emails',
    'surbl',
    'whitelist',
    'milter_headers',
    'metadata_exporter',
    'clickhouse',
    'elastic',
    'external_services',
    'p0f',
  ])
    files[`override.d/${m}.conf`] = 'enabled = false;\n';
  for (const [f, c] of Object.entries(files)) writeFileSync(join(dir, f), c);
}

function email(text: string, id: string): string {
  const body = text.replace(/\r?\n/g, '\r\n');
  return [
    'From: sender@example.com',
    'To: rcpt@example.com',
    'Subject: message',
    `Message-ID: <${id}@gatehouse.test>`,
    'Date: Sat, 28 Nov 2026 12:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body,
    '',
  ].join('\r\n');
}

async function waitUp(url: string, ms: number, child: ChildProcess): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) return false;
    try {
      const r = await fetch(url);
      if (r.ok) return true;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function learn(kind: 'learn_spam' | 'learn_ham', dir: string): string {
  const r = spawnSync('rspamc', ['-h', `127.0.0.1:${CONTROLLER_PORT}`, '-n', '8', '-t', '30', kind, dir], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`rspamc ${kind} failed: ${r.stderr.slice(0, 500)}`);
  return r.stdout;
}

async function rspamdScore(texts: readonly string[]): Promise<{ probs: number[]; seconds: number }> {
  const probs = new Array<number>(texts.length).fill(0);
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= texts.length) return;
      const r = await fetch(`http://127.0.0.1:${NORMAL_PORT}/checkv2`, {
        method: 'POST',
        body: email(texts[i]!, `v${i}`),
      });
      const j = (await r.json()) as { symbols?: Record<string, unknown> };
      probs[i] = j.symbols && 'BAYES_SPAM' in j.symbols ? 1 : 0;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { probs, seconds: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const missing = DATASETS.filter((n) => !existsSync(datasetPath(n)));
  if (missing.length)
    skip(`datasets not found: ${missing.map(datasetPath).join(', ')} (set GATEHOUSE_DATASETS)`);
  ensureRspamd();
  const db = pickRedisDb();
  // Message files go to tmpfs when there is one: 20,000 small files are slow to delete on disk.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'gatehouse-rspamd-'));
  writeConfig(dir, db);
  const splits = loadSplits();
  const sets = [...DATASETS] as DatasetName[];
  const train: Example[] = sets.flatMap((n) => splits.get(n)!.train);
  const child = spawn(
    'rspamd',
    [
      '-f',
      '-i',
      '-u',
      'root',
      '-g',
      'root',
      '-c',
      '/etc/rspamd/rspamd.conf',
      `--var=LOCAL_CONFDIR=${dir}`,
      `--var=DBDIR=${join(dir, 'db')}`,
      `--var=RUNDIR=${join(dir, 'run')}`,
      `--var=LOGDIR=${join(dir, 'log')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  try {
    if (!(await waitUp(`http://127.0.0.1:${CONTROLLER_PORT}/ping`, 60_000, child))) {
      const log = existsSync(join(dir, 'log', 'rspamd.log'))
        ? readFileSync(join(dir, 'log', 'rspamd.log'), 'utf8')
        : '';
      skip(`rspamd did not start: ${(out + log).trim().split('\n').slice(-5).join(' / ') || 'no output'}`);
    }
    await waitUp(`http://127.0.0.1:${NORMAL_PORT}/ping`, 30_000, child);
    // Learn: one file per message, spam and ham folders.
    const spamDir = join(dir, 'train-spam');
    const hamDir = join(dir, 'train-ham');
    mkdirSync(spamDir);
    mkdirSync(hamDir);
    train.forEach((e, i) =>
      writeFileSync(join(e.label === 1 ? spamDir : hamDir, `${i}.eml`), email(e.text, `t${i}`)),
    );
    console.log(
      `rspamd ${spawnSync('rspamd', ['--version'], { encoding: 'utf8' }).stdout.trim()} (Redis db ${db}): learning ${train.length} messages…`,
    );
    const tl = performance.now();
    learn('learn_spam', spamDir);
    learn('learn_ham', hamDir);
    console.log(`  learned in ${((performance.now() - tl) / 1000).toFixed(1)} s`);
    // Gatehouse on the same training split.
    const model = trainOn(splits, sets);
    const rows: Array<{ set: string; system: string; m: Metrics; perSec: number }> = [];
    for (const n of sets) {
      const valid = splits.get(n)!.valid;
      const labels = valid.map((e) => e.label);
      const texts = valid.map((e) => e.text);
      const r = await rspamdScore(texts);
      rows.push({
        set: n,
        system: 'rspamd Bayes',
        m: metrics(labels, r.probs, 0.5),
        perSec: texts.length / r.seconds,
      });
      for (const t of texts) scoreProbability(model, t); // warm-up (JIT)
      const t0 = performance.now();
      const probs = texts.map((t) => scoreProbability(model, t));
      const s = (performance.now() - t0) / 1000;
      rows.push({
        set: n,
        system: 'Gatehouse',
        m: metrics(labels, probs, model.threshold),
        perSec: texts.length / s,
      });
      const t1 = performance.now();
      const probsSrc = texts.map((t) => scoreProbability(model, t, n));
      const s1 = (performance.now() - t1) / 1000;
      rows.push({
        set: n,
        system: 'Gatehouse, source given',
        m: metrics(labels, probsSrc, model.threshold),
        perSec: texts.length / s1,
      });
    }
    console.log('\n| set | system | n | precision | recall | F1 | messages/s |');
    console.log('|---|---|--:|--:|--:|--:|--:|');
    for (const r of rows)
      console.log(
        `| ${r.set} | ${r.system} | ${r.m.n} | ${r.m.precision.toFixed(4)} | ${r.m.recall.toFixed(4)} | ${r.m.f1.toFixed(4)} | ${Math.round(r.perSec).toLocaleString('en-US')} |`,
      );
    console.log(
      '\nrspamd: one normal worker, 16 requests in flight over HTTP (/checkv2), Bayes trained on all three training splits;' +
        '\nGatehouse: one core, in process (no explanation), model trained on the same training splits' +
        '\n(sources balanced); "source given" also uses the source-specific weights.',
    );
  } finally {
    stop();
    try {
      redisCli(['-n', String(db), 'flushdb']);
    } catch {
      console.log(`could not flush Redis db ${db}`);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await main();
