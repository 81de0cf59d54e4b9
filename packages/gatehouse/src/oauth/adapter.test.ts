/**
 * The Kysely adapter on SQLite and PostgreSQL: every method the provider calls, hashed credential ids,
 * sealed ids for the lookups by uid and user code, expiry, atomic consumption, grant revocation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Adapter } from 'oidc-provider';
import { hashToken } from '../crypto/index.ts';
import type { Store } from '../store/index.ts';
import { postgresSkip, testStore, type Backend } from '../testing/index.ts';
import { SecretBox } from '../webhooks/index.ts';
import { kyselyAdapter } from './adapter.ts';
import { SigningKeys } from './keys.ts';
import { oauthStore } from './store.ts';
import { appRow } from './test-fixture.ts';

const box = new SecretBox(Buffer.alloc(32, 7));

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`oauth adapter (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    let store: Store;
    let cleanup: () => Promise<void>;
    let now = 1_800_000_000_000;
    let A: new (name: string) => Adapter;
    const reused: string[] = [];
    before(async () => {
      if (skip) return;
      ({ store, cleanup } = await testStore(backend));
      await oauthStore.insertApp(store.db, appRow('app_known', 'active', now));
      await oauthStore.insertApp(store.db, appRow('app_suspended', 'suspended', now));
      A = kyselyAdapter(store.db, box, {
        client: async (id) => (id === 'app_known' ? { client_id: id } : undefined),
        onReuse: async (_tx, r) => void reused.push(`${r.model}:${r.grantId}`),
        now: () => now,
      });
    });
    after(async () => {
      if (!skip) await cleanup();
    });

    test(
      'every model: upsert, find, destroy; credential ids are stored only as hashes',
      { skip },
      async () => {
        for (const model of [
          'AccessToken',
          'RefreshToken',
          'AuthorizationCode',
          'Interaction',
          'PushedAuthorizationRequest',
          'ClientCredentials',
          'BackchannelAuthenticationRequest',
          'RegistrationAccessToken',
          'InitialAccessToken',
        ]) {
          const a = new A(model);
          const id = `${model}-secret-value-0123456789`;
          await a.upsert(
            id,
            { jti: id, accountId: 'acc_1', clientId: 'app_known', grantId: 'g1', iat: 1, exp: 2 },
            60,
          );
          const got = await a.find(id);
          assert.equal(got?.jti, id, model);
          assert.equal(got?.accountId, 'acc_1');
          const raw = await store.db
            .selectFrom('oauth_models')
            .selectAll()
            .where('model', '=', model)
            .execute();
          assert.equal(raw.length, 1);
          assert.equal(raw[0]!.id, hashToken(id), `${model} row key is the hash`);
          assert.ok(!raw[0]!.payload.includes(id), `${model} payload holds no raw id`);
          await a.destroy(id);
          assert.equal(await a.find(id), undefined);
        }
      },
    );

    test(
      'Session by uid and DeviceCode by user code give the id back (sealed), nothing raw stored',
      { skip },
      async () => {
        const s = new A('Session');
        await s.upsert(
          'session-cookie-value-123',
          { jti: 'session-cookie-value-123', uid: 'uid-1', accountId: 'acc_1' },
          60,
        );
        assert.equal((await s.findByUid('uid-1'))?.jti, 'session-cookie-value-123');
        const d = new A('DeviceCode');
        await d.upsert(
          'device-code-secret-abc',
          { jti: 'device-code-secret-abc', userCode: 'BCDFGHJK', clientId: 'app_known', grantId: 'g2' },
          60,
        );
        const found = await d.findByUserCode('BCDFGHJK');
        assert.equal(found?.jti, 'device-code-secret-abc');
        assert.equal(await d.findByUserCode('BCDFGHJX'), undefined);
        const raw = await store.db
          .selectFrom('oauth_models')
          .selectAll()
          .where('model', 'in', ['Session', 'DeviceCode'])
          .execute();
        for (const r of raw) {
          assert.ok(
            !r.payload.includes('session-cookie-value-123') && !r.payload.includes('device-code-secret-abc'),
          );
          assert.notEqual(r.user_code, 'BCDFGHJK');
        }
      },
    );

    test(
      'consume marks once; a second consume (a concurrent replay) revokes the grant and is refused',
      { skip },
      async () => {
        const code = new A('AuthorizationCode');
        const at = new A('AccessToken');
        await code.upsert(
          'code-1',
          { jti: 'code-1', grantId: 'g3', clientId: 'app_known', accountId: 'acc_1' },
          60,
        );
        await at.upsert(
          'at-1',
          { jti: 'at-1', grantId: 'g3', clientId: 'app_known', accountId: 'acc_1' },
          60,
        );
        await new A('Grant').upsert('g3', { jti: 'g3', clientId: 'app_known', accountId: 'acc_1' }, 600);
        await code.consume('code-1');
        assert.ok((await code.find('code-1'))?.consumed);
        await assert.rejects(
          code.consume('code-1'),
          (e: Error & { error?: string }) => e.error === 'invalid_grant',
        );
        assert.equal(await at.find('at-1'), undefined, 'tokens of the grant revoked');
        assert.equal(await new A('Grant').find('g3'), undefined, 'the grant itself revoked');
        assert.deepEqual(reused, ['AuthorizationCode:g3']);
      },
    );

    test(
      "a suspended (or unknown) app's grants, tokens and codes are refused with the spec's error, nothing saved",
      { skip },
      async () => {
        const expect: Array<[string, string]> = [
          ['AccessToken', 'invalid_grant'],
          ['RefreshToken', 'invalid_grant'],
          ['AuthorizationCode', 'access_denied'],
          ['DeviceCode', 'access_denied'],
          ['Grant', 'access_denied'],
        ];
        for (const clientId of ['app_suspended', 'app_never_registered'])
          for (const [model, error] of expect) {
            const a = new A(model);
            const id = `${model}-${clientId}-refused`;
            await assert.rejects(
              a.upsert(id, { jti: id, clientId, accountId: 'acc_1', grantId: 'g-refused' }, 60),
              (e: Error & { error?: string; status?: number }) => e.error === error && e.status === 400,
              `${model} of ${clientId}`,
            );
          }
        const left = await store.db
          .selectFrom('oauth_models')
          .select('model')
          .where('client_id', 'in', ['app_suspended', 'app_never_registered'])
          .execute();
        assert.deepEqual(left, []);
        // the same models of the active app are saved
        await new A('AccessToken').upsert('at-ok', { jti: 'at-ok', clientId: 'app_known' }, 60);
        assert.ok(await new A('AccessToken').find('at-ok'));
      },
    );

    test("revokeByGrantId removes that model's rows of one grant only", { skip }, async () => {
      const rt = new A('RefreshToken');
      await rt.upsert('rt-a', { jti: 'rt-a', grantId: 'gA' }, 60);
      await rt.upsert('rt-b', { jti: 'rt-b', grantId: 'gB' }, 60);
      await rt.revokeByGrantId('gA');
      assert.equal(await rt.find('rt-a'), undefined);
      assert.ok(await rt.find('rt-b'));
    });

    test('expired rows are kept an hour (so "expired" is told apart), then gone', { skip }, async () => {
      const a = new A('AuthorizationCode');
      await a.upsert('old-code', { jti: 'old-code' }, 60);
      now += 61_000;
      assert.ok(await a.find('old-code'));
      now += 3_600_000;
      assert.equal(await a.find('old-code'), undefined);
    });

    test('a replayed DPoP proof id is refused at insert (no find-then-save race)', { skip }, async () => {
      const r = new A('ReplayDetection');
      await r.upsert('jti-1', { jti: 'jti-1', iss: 'app_known' }, 60);
      await assert.rejects(
        r.upsert('jti-1', { jti: 'jti-1', iss: 'app_known' }, 60),
        (e: Error & { error?: string }) => e.error === 'invalid_dpop_proof',
      );
    });

    test('Client comes from the registry hook; unknown clients are undefined', { skip }, async () => {
      const c = new A('Client');
      assert.deepEqual(await c.find('app_known'), { client_id: 'app_known' });
      assert.equal(await c.find('app_unknown'), undefined);
    });

    test(
      'signing keys: sealed at rest, rotation keeps the old key published until the overlap ends',
      { skip },
      async () => {
        const keys = new SigningKeys(store.db, box, () => now);
        await keys.ensure();
        await keys.ensure();
        let list = await keys.list();
        assert.deepEqual(list.map((k) => k.alg).sort(), ['ES256', 'RS256']);
        const first = await keys.jwks();
        assert.ok(first.keys.every((k) => typeof k.d === 'string' && !k.key_ops));
        await keys.rotate(3_600_000);
        list = await keys.list();
        assert.equal(list.length, 4);
        const jwks = await keys.jwks();
        assert.deepEqual(
          jwks.keys.slice(0, 2).map((k) => k.key_ops),
          [undefined, undefined],
          'new keys sign',
        );
        assert.deepEqual(
          jwks.keys.slice(2).map((k) => k.key_ops),
          [['verify'], ['verify']],
          'old keys only verify',
        );
        now += 3_600_001;
        assert.equal((await keys.list()).length, 2, 'after the overlap the old keys are no longer published');
        const other = new SigningKeys(store.db, new SecretBox(Buffer.alloc(32, 8)), () => now);
        await assert.rejects(other.jwks(), /SECRET_KEY_INVALID|cannot be decrypted/);
      },
    );
  });
}
