/**
 * Helpers for tests only: temporary configs and stores on SQLite and on the PostgreSQL server of this
 * machine. PostgreSQL tests skip with a visible message when the server is absent, unless
 * GATEHOUSE_REQUIRE_SERVICES=1 (set by .ci/run), which turns absence into a failure.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig, type Config, type SettingKey } from '../config/index.ts';
import { createGatehouse, type CreateOptions, type Gatehouse } from '../gatehouse.ts';
import { IdentityService, type IdentityOptions } from '../identity/index.ts';
import { createLogger } from '../log/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import { pgSchemaUrl, PG_URL } from './pg-schema.ts';

export { pgSchemaUrl, PG_URL } from './pg-schema.ts';
export const REQUIRE_SERVICES = process.env.GATEHOUSE_REQUIRE_SERVICES === '1';

/** Cheap but real Argon2id parameters for tests (the OWASP ones are tested on their own). */
export const FAST_ARGON2 = { argon2MemoryKib: 8192, argon2Iterations: 1, argon2Parallelism: 1 };
/**
 * No zxcvbn estimate of new passwords (passwordMinScore 0, as the simulator runs): it costs about 10 ms
 * of CPU per sign-up and password change, thousands in a run. The length, common, handle, repetition
 * and breached-list checks still apply; the estimate is tested where a test sets a score
 * (identity/passwords.test.ts, identity/challenge-trust.test.ts).
 */
export const NO_STRENGTH_ESTIMATE = { passwordMinScore: 0 };

/** An identity core over `db` with cheap Argon2id, no strength estimate and roomy limits; `opts` overrides any of them. */
export function testIdentity(db: Store['db'], opts: Partial<IdentityOptions> = {}): IdentityService {
  return new IdentityService(db, {
    argon2: { memoryKiB: 8192, iterations: 1, parallelism: 1 },
    passwordMinScore: NO_STRENGTH_ESTIMATE.passwordMinScore,
    sessionTtlMs: 86_400_000,
    sessionIdleMs: 86_400_000,
    loginMaxFailuresPerAccount: 5,
    loginMaxFailuresPerIp: 100,
    loginWindowMs: 60_000,
    signupMaxPerIp: 1000,
    ...opts,
  });
}

/**
 * An owner's ordinary day for the end-to-end tests: 30 friends added 20 hours ago, then 40 short chats
 * to 5 of them on the owner's session and phone, one every 25 minutes. Returns the events and friends.
 */
export function ordinaryDay(
  account: string,
  session: string,
  now = Date.now(),
): { events: Array<Record<string, unknown>>; friends: string[] } {
  const friends = Array.from({ length: 30 }, (_, i) => `friend-${i}`);
  const client = { kind: 'mobile', name: 'QQ', version: '9.0' };
  const chat = [
    '今天晚上一起吃饭吗',
    '好的，明天见',
    '我到家了',
    '周末去爬山吗',
    '哈哈哈 太好笑了',
    '收到，谢谢',
  ];
  const events: Array<Record<string, unknown>> = friends.map((f, i) => ({
    id: `fa-${i}`,
    type: 'friend.added',
    time: now - 20 * 3_600_000,
    account,
    friend: f,
  }));
  for (let i = 0; i < 40; i++)
    events.push({
      id: `h-${i}`,
      type: 'message.sent',
      time: now - 19 * 3_600_000 + i * 25 * 60_000,
      account,
      session,
      recipients: [friends[i % 5]!],
      text: chat[i % chat.length],
      client,
    });
  return { events, friends };
}

