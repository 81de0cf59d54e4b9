/**
 * Test-only: PostgreSQL schemas for tests, one per test, on the shared server of this machine.
 *
 * Running every migration through Kysely's migrator for each test was the largest fixed cost of the
 * PostgreSQL suites (a hundred and forty DDL statements, each a round trip, behind one advisory lock
 * that every schema of the server shares). A migrated schema is made once per process by the real
 * migrator, whose statements are recorded; every further migrated schema replays that record as one
 * multi-statement query (one round trip, one transaction), so it holds exactly what the migrator makes,
 * including its bookkeeping rows. Each test's schema is dropped at its cleanup.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { migrate, type Db } from '../store/index.ts';

export const PG_URL = process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Where the recorded statements name their own schema (the migrator's bookkeeping tables). */
const SCHEMA_MARK = '__gatehouse_test_schema__';

/** The environment variable naming the file that holds the run's recorded migration. */
export const RECORDED_MIGRATION_ENV = 'GATEHOUSE_TEST_PG_MIGRATION';

/**
 * The recorded migration as one script with SCHEMA_MARK for the schema; undefined: cannot be replayed.
 * `npm test` records it once for the whole run (scripts/test.js, recordMigration) and hands the file to
 * every test process; a test process started otherwise records its own with its first migrated schema.
 */
let recorded: Promise<string | undefined> | undefined = fromRun();

function fromRun(): Promise<string | undefined> | undefined {
  const file = process.env[RECORDED_MIGRATION_ENV];
  if (!file) return undefined;
  try {
    return Promise.resolve(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Migrates a schema of its own with the real migrator, drops it, and returns the replayable script
 * (undefined when the migration cannot be replayed): for scripts/test.js.
 */
export async function recordMigration(): Promise<string | undefined> {
  const schema = `gh_test_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${schema}`);
  try {
    return await migrateRecording(schemaUrl(schema), schema);
  } finally {
    await dropSchema(schema);
  }
}

export interface PgSchema {
  url: string;
  /** The schema's name (gh_test_<created, base 36>_<random>). */
  schema: string;
  /** Drops the schema (its tables and rows with it). */
  cleanup: () => Promise<void>;
}

/**
 * A fresh PostgreSQL schema so parallel tests never see each other's rows; `migrated` gives it every
 * migration already applied (as `migrate` would), otherwise it is empty. A migrated schema whose test is
 * over is emptied and handed to the next test of the process (see `recycle`).
 */
export async function pgSchemaUrl(prefix = 'gh_test_', opts: { migrated?: boolean } = {}): Promise<PgSchema> {
  if (opts.migrated && prefix === 'gh_test_') {
    const reused = emptied.pop();
    if (reused) return { url: schemaUrl(reused), schema: reused, cleanup: () => recycle(reused) };
  }
  // its creation time in the name: `npm test` drops the schemas that a killed run left behind; the run's
  // id: `npm test` drops the emptied ones its processes kept when it ends
  const schema = `${prefix}${Date.now().toString(36)}_${RUN_ID}${randomBytes(6).toString('hex')}`;
  const url = schemaUrl(schema);
  const made: PgSchema = { url, schema, cleanup: () => dropSchema(schema) };
  if (!opts.migrated) {
    await adminQuery(`create schema ${schema}`);
    return made;
  }
  if (prefix === 'gh_test_') made.cleanup = () => recycle(schema);
  if (!recorded) {
    // the first migrated schema of this process: the real migrator, recorded
    let resolve!: (s: string | undefined) => void;
    recorded = new Promise((r) => (resolve = r));
    try {
      await adminQuery(`create schema ${schema}`);
      resolve(await migrateRecording(url, schema));
    } catch (e) {
      resolve(undefined);
      throw e;
    }
  } else {
    const script = await recorded;
    if (script === undefined) {
      await adminQuery(`create schema ${schema}`);
      await migrateUrl(url);
    } else
      await adminQuery(
        `create schema ${schema}; set search_path to ${schema}; ${script.replaceAll(SCHEMA_MARK, schema)}`,
      );
  }
  // read before the test writes to it
  pristine ??= describePristine(schema);
  await pristine;
  return made;
}

/**
 * The run's id in the names of its schemas (8 hex digits; set by scripts/test.js, which drops them when
 * the run ends), or none for a test process started otherwise.
 */
const RUN_ID = /^[0-9a-f]{8}$/.test(process.env.GATEHOUSE_TEST_RUN ?? '')
  ? process.env.GATEHOUSE_TEST_RUN
  : '';

/**
 * Migrated schemas of this process whose tests are over, emptied: making one costs the server about a
 * quarter of a second of CPU (sixty tables with their indexes), emptying it a fiftieth, and the suites
 * make hundreds.
 */
const emptied: string[] = [];

/** What a freshly migrated schema holds, taken from the first one this process made. */
interface Pristine {
  /** A digest of its definition (shapeOf). */
  shape: string;
  /** Its tables, those that others reference last (foreign keys), the migrator's own left out. */
  tables: string[];
  sequences: string[];
  /** The rows its migrations wrote, per table (JSON, for json_populate_recordset). */
  rows: Map<string, string>;
}
let pristine: Promise<Pristine | undefined> | undefined;

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: PG_URL, options: '-c synchronous_commit=off' });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/**
 * A digest of the definition of a schema's known relations (its tables and sequences as first made):
 * whether each is still there, their columns, constraints, indexes and triggers — what a test that
 * altered its schema changed shows here. Read through the catalogue's indexes by each relation's oid
 * (a scan of the catalogue by schema reads every page of it, and schemas made and dropped all day leave
 * it large).
 */
