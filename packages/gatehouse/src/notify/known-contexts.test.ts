// The contexts a sign-in is compared with (notify's known contexts), on SQLite and PostgreSQL: one read
// answers, for each context the sign-in names, whether its value and its kind are known and when the
// value was last seen; a sign-in whose every context was seen within the hour writes nothing more, and
// the first one after the hour moves their last-seen time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresSkip, testStore, type Backend } from '../testing/index.ts';
import type { Store } from '../store/index.ts';
import { CONTEXT_NOTE_EVERY_MS, deviceKey, noteSignInTx, type SignInFacts } from './producers.ts';
import { contextStatements, notifyStore as q } from './store.ts';

const CHROME = { label: 'Chrome on Windows', browser: 'Chrome 126', os: 'Windows 10', deviceType: 'desktop' };

function suite(backend: Backend) {
  describe(`known sign-in contexts on ${backend}`, () => {
    let s: { store: Store; cleanup: () => Promise<void> } | undefined;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (!skip) s = await testStore(backend);
    });
    after(async () => s?.cleanup());

    const signIn = (f: Partial<SignInFacts> & { account: string; at: number }) =>
      s!.store.db.transaction().execute((tx) =>
        noteSignInTx(tx, {
          session: `ses_${f.at}`,
          method: 'password',
          ip: '198.51.100.7',
          device: CHROME,
          ...f,
        }),
      );
    const rows = (account: string) =>
      s!.store.db
        .selectFrom('notify_known_contexts')
        .select(['kind', 'value', 'first_seen_at', 'last_seen_at'])
        .where('account_id', '=', account)
        .orderBy('kind')
        .orderBy('value')
        .execute();

    test('one read says which values and kinds are known and when each value was last seen', async (tt) => {
      if (skip) return tt.skip(skip);
      const db = s!.store.db;
      const none = await q.contextsSeen(db, 'acc_ctx_read', []);
      assert.equal(none.kinds.size + none.values.size + none.lastSeen.size, 0);
      await q.noteContexts(
        db,
        'acc_ctx_read',
        [
          { kind: 'network', value: '198.51.100.0/24' },
          { kind: 'device', value: 'Chrome|Windows|desktop' },
        ],
        'ses_1',
        1_000,
      );
      await q.noteContexts(db, 'acc_ctx_other', [{ kind: 'country', value: 'CN' }], 'ses_2', 2_000);
      const r = await q.contextsSeen(db, 'acc_ctx_read', [
        { kind: 'network', value: '198.51.100.0/24' },
        { kind: 'device', value: 'Firefox|Linux|desktop' },
        { kind: 'country', value: 'CN' },
      ]);
      assert.deepEqual([...r.kinds].sort(), ['device', 'network']);
      assert.deepEqual([...r.values], ['network|198.51.100.0/24']);
      assert.deepEqual([...r.lastSeen], [['network|198.51.100.0/24', 1_000]]);
    });

    test('a sign-in seen within the hour writes no context; after the hour it moves last-seen; new ones are announced', async (tt) => {
      if (skip) return tt.skip(skip);
      const account = 'acc_ctx_hour';
      const t0 = 1_700_000_000_000;
      assert.deepEqual((await signIn({ account, at: t0 })).novel, [], 'the first sign-in teaches');
      const first = await rows(account);
      assert.deepEqual(
        first.map((r) => [r.kind, r.value, Number(r.last_seen_at)]),
        [
          ['device', deviceKey(CHROME), t0],
          ['network', '198.51.100.0/24', t0],
        ],
      );
      const again = await signIn({ account, at: t0 + CONTEXT_NOTE_EVERY_MS - 1 });
      assert.deepEqual(again, { novel: [] });
      assert.deepEqual(await rows(account), first, 'nothing written within the hour');
      await signIn({ account, at: t0 + CONTEXT_NOTE_EVERY_MS });
      assert.deepEqual(
        (await rows(account)).map((r) => [Number(r.first_seen_at), Number(r.last_seen_at)]),
        [
          [t0, t0 + CONTEXT_NOTE_EVERY_MS],
          [t0, t0 + CONTEXT_NOTE_EVERY_MS],
        ],
      );
      // a new network (the device still known): announced, and remembered
      const t1 = t0 + CONTEXT_NOTE_EVERY_MS + 5;
      const moved = await signIn({ account, at: t1, ip: '203.0.113.9' });
      assert.deepEqual(moved.novel, ['network']);
      assert.ok(moved.notice);
      const after = await rows(account);
      assert.deepEqual(
        after.map((r) => [r.kind, r.value, Number(r.last_seen_at)]),
        [
          ['device', deviceKey(CHROME), t1],
          ['network', '198.51.100.0/24', t0 + CONTEXT_NOTE_EVERY_MS],
          ['network', '203.0.113.0/24', t1],
        ],
      );
    });

    test('the read and the writes are compiled once per number of contexts, never per value', async (tt) => {
      if (skip) return tt.skip(skip);
      const db = s!.store.db;
      const statements = Object.entries(contextStatements);
      const shapes = () => statements.map(([name, st]) => [name, st.fixedShapes(db)]);
      const round = async (n: number) => {
        for (let i = 0; i < 3; i++) {
          const account = `acc_ctx_shape${n}_${i}`;
          await signIn({ account, at: 1_000 + i, ip: `192.0.${n}.${i}` });
          await signIn({ account, at: 2_000 + i, country: i % 2 ? 'CN' : 'IN' });
          await q.pruneContexts(db, account, 1_500);
        }
      };
      await round(1);
      const once = shapes();
      assert.ok(
        once.every(([, n]) => Number(n) >= 1),
        `each statement has a fixed shape: ${JSON.stringify(once)}`,
      );
      await round(2);
      assert.deepEqual(shapes(), once, 'other accounts, networks and countries: no new shape');
      assert.deepEqual(
        (await rows('acc_ctx_shape2_0')).map((r) => [r.kind, r.value]),
        [
          ['country', 'IN'],
          ['device', deviceKey(CHROME)],
          ['network', '198.51.100.0/24'],
        ],
        'the network not seen since was pruned',
      );
    });
  });
}

suite('sqlite');
suite('postgres');