export function tempDir(prefix = 'gatehouse-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

let pgAvailable: Promise<boolean> | undefined;
/** Whether the PostgreSQL server at `url` accepts a connection and answers a query. */
export async function pgAnswers(url: string, connectionTimeoutMillis?: number): Promise<boolean> {
  const c = new pg.Client({
    connectionString: url,
    ...(connectionTimeoutMillis ? { connectionTimeoutMillis } : {}),
  });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export function postgresAvailable(): Promise<boolean> {
  // a refused connection answers at once; a slow answer on a loaded machine (CI) is not an absent server,
  // so the wait is long and, when the server is required, tried a few times
  const once = () => pgAnswers(PG_URL, 15_000);
  pgAvailable ??= (async () => {
    for (let i = 0; i < (REQUIRE_SERVICES ? 3 : 1); i++) if (await once()) return true;
    return false;
  })();
  return pgAvailable;
}

/** Skip reason for a PostgreSQL test, or undefined when it must run. Throws when required but absent. */
export async function postgresSkip(): Promise<string | undefined> {
  if (await postgresAvailable()) return undefined;
  if (REQUIRE_SERVICES)
    throw new Error(`PostgreSQL is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${PG_URL} is not reachable`);
  const msg = `PostgreSQL not reachable at ${PG_URL}: skipping the PostgreSQL run`;
  console.log(`# SKIP ${msg}`);
  return msg;
}

export type Backend = 'sqlite' | 'postgres';

/**
 * A config on a fresh database: a data directory of its own (SQLite) or a schema of its own
 * (PostgreSQL). `migrated`: the database comes with every migration applied, for tests that migrate
 * first anyway — the PostgreSQL schema as a replay of what the migrator made (testing/pg-schema.ts), the
 * SQLite file as a copy of one the migrator made in this process (sqliteMigrated); without it the
 * database is empty and the test's own migrate makes it.
 */
export async function testConfig(
  backend: Backend,
  extra: Partial<Record<SettingKey, unknown>> = {},
  opts: { migrated?: boolean } = {},
): Promise<{ config: Config; cleanup: () => Promise<void> }> {
  const tmp = tempDir();
  let databaseUrl = '';
  let dropSchema = async () => undefined as void;
  if (backend === 'postgres') {
    const s = await pgSchemaUrl('gh_test_', opts);
    databaseUrl = s.url;
    dropSchema = s.cleanup;
  } else if (opts.migrated) copyMigratedSqlite(join(tmp.dir, 'gatehouse.db'), await sqliteMigrated());
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: tmp.dir,
      databaseUrl,
      port: 0,
      logLevel: 'silent',
      sqliteSynchronous: 'NORMAL',
      outboxPollMs: 50,
      // test receivers listen on 127.0.0.1 over http (the target guard's own tests turn these off)
      webhookAllowHttp: true,
      webhookAllowLoopback: true,
      // flows that set recovery factors up minutes before an appeal; the account-control tests use the
      // real cooling-off and friend delay
      recoveryFactorCoolingOffHours: 0,
      recoveryFriendDelayHours: 0,
      ...FAST_ARGON2,
      ...NO_STRENGTH_ESTIMATE,
      ...extra,
    },
  });
  return {
    config,
    cleanup: async () => {
      await dropSchema();
      tmp.cleanup();
    },
  };
}

let sqliteTemplate: Promise<string> | undefined;
/**
 * A SQLite file that the real migrator brought to the latest migration, made once per process (the
 * migrator costs about 50 ms of CPU per database, a copy about 1 ms; the SQLite suites make hundreds).
 * Its directory goes when the process exits.
 */
function sqliteMigrated(): Promise<string> {
  sqliteTemplate ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sqlite-migrated-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'gatehouse.db');
    const store = openStore({ kind: 'sqlite', path }, { sqliteSynchronous: 'NORMAL' });
    try {
      await migrate(store);
    } finally {
      await store.close();
    }
    return path;
  })().catch((e: unknown) => {
    sqliteTemplate = undefined;
    throw e;
  });
  return sqliteTemplate;
}

/** Copies the migrated SQLite file (and its write-ahead log, when closing left one) to `path`. */
function copyMigratedSqlite(path: string, template: string): void {
  copyFileSync(template, path);
  if (existsSync(`${template}-wal`)) copyFileSync(`${template}-wal`, `${path}-wal`);
}

export async function testStore(backend: Backend): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  const { config, cleanup } = await testConfig(backend, {}, { migrated: true });
  const store = openStore(config.database, { sqliteSynchronous: 'NORMAL' });
  await migrate(store);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await cleanup();
    },
  };
}

export async function testGatehouse(
  backend: Backend = 'sqlite',
  extra: Partial<Record<SettingKey, unknown>> = {},
  opts: CreateOptions = {},
): Promise<{ gh: Gatehouse; cleanup: () => Promise<void> }> {
  const { config, cleanup } = await testConfig(backend, extra, { migrated: true });
  const gh = await createGatehouse(config, { log: createLogger('silent'), ...opts });
  const unused = unusedConnections(gh.app.server);
  return {
    gh,
    cleanup: async () => {
      const closed = gh.close();
      // the test is over: a connection a client opened and never sent a request on (fetch's pool does
      // so now and then) would hold the server's close until Node's header timeout, over a minute
      for (const socket of unused()) socket.destroy();
      await closed;
      await cleanup();
    },
  };
}

/** The server's connections on which nothing has arrived (yet), as a function asked at cleanup. */
function unusedConnections(server: Server): () => Socket[] {
  const open = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  return () => [...open].filter((s) => s.bytesRead === 0);
}