async function shapeOf(c: pg.Client, schema: string, relations: readonly string[]): Promise<string> {
  const r = await c.query<{ shape: string }>(
    `with t as (select to_regclass(format('%I.%I', $1::text, n)) as oid, n from unnest($2::text[]) n)
     select md5(concat_ws('|',
       (select string_agg(n || ':' || coalesce(c.relkind::text || ':' || c.relnatts, 'gone'), ',' order by n)
          from t left join pg_class c on c.oid = t.oid),
       (select string_agg(n || '.' || a.attname || ':' || a.atttypid || ':' || a.attnotnull || ':' ||
          a.atthasdef, ',' order by n, a.attnum)
          from t join pg_attribute a on a.attrelid = t.oid where a.attnum > 0 and not a.attisdropped),
       (select string_agg(n || '.' || co.conname || ':' || co.contype::text, ',' order by n, co.conname)
          from t join pg_constraint co on co.conrelid = t.oid),
       (select string_agg(n || '.' || ic.relname, ',' order by n, ic.relname)
          from t join pg_index i on i.indrelid = t.oid join pg_class ic on ic.oid = i.indexrelid),
       (select string_agg(n || '.' || g.tgname, ',' order by n, g.tgname)
          from t join pg_trigger g on g.tgrelid = t.oid where not g.tgisinternal))) as shape`,
    [schema, relations],
  );
  return r.rows[0]!.shape;
}

async function describePristine(schema: string): Promise<Pristine | undefined> {
  try {
    return await withAdmin(async (c) => {
      const tables = (
        await c.query<{ t: string }>(
          `select tablename as t from pg_tables where schemaname = $1 and tablename not like 'kysely\\_migration%'`,
          [schema],
        )
      ).rows.map((r) => r.t);
      const refs = (
        await c.query<{ from: string; to: string }>(
          `select c1.relname as "from", c2.relname as "to" from pg_constraint co
           join pg_class c1 on c1.oid = co.conrelid join pg_class c2 on c2.oid = co.confrelid
           where co.contype = 'f' and co.connamespace = $1::regnamespace`,
          [schema],
        )
      ).rows;
      // referencing tables first: a table is emptied once nothing left refers to it
      const order: string[] = [];
      const left = new Set(tables);
      while (left.size > 0) {
        const next = [...left].filter(
          (t) => !refs.some((r) => r.to === t && r.from !== t && left.has(r.from)),
        );
        if (next.length === 0) return undefined; // a cycle: not emptied, dropped
        for (const t of next.sort()) {
          order.push(t);
          left.delete(t);
        }
      }
      const rows = new Map<string, string>();
      for (const t of tables) {
        // PostgreSQL's own JSON of the rows, which json_populate_recordset reads back as they were
        const r = await c.query<{ j: string | null }>(
          `select json_agg(t)::text as j from "${schema}"."${t}" t`,
        );
        if (r.rows[0]?.j) rows.set(t, r.rows[0].j);
      }
      const sequences = (
        await c.query<{ s: string }>(
          `select sequence_name as s from information_schema.sequences where sequence_schema = $1`,
          [schema],
        )
      ).rows.map((r) => r.s);
      return { shape: await shapeOf(c, schema, [...tables, ...sequences]), tables: order, sequences, rows };
    });
  } catch {
    return undefined;
  }
}

/**
 * A migrated schema whose test is over: emptied back to what its migrations wrote (rows deleted,
 * sequences restarted, the migrations' own rows put back) and kept for the next test of this process —
 * unless its definition changed (a test altered it), a connection still holds a lock on it, or anything
 * else fails: then it is dropped.
 */
