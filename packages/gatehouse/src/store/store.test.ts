// The same store suite on SQLite and PostgreSQL: migrations, the identity core, keys and the outbox.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { outboxStore } from '../bus/index.ts';
import type { GatehouseError } from '../errors/index.ts';
import { IdentityService } from '../identity/index.ts';
import { KeyService } from '../keys/index.ts';
import { postgresSkip, testStore, type Backend } from '../testing/index.ts';
import { migrate, pendingMigrations, type Store } from './index.ts';

const ctx = {
  ip: '203.0.113.7',
  userAgent:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
};
const pgSkip = await postgresSkip();

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`store on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let identity: IdentityService;
    let now = 1_800_000_000_000;
    before(async () => {
      ({ store, cleanup } = await testStore(backend));
      identity = new IdentityService(store.db, {
        argon2: { memoryKiB: 8192, iterations: 1, parallelism: 1 },
        sessionTtlMs: 3_600_000,
        sessionIdleMs: 1_800_000,
        loginMaxFailuresPerAccount: 3,
        loginMaxFailuresPerIp: 100,
        loginWindowMs: 60_000,
        signupMaxPerIp: 1000,
        now: () => now,
      });
    });
    after(async () => cleanup?.());

    test('migrations are applied once and are idempotent', async () => {
      assert.deepEqual(await pendingMigrations(store), []);
      const again = await migrate(store);
      assert.deepEqual(again.applied, []);
      assert.ok(again.total >= 3);
    });

    /** A fresh account of its own for each test (a filtered run passes; no test leans on another). */
    let people = 0;
    async function person(password = 'correct horse battery') {
      const handle = `person.${++people}`;
      const account = await identity.createAccount({ handle, password }, ctx);
      return { handle, password, account, signIn: (c = ctx) => identity.signIn({ handle, password }, c) };
    }

    test('account creation writes the account and its event in one transaction', async () => {
      const before = await outboxStore.countUnpublished(store.db);
      const a = await identity.createAccount(
        { handle: 'Zhang.Hua', displayName: '张华', password: 'correct horse battery' },
        ctx,
      );
      assert.equal(a.state, 'active');
      assert.equal(a.displayName, '张华');
      assert.equal((await outboxStore.countUnpublished(store.db)) - before, 1);
      const rows = await outboxStore.unpublished(store.db, 1000);
      const ev = JSON.parse(rows.at(-1)!.payload);
      assert.equal(ev.type, 'account.created');
      assert.equal(ev.account, a.id);
    });

    test('handles are unique regardless of case and width', async () => {
      await identity.createAccount({ handle: 'Li.Na', password: 'correct horse battery' }, ctx);
      for (const handle of ['li.na', 'LI.NA', 'ｌｉ.ｎａ'])
        await assert.rejects(
          identity.createAccount({ handle, password: 'another good passphrase' }, ctx),
          (e: GatehouseError) => e.code === 'HANDLE_TAKEN',
          handle,
        );
      await identity.createAccount({ handle: 'li.na2', password: 'another good passphrase' }, ctx);
    });

    test('ten concurrent sign-ups for one handle: one account, the others HANDLE_TAKEN (never a raw database error)', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          identity.createAccount(
            { handle: i % 2 ? 'Race.Handle' : 'race.handle', password: 'correct horse battery' },
            ctx,
          ),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results)
        if (r.status === 'rejected')
          assert.equal((r.reason as GatehouseError).code, 'HANDLE_TAKEN', String(r.reason));
      const rows = await store.db
        .selectFrom('accounts')
        .select('id')
        .where('handle_key', '=', 'race.handle')
        .execute();
      assert.equal(rows.length, 1);
    });

    test('sign-in creates a hashed session; the token authenticates; history records it', async () => {
      const p = await person();
      const r = await p.signIn();
      assert.match(r.token, /^ghs_/);
      const raw = await store.db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', r.session.id)
        .executeTakeFirstOrThrow();
      assert.notEqual(raw.token_hash, r.token);
      assert.equal(raw.token_hash.length, 64);
      const auth = await identity.authenticate(r.token);
      assert.equal(auth.session.id, r.session.id);
      assert.equal(r.session.device.label, 'Chrome 126 on Windows 10');
      const hist = await identity.signins(r.account.id);
      assert.equal(hist[0]!.success, true);
    });

    test('wrong password and unknown handle both fail with INVALID_CREDENTIALS; account failures lock with Retry-After', async () => {
      const p = await person();
      await assert.rejects(
        identity.signIn({ handle: 'nobody-here', password: 'whatever123' }, ctx),
        (e: GatehouseError) => e.code === 'INVALID_CREDENTIALS',
      );
      for (let i = 0; i < 3; i++) {
        await assert.rejects(
          identity.signIn({ handle: p.handle, password: 'wrong password' }, ctx),
          (e: GatehouseError) => e.code === 'INVALID_CREDENTIALS',
        );
      }
      await assert.rejects(p.signIn(), (e: GatehouseError) => {
        assert.equal(e.code, 'RATE_LIMITED');
        assert.ok(Number(e.headers?.['retry-after']) > 0);
        return true;
      });
      // another account is not locked by p's failures
      const other = await person();
      await other.signIn();
      now += 61_000;
      const ok = await p.signIn();
      const hist = await identity.signins(ok.account.id, 10);
      assert.deepEqual(
        hist.slice(0, 5).map((h) => h.reason),
        ['ok', 'rate_limited', 'wrong_password', 'wrong_password', 'wrong_password'],
      );
    });

    test('sessions: list, revoke one, revoke others, revoke all; revoked tokens stop working', async () => {
      const p = await person();
      const a = await p.signIn();
      const b = await p.signIn({
        ...ctx,
        userAgent:
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      });
      const c = await p.signIn();
      const id = a.account.id;
      const list = await identity.listSessions(id, a.session.id);
      assert.equal(list.length, 3);
      assert.equal(list.filter((s) => s.current).length, 1);
      assert.equal(list.find((s) => s.id === b.session.id)!.device.deviceType, 'mobile');
      await identity.revokeSession(id, b.session.id);
      await assert.rejects(
        identity.authenticate(b.token),
        (e: GatehouseError) => e.code === 'SESSION_INVALID',
      );
      await assert.rejects(
        identity.revokeSession(id, b.session.id),
        (e: GatehouseError) => e.code === 'SESSION_NOT_FOUND',
      );
      // another account's session cannot be revoked through this account
      const q = await (await person()).signIn();
      await assert.rejects(
        identity.revokeSession(id, q.session.id),
        (e: GatehouseError) => e.code === 'SESSION_NOT_FOUND',
      );
      await identity.authenticate(q.token);
      const others = await identity.revokeOthers(id, a.session.id);
      assert.deepEqual(others, [c.session.id]);
      await identity.authenticate(a.token);
      await assert.rejects(identity.authenticate(c.token));
      await identity.revokeAll(id);
      await assert.rejects(identity.authenticate(a.token));
      assert.equal((await identity.listSessions(id)).length, 0);
      await identity.authenticate(q.token);
    });

    test('changing the password revokes every other session and emits events', async () => {
      const p = await person();
      const a = await p.signIn();
      const b = await p.signIn();
      await assert.rejects(
        identity.changePassword(a.account.id, a.session.id, p.password, 'short'),
        (e: GatehouseError) => e.code === 'WEAK_PASSWORD',
      );
      await assert.rejects(
        identity.changePassword(a.account.id, a.session.id, 'not the password', 'a brand new passphrase'),
      );
      const r = await identity.changePassword(
        a.account.id,
        a.session.id,
        p.password,
        'a brand new passphrase',
      );
      assert.equal(r.revoked, 1);
      await identity.authenticate(a.token);
      await assert.rejects(identity.authenticate(b.token));
      const mine = (await outboxStore.unpublished(store.db, 10_000))
        .map((x) => JSON.parse(x.payload) as { type: string; account?: string })
        .filter((e) => e.account === a.account.id)
        .map((e) => e.type);
      assert.ok(mine.includes('password.changed'));
      assert.ok(mine.includes('session.revoked'));
      await identity.signIn({ handle: p.handle, password: 'a brand new passphrase' }, ctx);
      await assert.rejects(p.signIn(), (e: GatehouseError) => e.code === 'INVALID_CREDENTIALS');
    });

    test('sessions expire after 30 minutes idle', async () => {
      const p = await person();
      const a = await p.signIn();
      now += 1_799_000;
      await identity.authenticate(a.token);
      const b = await p.signIn();
      now += 1_800_001;
      await assert.rejects(
        identity.authenticate(b.token),
        (e: GatehouseError) => e.code === 'SESSION_INVALID',
      );
    });

    test('sessions end at their absolute lifetime (1 h) even when used all along', async () => {
      const p = await person();
      const a = await p.signIn();
      // used every 19 minutes: never idle for 30, so only the absolute lifetime can end it
      for (let i = 0; i < 3; i++) {
        now += 19 * 60_000;
        await identity.authenticate(a.token);
      }
      now += 4 * 60_000; // 61 minutes after sign-in, 4 minutes after the last use
      await assert.rejects(
        identity.authenticate(a.token),
        (e: GatehouseError) => e.code === 'SESSION_INVALID',
      );
      // a session signed in later is unaffected
      const b = await p.signIn();
      await identity.authenticate(b.token);
    });

    test('a frozen account cannot sign in and loses its sessions; unfreeze restores sign-in', async () => {
      const p = await person();
      const a = await p.signIn();
      await identity.freeze(a.account.id, 'hijack suspected');
      await assert.rejects(identity.authenticate(a.token));
      await assert.rejects(p.signIn(), (e: GatehouseError) => e.code === 'ACCOUNT_FROZEN');
      const acc = await identity.getAccount(a.account.id);
      assert.equal(acc.state, 'frozen');
      assert.equal(acc.stateReason, 'hijack suspected');
      await identity.unfreeze(a.account.id, 'owner verified');
      await p.signIn();
      const mine = (await outboxStore.unpublished(store.db, 10_000))
        .map((x) => JSON.parse(x.payload) as { type: string; account?: string })
        .filter((e) => e.account === a.account.id)
        .map((e) => e.type);
      assert.ok(mine.includes('account.frozen') && mine.includes('account.unfrozen'));
    });

    test('sign-in rehashes a password made with older Argon2id parameters', async () => {
      const p = await person();
      const stronger = new IdentityService(store.db, {
        argon2: { memoryKiB: 9216, iterations: 1, parallelism: 1 },
        sessionTtlMs: 3_600_000,
        sessionIdleMs: 3_600_000,
        loginMaxFailuresPerAccount: 5,
        loginMaxFailuresPerIp: 100,
        loginWindowMs: 60_000,
        signupMaxPerIp: 100,
        now: () => now,
      });
      const r = await stronger.signIn({ handle: p.handle, password: p.password }, ctx);
      assert.equal(r.rehashed, true);
      const row = await store.db
        .selectFrom('accounts')
        .select('password_hash')
        .where('id', '=', r.account.id)
        .executeTakeFirstOrThrow();
      assert.match(row.password_hash, /^\$argon2id\$v=19\$m=9216,t=1,p=1\$/);
      const again = await stronger.signIn({ handle: p.handle, password: p.password }, ctx);
      assert.equal(again.rehashed, false);
    });

    test('operator API keys: stored hashed, scoped, revocable', async () => {
      const keys = new KeyService(store.db);
      const { key, view } = await keys.create('platform backend', ['accounts:read']);
      assert.match(key, /^ghk_[0-9a-f]{16}_/);
      const row = await store.db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', view.id)
        .executeTakeFirstOrThrow();
      assert.ok(!row.key_hash.includes(key.slice(22)));
      assert.equal((await keys.verify(key, 'accounts:read')).id, view.id);
      await assert.rejects(
        keys.verify(key, 'accounts:write'),
        (e: GatehouseError) => e.code === 'API_KEY_SCOPE',
      );
      await assert.rejects(
        keys.verify(key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A'), 'accounts:read'),
        (e: GatehouseError) => e.code === 'API_KEY_INVALID',
      );
      await keys.revoke(view.id);
      await assert.rejects(
        keys.verify(key, 'accounts:read'),
        (e: GatehouseError) => e.code === 'API_KEY_INVALID',
      );
      await assert.rejects(keys.revoke(view.id), (e: GatehouseError) => e.code === 'KEY_NOT_FOUND');
      assert.equal((await keys.list()).find((k) => k.id === view.id)!.revokedAt !== null, true);
    });

    test('a failed transaction writes neither state nor event', async () => {
      const n = await outboxStore.countUnpublished(store.db);
      await assert.rejects(
        store.db.transaction().execute(async (tx) => {
          await outboxStore.append(tx, [
            {
              id: 'evt-rollback',
              type: 'account.created',
              time: now,
              account: 'x',
              handle: 'x',
              displayName: 'x',
            },
          ]);
          throw new Error('boom');
        }),
      );
      assert.equal(await outboxStore.countUnpublished(store.db), n);
    });
  });
}

test('SQLite transactions take the write lock when they begin (a read-then-write transaction cannot lose to another connection)', async () => {
  const { tempDir } = await import('../testing/index.ts');
  const { openStore } = await import('./index.ts');
  const { default: Database } = await import('better-sqlite3');
  const { sql } = await import('kysely');
  const { dir, cleanup } = tempDir();
  const path = `${dir}/lock.db`;
  const store = openStore({ kind: 'sqlite', path });
  const other = new Database(path);
  try {
    await sql`create table t (x integer)`.execute(store.db);
    other.pragma('busy_timeout = 0');
    await store.db.transaction().execute(async (tx) => {
      await sql`select count(*) from t`.execute(tx);
      // only read so far, yet the lock is held: another writer must wait (here: fail at once)
      assert.throws(() => other.exec('begin immediate'), /SQLITE_BUSY|database is locked/);
      await sql`insert into t values (1)`.execute(tx);
    });
    other.exec('begin immediate; insert into t values (2); commit');
    assert.equal((other.prepare('select count(*) as n from t').get() as { n: number }).n, 2);
  } finally {
    other.close();
    await store.close();
    cleanup();
  }
});
