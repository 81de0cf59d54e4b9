// Operator API keys at the service level, on SQLite and PostgreSQL: scopes parsed strictly, admin
// covers every scope, a key of another id or with a changed secret never verifies, revocation and
// creation are audited with their actor, last use is recorded at most once a minute, and a key is
// never stored in the clear. Each test creates its own keys.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GatehouseError } from '../errors/index.ts';
import type { Store } from '../store/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { testStore } from '../testing/index.ts';
import { KeyService, parseScopes, VERIFIED_TTL_MS } from './index.ts';

test('scopes are parsed strictly: known names only, at least one, duplicates merged', () => {
  assert.deepEqual(parseScopes(' accounts:read, events:write ,accounts:read'), [
    'accounts:read',
    'events:write',
  ]);
  for (const bad of ['', ' , ', 'accounts:read,root', 'ACCOUNTS:READ'])
    assert.throws(
      () => parseScopes(bad),
      (e: GatehouseError) => e.code === 'VALIDATION_FAILED',
      JSON.stringify(bad),
    );
});

describeBackends('API keys', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let now = 1_900_000_000_000;
  let keys: KeyService;
  before(async () => {
    ({ store, cleanup } = await testStore(backend));
    keys = new KeyService(store.db, () => now);
  });
  after(async () => cleanup?.());

  const invalid = (e: GatehouseError) => e.code === 'API_KEY_INVALID';

  test('admin covers every scope; other keys only theirs, with the missing scope named', async () => {
    const admin = await keys.create('ops admin', ['admin']);
    for (const s of ['accounts:read', 'accounts:write', 'events:write', 'incidents:write'] as const)
      assert.equal((await keys.verify(admin.key, s)).id, admin.view.id);
    const reader = await keys.create('reader', ['accounts:read']);
    await assert.rejects(keys.verify(reader.key, 'accounts:write'), (e: GatehouseError) => {
      assert.equal(e.code, 'API_KEY_SCOPE');
      assert.match(e.message, /accounts:write/);
      return true;
    });
  });

  test('a forged key never verifies: malformed, unknown id, another key id with a valid secret, one changed character', async () => {
    const a = await keys.create('a', ['accounts:read']);
    const b = await keys.create('b', ['accounts:read']);
    const secretOf = (k: string) => k.slice(21);
    const forged = [
      '',
      'ghk_',
      `ghk_${'0'.repeat(16)}_${secretOf(a.key)}`,
      `ghk_${b.view.id}_${secretOf(a.key)}`,
      a.key.slice(0, -2) + (a.key.endsWith('AA') ? 'BB' : 'AA'),
      a.key.toUpperCase(),
      `${a.key} `,
    ];
    for (const k of forged) await assert.rejects(keys.verify(k, 'accounts:read'), invalid, JSON.stringify(k));
    assert.equal((await keys.verify(a.key, 'accounts:read')).id, a.view.id, 'the real key still works');
  });

  test('stored as a hash only; creation and revocation are audited with the actor; a revoked key fails at once', async () => {
    const { key, view } = await keys.create('x'.repeat(150), ['events:write'], 'key:operator-1');
    assert.equal(view.name.length, 100, 'names are capped');
    const row = await store.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', view.id)
      .executeTakeFirstOrThrow();
    assert.match(row.key_hash, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(row).includes(key.slice(21)), 'the secret is not stored');
    await keys.revoke(view.id, 'key:operator-2');
    await assert.rejects(keys.verify(key, 'events:write'), invalid);
    await assert.rejects(keys.revoke(view.id), (e: GatehouseError) => e.code === 'KEY_NOT_FOUND');
    await assert.rejects(keys.revoke('no-such-key'), (e: GatehouseError) => e.code === 'KEY_NOT_FOUND');
    const audit = await store.db
      .selectFrom('audit_log')
      .select(['actor', 'action', 'data'])
      .where('subject', '=', view.id)
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      audit.map((x) => `${x.actor} ${x.action}`),
      ['key:operator-1 api_key.create', 'key:operator-2 api_key.revoke'],
    );
    assert.ok(!audit.some((x) => x.data.includes(key.slice(21))), 'the secret is not in the audit log');
  });

  test('last use is recorded, at most once a minute', async () => {
    const { key, view } = await keys.create('touch', ['accounts:read']);
    const lastUsed = async () => (await keys.list()).find((k) => k.id === view.id)!.lastUsedAt;
    assert.equal(await lastUsed(), null);
    const t1 = now;
    await keys.verify(key, 'accounts:read');
    assert.equal(await lastUsed(), t1);
    now += 30_000;
    await keys.verify(key, 'accounts:read');
    assert.equal(await lastUsed(), t1, 'not rewritten within the minute');
    now += 31_000;
    await keys.verify(key, 'accounts:read');
    assert.equal(await lastUsed(), now);
  });

  test('a verified key is remembered for VERIFIED_TTL_MS: revoked here it fails at once, revoked by another process within that time', async () => {
    const { key, view } = await keys.create('remembered', ['accounts:read']);
    await keys.verify(key, 'accounts:read');
    assert.equal(keys.verifiedNow(key, 'accounts:read')?.id, view.id, 'answered from memory');
    assert.equal(keys.verifiedNow(`${key.slice(0, -1)}x`, 'accounts:read'), undefined, 'only the exact key');
    assert.throws(
      () => keys.verifiedNow(key, 'accounts:write'),
      (e: GatehouseError) => e.code === 'API_KEY_SCOPE',
    );
    // another process (the CLI) revokes it: this one notices when the memory expires
    await new KeyService(store.db, () => now).revoke(view.id, 'cli');
    assert.equal((await keys.verify(key, 'accounts:read')).id, view.id);
    now += VERIFIED_TTL_MS + 1;
    await assert.rejects(keys.verify(key, 'accounts:read'), invalid);
    assert.equal(keys.verifiedNow(key, 'accounts:read'), undefined, 'a refused key is not remembered');

    const b = await keys.create('revoked here', ['accounts:read']);
    await keys.verify(b.key, 'accounts:read');
    await keys.revoke(b.view.id);
    assert.equal(keys.verifiedNow(b.key, 'accounts:read'), undefined);
    await assert.rejects(keys.verify(b.key, 'accounts:read'), invalid);
  });
});