async function recycle(schema: string): Promise<void> {
  const p = await pristine;
  const reset = async (c: pg.Client): Promise<boolean> => {
    if (!p || (await shapeOf(c, schema, [...p.tables, ...p.sequences])) !== p.shape) return false;
    const q = (name: string) => `"${schema}"."${name}"`;
    const statements = [
      'begin',
      'set local lock_timeout = 2000',
      ...p.tables.map((t) => `delete from ${q(t)}`),
      ...p.sequences.map((s) => `alter sequence ${q(s)} restart`),
    ];
    await c.query(statements.join('; '));
    for (const [t, json] of p.rows)
      await c.query(`insert into ${q(t)} select * from json_populate_recordset(null::${q(t)}, $1)`, [json]);
    await c.query('commit');
    return true;
  };
  const kept = await withAdmin(reset).catch(() => false);
  if (kept) emptied.push(schema);
  else await dropSchema(schema);
}

/** Drops the schemas of the run `runId` (scripts/test.js, when the run ends). */
export async function dropRunSchemas(runId: string): Promise<void> {
  await withAdmin(async (c) => {
    const { rows } = await c.query<{ n: string }>(
      `select nspname as n from pg_namespace where nspname like 'gh\\_test\\_%\\_' || $1 || '%'`,
      [runId],
    );
    for (const { n } of rows) await c.query(`drop schema if exists "${n}" cascade`).catch(() => undefined);
  });
}

function schemaUrl(schema: string): string {
  const u = new URL(PG_URL);
  // no parallel workers: a parallel worker of a catalogue query has been seen not to find a schema
  // created a moment before (3F000 "schema does not exist", where: parallel worker).
  // synchronous_commit=off: a commit does not wait for the server's WAL fsync (about ten milliseconds on
  // this machine's disk, for every transaction of every test); what a commit wrote is visible to every
  // session at once all the same, and only a crash of the PostgreSQL server itself could lose it — as
  // sqliteSynchronous NORMAL does for the SQLite tests.
  u.searchParams.set(
    'options',
    `-c search_path=${schema} -c max_parallel_workers_per_gather=0 -c synchronous_commit=off`,
  );
  return u.toString();
}

async function adminQuery(text: string): Promise<void> {
  await withAdmin((c) => c.query(text));
}

async function dropSchema(schema: string): Promise<void> {
  // a connection a test left open may still hold a lock on a table: never wait long for it (a schema
  // left here is dropped by the next `npm test` once it is an hour old, scripts/test.js)
  await adminQuery(`set lock_timeout = 10000; drop schema if exists ${schema} cascade`).catch(
    () => undefined,
  );
}

async function migrateUrl(url: string): Promise<void> {
  const db = new Kysely<never>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
  });
  try {
    await migrate({
      db: db as unknown as Db,
      dialect: 'postgres',
      close: () => db.destroy(),
      ping: async () => {},
    });
  } finally {
    await db.destroy();
  }
}

/** Migrates `schema` with the real migrator and returns its statements as a replayable script. */
async function migrateRecording(url: string, schema: string): Promise<string | undefined> {
  const log: CompiledQuery[] = [];
  const db = new Kysely<never>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }),
    log: (e) => {
      if (e.level === 'query') log.push(e.query);
    },
  });
  try {
    await migrate({
      db: db as unknown as Db,
      dialect: 'postgres',
      close: () => db.destroy(),
      ping: async () => {},
    });
  } finally {
    await db.destroy();
  }
  return replayable(log, schema);
}

/**
 * The statements that change the schema (reads, the migrator's lock and its transaction left out: the
 * script runs as one transaction of its own), parameters written in as literals. Undefined when a
 * statement cannot be written so with certainty (a parameter of another type, or dollar quoting, whose
 * body may use $n itself): the caller then migrates each schema with the migrator.
 */
function replayable(log: readonly CompiledQuery[], schema: string): string | undefined {
  const out: string[] = [];
  for (const q of log) {
    if (/^\s*(select|with|begin|commit|rollback)\b/i.test(q.sql)) continue;
    if (q.parameters.length && /\$[A-Za-z_]*\$/.test(q.sql)) return undefined;
    const literals: string[] = [];
    for (const p of q.parameters) {
      if (p === null) literals.push('null');
      else if (typeof p === 'number' && Number.isFinite(p)) literals.push(String(p));
      else if (typeof p === 'bigint') literals.push(p.toString());
      else if (typeof p === 'boolean') literals.push(p ? 'true' : 'false');
      else if (typeof p === 'string') literals.push(pg.Client.prototype.escapeLiteral(p));
      else return undefined;
    }
    const text = q.sql.replace(/\$(\d+)\b/g, (_, n: string) => literals[Number(n) - 1] ?? `$${n}`);
    if (/\$\d/.test(text.replace(/'(?:[^']|'')*'/g, ''))) return undefined;
    out.push(text.replaceAll(schema, SCHEMA_MARK));
  }
  return out.join(';\n');
}
