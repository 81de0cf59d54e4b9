// The identity service at its edges, on SQLite and PostgreSQL (each test with accounts of its own):
// handle rules with reasons in both languages, sign-ups limited per IP, and the sign-in history paged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GatehouseError } from '../errors/index.ts';
import type { Store } from '../store/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { testIdentity, testStore } from '../testing/index.ts';

const ctx = (ip: string) => ({ ip, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' });

describeBackends('identity service', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let now = 1_900_000_000_000;
  before(async () => {
    ({ store, cleanup } = await testStore(backend));
  });
  after(async () => cleanup?.());

  test('handles: 3-32 of letters, digits, "_", "." or "-", refused with reasons in English and Chinese; stored NFKC', async () => {
    const identity = testIdentity(store.db, { now: () => now });
    for (const handle of ['ab', 'x'.repeat(33), 'has space', 'emoji😀x', 'semi;colon', ''])
      await assert.rejects(
        identity.createAccount({ handle, password: 'correct horse battery' }, ctx('192.0.2.1')),
        (e: GatehouseError) => {
          assert.equal(e.code, 'VALIDATION_FAILED', handle);
          assert.equal(e.extra?.field, 'handle');
          assert.match(String(e.extra?.zh), /用户名/);
          return true;
        },
      );
    const a = await identity.createAccount(
      { handle: 'ｗｉｄｅ.ｈａｎｄｌｅ', displayName: '  王 芳  ', password: 'correct horse battery' },
      ctx('192.0.2.1'),
    );
    assert.equal(a.handle, 'wide.handle');
    assert.equal(a.displayName, '王 芳', 'trimmed');
    const b = await identity.createAccount(
      { handle: 'no.name', displayName: '   ', password: 'correct horse battery' },
      ctx('192.0.2.1'),
    );
    assert.equal(b.displayName, 'no.name', 'an empty display name falls back to the handle');
    assert.equal((await identity.findByHandle('WIDE.HANDLE'))?.id, a.id);
  });

  test('sign-ups are limited per IP (RATE_LIMITED with Retry-After); another IP is not affected', async () => {
    const identity = testIdentity(store.db, { now: () => now, signupMaxPerIp: 2 });
    for (const h of ['ip.one', 'ip.two'])
      await identity.createAccount({ handle: h, password: 'correct horse battery' }, ctx('198.51.100.9'));
    await assert.rejects(
      identity.createAccount({ handle: 'ip.three', password: 'correct horse battery' }, ctx('198.51.100.9')),
      (e: GatehouseError) => e.code === 'RATE_LIMITED' && Number(e.headers?.['retry-after']) > 0,
    );
    assert.equal(await identity.findByHandle('ip.three'), undefined, 'nothing was created');
    await identity.createAccount(
      { handle: 'ip.three', password: 'correct horse battery' },
      ctx('198.51.100.10'),
    );
  });

  test('the sign-in history is newest first, paged with `before`, and records failures with their reason', async () => {
    const identity = testIdentity(store.db, { now: () => now });
    const acc = await identity.createAccount(
      { handle: 'history.owner', password: 'correct horse battery' },
      ctx('203.0.113.5'),
    );
    for (let i = 0; i < 5; i++) {
      now += 60_000;
      await identity.signIn(
        { handle: 'history.owner', password: 'correct horse battery' },
        ctx(`203.0.113.${10 + i}`),
      );
    }
    now += 60_000;
    await assert.rejects(
      identity.signIn({ handle: 'history.owner', password: 'not it at all' }, ctx('203.0.113.99')),
    );
    const all = await identity.signins(acc.id);
    assert.equal(all.length, 6);
    assert.deepEqual(
      all.map((s) => s.reason),
      ['wrong_password', 'ok', 'ok', 'ok', 'ok', 'ok'],
    );
    assert.equal(all[0]!.ip, '203.0.113.99');
    assert.ok(all.every((s, i) => i === 0 || s.at <= all[i - 1]!.at));
    const page1 = await identity.signins(acc.id, 2);
    const page2 = await identity.signins(acc.id, 2, page1.at(-1)!.seq);
    assert.deepEqual(
      [...page1, ...page2].map((s) => s.seq),
      all.slice(0, 4).map((s) => s.seq),
    );
    assert.equal((await identity.signins(acc.id, 0)).length, 1, 'the limit is at least 1');
  });
});
