// The "new sign-in from …, was this you?" notice (notify's signin.new), over HTTP on SQLite and
// PostgreSQL: the owner's first sign-in teaches the account its device and network; a sign-in from a new
// network is announced with what is new about it; the same device coming back with its device token on a
// known network is not. The check reads only the contexts a sign-in names (never every context).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresSkip, type Backend } from '../testing/index.ts';
import { harness, INTRUDER, ok, OWNER, PASSWORD, signUp, type Harness } from '../recovery/attack-harness.ts';

function suite(backend: Backend) {
  describe(`new sign-in notices on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend);
    });
    after(async () => h?.cleanup());

    const notices = async (account: string) =>
      (
        await h.gh.store.db
          .selectFrom('notify_notices')
          .select(['params'])
          .where('account_id', '=', account)
          .where('kind', '=', 'signin.new')
          .execute()
      ).map((n) => JSON.parse(n.params) as { novel: string[]; network: string });

    test('a new network is announced with what is new; the known device on a known network is not', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `notice.${backend}`);
      const signin = (from: { ip: string; ua: string }, deviceToken?: string) =>
        h.call('POST', '/v1/auth/signin', {
          body: { handle: a.handle, password: PASSWORD, ...(deviceToken ? { deviceToken } : {}) },
          from,
        });
      const first = ok(await signin(OWNER));
      const device = first.json.deviceToken as string;
      assert.deepEqual(await notices(a.id), [], 'the first sign-in teaches, it announces nothing');
      ok(await signin(OWNER, device));
      assert.deepEqual(await notices(a.id), [], 'the same device on the same network');
      ok(await signin(INTRUDER));
      const n = await notices(a.id);
      assert.equal(n.length, 1);
      assert.deepEqual(n[0]!.novel.sort(), ['device', 'network']);
      assert.equal(n[0]!.network, '203.0.113.0/24');
      // the owner's device again, on its usual network: nothing new
      ok(await signin(OWNER, device));
      assert.equal((await notices(a.id)).length, 1);
    });
  });
}

suite('sqlite');
suite('postgres');
