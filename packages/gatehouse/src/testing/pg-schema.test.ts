// The PostgreSQL test schemas: a schema made by replaying the recorded migration holds exactly what the
// migrator makes (tables, columns, defaults, constraints, indexes, sequences, the rows migrations
// write, the migrator's bookkeeping), the migrator finds nothing left to do on it; at cleanup it is emptied
// for the next test of the process, or dropped when its test changed its definition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { migrate, openStore, pendingMigrations } from '../store/index.ts';
import { postgresSkip } from './index.ts';
import { PG_URL, pgSchemaUrl } from './pg-schema.ts';

const skip = await postgresSkip();

/** Everything a schema defines, with its own name written as S, and every row of every table but the migrator's timestamps. */
async function describeSchema(c: pg.Client, schema: string): Promise<unknown> {
  const q = async (text: string) =>
    JSON.parse(JSON.stringify((await c.query(text, [schema])).rows).replaceAll(schema, 'S')) as unknown;
  const tables = (
    await c.query<{ t: string }>(
      `select table_name as t from information_schema.tables where table_schema = $1 order by 1`,
      [schema],
    )
  ).rows.map((r) => r.t);
  const rows: Record<string, unknown> = {};
  for (const t of tables)
    rows[t] = (await c.query(`select * from "${schema}"."${t}"`)).rows
      .map((r: Record<string, unknown>) => {
        const { timestamp: _t, ...rest } = r;
        return rest;
      })
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return {
    tables,
    columns:
      await q(`select table_name, column_name, ordinal_position, data_type, is_nullable, column_default,
      is_identity from information_schema.columns where table_schema = $1 order by 1, 3`),
    constraints: await q(`select cl.relname, co.conname, pg_get_constraintdef(co.oid) as def
      from pg_constraint co join pg_class cl on cl.oid = co.conrelid join pg_namespace n on n.oid = cl.relnamespace
      where n.nspname = $1 order by 1, 2`),
    indexes: await q(
      `select tablename, indexname, indexdef from pg_indexes where schemaname = $1 order by 1, 2`,
    ),
    sequences:
      await q(`select sequence_name, data_type, start_value, increment from information_schema.sequences
      where sequence_schema = $1 order by 1`),
    rows,
  };
}

test(
  'a replayed migrated schema is the one the migrator makes; cleanup drops a plain schema',
  { skip },
  async () => {
    const plain = await pgSchemaUrl();
    const first = await pgSchemaUrl('gh_test_', { migrated: true });
    const copy = await pgSchemaUrl('gh_test_', { migrated: true });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      // the migrator itself on the plain schema
      const store = openStore({ kind: 'postgres', url: plain.url });
      try {
        assert.ok((await pendingMigrations(store)).length > 0, 'a plain schema starts empty');
        await migrate(store);
      } finally {
        await store.close();
      }
      const want = await describeSchema(c, plain.schema);
      assert.ok((want as { tables: string[] }).tables.length > 10);
      assert.deepEqual(await describeSchema(c, first.schema), want, 'the recording schema');
      assert.deepEqual(await describeSchema(c, copy.schema), want, 'the replayed schema');
      // the migrator sees the copy as migrated, and works on it
      const onCopy = openStore({ kind: 'postgres', url: copy.url });
      try {
        assert.deepEqual(await pendingMigrations(onCopy), []);
        assert.deepEqual((await migrate(onCopy)).applied, []);
      } finally {
        await onCopy.close();
      }
      for (const s of [plain, first, copy]) await s.cleanup();
      const left = await c.query(`select nspname from pg_namespace where nspname = any($1) order by 1`, [
        [plain.schema, first.schema, copy.schema],
      ]);
      // the plain one is dropped; the migrated ones are emptied for the next tests of this process
      assert.deepEqual(
        left.rows.map((r: { nspname: string }) => r.nspname),
        [first.schema, copy.schema].sort(),
      );
    } finally {
      await c.end();
    }
  },
);

test(
  "a migrated schema is emptied for the next test: it is the migrator's again; one a test altered is dropped",
  { skip },
  async () => {
    const plain = await pgSchemaUrl();
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const store = openStore({ kind: 'postgres', url: plain.url });
      try {
        await migrate(store);
      } finally {
        await store.close();
      }
      const want = await describeSchema(c, plain.schema);
      // a test writes rows (a sequence moves on, the migrations' own row changes), and is over
      const used = await pgSchemaUrl('gh_test_', { migrated: true });
      const u = used.schema;
      await c.query(`insert into "${u}".outbox (id, type, payload, created_at) values ('o1', 'x', '{}', 1)`);
      await c.query(`update "${u}".audit_checkpoint set head_seq = head_seq + 7, count = 7`);
      // a row that another references (deleted after it)
      await c.query(`insert into "${u}".accounts (id, handle, handle_key, display_name, password_hash,
        state, created_at, updated_at) values ('a', 'a', 'a', 'A', 'h', 'active', 1, 1)`);
      await c.query(`insert into "${u}".sessions (id, account_id, token_hash, method, user_agent, device, ip,
        created_at, last_seen_at, expires_at) values ('s', 'a', 't', 'password', 'ua', 'd', '::1', 1, 1, 2)`);
      await used.cleanup();
      const next = await pgSchemaUrl('gh_test_', { migrated: true });
      assert.equal(next.schema, used.schema, 'the emptied schema is handed on');
      assert.deepEqual(await describeSchema(c, next.schema), want, 'as the migrator makes it');
      const seq = await c.query(
        `insert into "${next.schema}".outbox (id, type, payload, created_at) values ('o2', 'x', '{}', 1) returning seq`,
      );
      assert.equal(Number(seq.rows[0].seq), 1, 'its sequences start over');
      // a test that changes the definition: its schema is not handed on
      await c.query(`alter table "${next.schema}".outbox add column extra text`);
      await next.cleanup();
      const gone = await c.query(`select 1 from pg_namespace where nspname = $1`, [next.schema]);
      assert.equal(gone.rows.length, 0, 'the altered schema is dropped');
      const fresh = await pgSchemaUrl('gh_test_', { migrated: true });
      assert.notEqual(fresh.schema, next.schema);
      assert.deepEqual(await describeSchema(c, fresh.schema), want);
      await fresh.cleanup();
      await plain.cleanup();
    } finally {
      await c.end();
    }
  },
);
