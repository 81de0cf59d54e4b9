// Issue 12 item 6, over HTTP on SQLite and PostgreSQL: the device of a sign-in is its long-lived device
// token, not its user-agent. Two browsers with the same user-agent are two devices; one device keeps its
// id across networks; the token itself never appears in events or session records.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { harness, ok, OWNER, PASSWORD, signUp, type Harness } from '../recovery/attack-harness.ts';
import { postgresSkip, type Backend } from '../testing/index.ts';

function suite(backend: Backend) {
  describe(`device ids on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend);
      // the outbox carries an identity event only when a bus subscriber consumes it (identity/core.ts):
      // this test reads login.succeeded there, as a subscriber gets it
      h.gh.bus.subscribe('login.succeeded', () => undefined);
    });
    after(async () => h?.cleanup());

    test('the device token, not the user-agent, is the device', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `devices.${backend}`);
      const signin = (deviceToken?: string, from = OWNER) =>
        h.call('POST', '/v1/auth/signin', {
          body: { handle: a.handle, password: PASSWORD, ...(deviceToken ? { deviceToken } : {}) },
          from,
        });
      const first = ok(await signin());
      const token = first.json.deviceToken as string;
      const id1 = (first.json.session as { device: { id?: string } }).device.id;
      assert.match(id1 ?? '', /^dev_[0-9a-f]{24}$/);
      // the same device on another network keeps its id
      const again = ok(await signin(token, { ip: '100.64.77.1', ua: OWNER.ua }));
      assert.equal((again.json.session as { device: { id?: string } }).device.id, id1);
      // another browser with the very same user-agent is another device
      const other = ok(await signin());
      const id2 = (other.json.session as { device: { id?: string; label: string } }).device;
      assert.notEqual(id2.id, id1);
      assert.equal(id2.label, (first.json.session as { device: { label: string } }).device.label);
      // events carry the id, never the token
      const events = await h.gh.store.db
        .selectFrom('outbox')
        .select('payload')
        .where('type', '=', 'login.succeeded')
        .where('account', '=', a.id)
        .execute();
      assert.equal(events.length, 3);
      for (const e of events) assert.ok(!e.payload.includes(token), 'the device token never leaves');
      assert.deepEqual(
        events.map((e) => (JSON.parse(e.payload) as { device: { id: string } }).device.id).sort(),
        [id1, id1, id2.id].sort(),
      );
    });
  });
}

suite('sqlite');
suite('postgres');
