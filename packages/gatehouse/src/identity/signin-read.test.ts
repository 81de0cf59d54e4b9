// What a sign-in reads of its account before it checks anything, on SQLite and PostgreSQL: one statement
// gives the account (by handle key or id), when it last signed in from the network and the device named,
// and its second factors (a confirmed authenticator app only; passkeys counted); the sign-in guard takes
// those times instead of reading them again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresSkip, testIdentity, testStore, type Backend } from '../testing/index.ts';
import type { Store } from '../store/index.ts';
import { deviceKey } from './limits.ts';
import { identityStore as q, signInStatements } from './store.ts';

const CTX = { ip: '198.51.100.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0' };
const DEVICE = `ghd_${'d'.repeat(43)}`;

function suite(backend: Backend) {
  describe(`sign-in reads on ${backend}`, () => {
    let s: { store: Store; cleanup: () => Promise<void> } | undefined;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (!skip) s = await testStore(backend);
    });
    after(async () => s?.cleanup());

    test('one statement: the account, its known network and device, its second factors', async (tt) => {
      if (skip) return tt.skip(skip);
      const db = s!.store.db;
      const id = testIdentity(db);
      const a = await id.createAccount({ handle: `read.${backend}`, password: 'a long passphrase 42' }, CTX);
      const other = await id.createAccount(
        { handle: `other.${backend}`, password: 'a long passphrase 43' },
        CTX,
      );
      const ctx = { network: '198.51.100.0/24', deviceKey: deviceKey(DEVICE) };
      const fresh = await q.accountForSignIn(db, { handleKey: a.handle }, ctx);
      assert.equal(fresh!.account.id, a.id);
      assert.equal(fresh!.account.password_hash.startsWith('$argon2id$'), true);
      assert.deepEqual(fresh!.seen, { network: undefined, device: undefined });
      assert.deepEqual(fresh!.factors, { totp: false, passkeys: 0 });
      assert.equal(await q.accountForSignIn(db, { handleKey: 'nobody.here' }, ctx), undefined);

      await q.rememberContexts(
        db,
        a.id,
        [
          { kind: 'network', key: '198.51.100.0/24' },
          { kind: 'device', key: deviceKey(DEVICE) },
        ],
        1_000,
      );
      await q.rememberContexts(db, other.id, [{ kind: 'network', key: '203.0.113.0/24' }], 2_000);
      // an enrolment not confirmed yet is no second factor; another account's factors are not this one's
      await db
        .insertInto('totp_factors')
        .values({ account_id: a.id, secret_sealed: 'x', confirmed_at: null, last_step: 0, created_at: 1 })
        .execute();
      const passkey = (n: number, account: string) => ({
        id: `cred-${backend}-${account}-${n}`,
        account_id: account,
        name: `key ${n}`,
        public_key: 'AA',
        counter: 0,
        transports: '[]',
        backed_up: 0,
        created_at: n,
        last_used_at: null,
      });
      await db
        .insertInto('passkeys')
        .values([passkey(1, a.id), passkey(2, a.id), passkey(3, other.id)])
        .execute();
      const known = await q.accountForSignIn(db, { id: a.id }, ctx);
      assert.equal(known!.account.handle, a.handle);
      assert.deepEqual(known!.seen, { network: 1_000, device: 1_000 });
      assert.deepEqual(known!.factors, { totp: false, passkeys: 2 });
      await db.updateTable('totp_factors').set({ confirmed_at: 5 }).where('account_id', '=', a.id).execute();
      const noDevice = await q.accountForSignIn(db, { handleKey: a.handle }, { network: '203.0.113.0/24' });
      assert.deepEqual(
        noDevice!.seen,
        { network: undefined, device: undefined },
        "another account's network",
      );
      assert.deepEqual(noDevice!.factors, { totp: true, passkeys: 2 });

      // the guard takes the times read instead of reading them again, with the same outcome
      const attempt = { handleKey: a.handle, ip: CTX.ip, deviceToken: DEVICE, accountId: a.id };
      const own = await id.guard.reserve(attempt);
      const given = await id.guard.reserve({ ...attempt, seen: known!.seen });
      assert.deepEqual(given.known, own.known);
      assert.deepEqual(given.known, { network: false, device: true });
      assert.deepEqual(given.seen, own.seen);
      const noToken = await id.guard.reserve({ ...attempt, deviceToken: undefined, seen: noDevice!.seen });
      assert.deepEqual(noToken.known, { network: false, device: false });

      // a whole sign-in and a request with its session: every statement on the way compiled once
      const third = await id.createAccount(
        { handle: `third.${backend}`, password: 'a long passphrase 44' },
        CTX,
      );
      const signed = await id.signIn({ handle: third.handle, password: 'a long passphrase 44' }, CTX);
      assert.equal((await id.authenticate(signed.token)).session.id, signed.session.id);
      for (const [name, st] of Object.entries(signInStatements))
        assert.equal(st.fixedShapes(db), 1, `${name}: one fixed shape`);
    });
  });
}

suite('sqlite');
suite('postgres');
