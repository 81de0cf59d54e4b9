// A database that is busy or cannot be reached answers 503 with a stable code and Retry-After, never a
// 500: the errors are the real ones (a SQLite write lock held by another connection, a PostgreSQL client
// refused by a closed port on loopback), mapped by the one problem handler every route uses.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import pg from 'pg';
import { sendProblem, toGatehouseError } from './problem.ts';

const dir = mkdtempSync(join(tmpdir(), 'gh-problem-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function realErrors(): Promise<{ busy: unknown; refused: unknown; duplicate: unknown }> {
  const file = join(dir, 'lock.db');
  const a = new Database(file);
  const b = new Database(file);
  a.pragma('journal_mode = WAL');
  b.pragma('busy_timeout = 0');
  a.exec('create table t (k text primary key)');
  a.exec('begin immediate');
  let busy: unknown;
  try {
    b.exec("insert into t values ('x')");
  } catch (e) {
    busy = e;
  }
  a.exec('rollback');
  a.exec("insert into t values ('x')");
  let duplicate: unknown;
  try {
    a.exec("insert into t values ('x')");
  } catch (e) {
    duplicate = e;
  }
  a.close();
  b.close();
  // port 1 on loopback: nothing listens, the connection is refused at once
  const c = new pg.Client({
    connectionString: 'postgres://postgres@127.0.0.1:1/test',
    connectionTimeoutMillis: 2000,
  });
  const refused = await c.connect().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { busy, refused, duplicate };
}

test('a busy database is STORE_BUSY (503, Retry-After) and an unreachable one STORE_UNAVAILABLE; a unique-key conflict stays as it was', async () => {
  const { busy, refused, duplicate } = await realErrors();
  assert.match(String((busy as { code?: string }).code), /^SQLITE_BUSY/);
  const b = toGatehouseError(busy);
  assert.equal(b.code, 'STORE_BUSY');
  assert.equal(b.status, 503);
  assert.equal(b.headers?.['retry-after'], '1');
  assert.equal((refused as { code?: string }).code, 'ECONNREFUSED');
  const r = toGatehouseError(refused);
  assert.equal(r.code, 'STORE_UNAVAILABLE');
  assert.equal(r.status, 503);
  // a constraint failure is not "busy": nothing to retry, so it is not answered as if it were
  assert.notEqual(toGatehouseError(duplicate).code, 'STORE_BUSY');
  assert.equal(toGatehouseError(new Error('boom')).code, 'INTERNAL');

  // over HTTP, through the handler every route uses: problem+json, the stable code, no internals
  const app = Fastify({ logger: false });
  app.setErrorHandler((err, req, reply) => sendProblem(err, req, reply));
  app.get('/busy', async () => {
    throw busy;
  });
  app.get('/down', async () => {
    throw refused;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    for (const [path, code] of [
      ['/busy', 'STORE_BUSY'],
      ['/down', 'STORE_UNAVAILABLE'],
    ] as const) {
      const res = await fetch(base + path);
      assert.equal(res.status, 503);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      const body = (await res.json()) as { code: string; detail?: string };
      assert.equal(body.code, code);
      assert.ok(!JSON.stringify(body).includes('SQLITE') && !JSON.stringify(body).includes('ECONNREFUSED'));
    }
  } finally {
    await app.close();
  }
});
