// Over HTTP, on SQLite and PostgreSQL: events and pre-send checks that name an account id Gatehouse
// never gave out are accepted with an `unknown_account` warning (and counted in /metrics); a
// platform that sends Gatehouse's ids gets none; a check without `time` is checked as of now.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { postgresSkip, testGatehouse, type Backend } from '../testing/index.ts';

const client = { kind: 'mobile', name: 'Chat', version: '3.1' };

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`account ids in events and checks (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    let gh: Gatehouse;
    let cleanup: () => Promise<void>;
    let url: string;
    let key: string;
    let alice: string;
    let bob: string;

    async function call(method: string, path: string, body?: unknown) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
    }
    async function signUp(handle: string): Promise<string> {
      const res = await fetch(`${url}/v1/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ handle, password: 'tangerine umbrella 8431 quietly folds' }),
      });
      assert.equal(res.status, 201);
      return ((await res.json()) as { id: string }).id;
    }
    async function unknownCount(route: string): Promise<number> {
      const text = (await (await fetch(`${url}/metrics`)).text()).split('\n');
      const line = text.find((l) => l.startsWith(`gatehouse_unknown_account_events_total{route="${route}"}`));
      return line ? Number(line.split(' ').at(-1)) : 0;
    }
    const message = (id: string, account: string, extra: Record<string, unknown> = {}) => ({
      id,
      type: 'message.sent',
      time: Date.now(),
      account,
      recipients: [bob],
      text: 'see you at the station at seven',
      client,
      ...extra,
    });

    before(async () => {
      if (skip) return;
      ({ gh, cleanup } = await testGatehouse(backend));
      url = await gh.listen();
      key = (await gh.keys.create('platform', ['events:write', 'accounts:read'])).key;
      alice = await signUp('alice');
      bob = await signUp('bob');
    });
    after(async () => {
      await cleanup?.();
    });

    test('events naming Gatehouse ids carry no warning', { skip }, async () => {
      const r = await call('POST', '/v1/events', {
        events: [
          message('k-1', alice),
          { id: 'k-2', type: 'friend.added', time: Date.now(), account: bob, friend: alice },
        ],
      });
      assert.equal(r.status, 200);
      assert.equal(r.body.accepted, 2);
      assert.deepEqual(r.body.warnings, []);
    });

    test(
      'events naming the platform’s own user ids are kept, warned one by one and counted',
      { skip },
      async () => {
        const before = await unknownCount('events');
        const r = await call('POST', '/v1/events', {
          events: [
            message('u-1', 'user-10442'),
            message('u-2', alice),
            message('u-3', 'user-10442'),
            { id: 'u-4', type: 'contact.blocked', time: Date.now(), account: 'user-77', contact: alice },
            // rejected events are answered by their rejection, not warned about
            { id: 'u-5', type: 'friend.added', time: Date.now(), account: 'user-99' },
          ],
        });
        assert.equal(r.status, 200);
        assert.equal(r.body.accepted, 4);
        assert.equal(r.body.rejected, 1);
        const warnings = r.body.warnings as Array<Record<string, unknown>>;
        assert.deepEqual(
          warnings.map((w) => [w.code, w.account, w.indexes]),
          [
            ['unknown_account', 'user-10442', [0, 2]],
            ['unknown_account', 'user-77', [3]],
          ],
        );
        assert.match(String(warnings[0]!.en), /POST \/v1\/accounts/);
        assert.match(String(warnings[0]!.zh), /账号 id/);
        assert.equal((await unknownCount('events')) - before, 3);
        // the events were accepted all the same: the risk timeline has them
        const risk = await call('GET', '/v1/accounts/user-10442/risk');
        assert.equal(risk.status, 200);
        assert.deepEqual((risk.body.events as Array<{ id: string }>).map((e) => e.id).sort(), ['u-1', 'u-3']);
        // a duplicate is warned again (the platform may resend the same batch)
        const again = await call('POST', '/v1/events', { events: [message('u-1', 'user-10442')] });
        assert.equal(again.body.duplicates, 1);
        assert.equal(again.body.warnings[0].account, 'user-10442');
      },
    );

    test('the check warns about an unknown sender and not about a known one', { skip }, async () => {
      const before = await unknownCount('check');
      const known = await call('POST', '/v1/check/message', message('c-1', alice));
      assert.equal(known.status, 200);
      assert.deepEqual(known.body.warnings, []);
      const unknown = await call('POST', '/v1/check/message', message('c-2', 'user-10442'));
      assert.equal(unknown.status, 200);
      assert.equal(unknown.body.verdict, 'allow');
      assert.deepEqual(
        unknown.body.warnings.map((w: { code: string; account: string }) => [w.code, w.account]),
        [['unknown_account', 'user-10442']],
      );
      assert.equal((await unknownCount('check')) - before, 1);
    });

    test('an account is known from the moment its creation is answered', { skip }, async () => {
      const carol = await signUp('carol');
      const r = await call('POST', '/v1/check/message', message('c-3', carol));
      assert.deepEqual(r.body.warnings, []);
    });

    test(
      'a check without `time` is checked as of now; a malformed time is still refused',
      { skip },
      async () => {
        const t0 = Date.now();
        const { time: _drop, ...untimed } = message('t-1', alice);
        const r = await call('POST', '/v1/check/message', untimed);
        assert.equal(r.status, 200);
        assert.equal(r.body.id, 't-1');
        const nulled = await call('POST', '/v1/check/message', { ...untimed, id: 't-2', time: null });
        assert.equal(nulled.status, 200);
        // recorded at the server's now: the risk timeline shows it between t0 and the answer
        await gh.engine.flushChecks();
        await gh.engine.drain();
        const risk = await call('GET', `/v1/accounts/${alice}/risk`);
        const ev = (risk.body.events as Array<{ id: string; time: number }>).find((e) => e.id === 't-1');
        assert.ok(ev, 'the untimed check was recorded');
        assert.ok(ev.time >= t0 && ev.time <= Date.now(), `time ${ev.time} is now`);
        const bad = await call('POST', '/v1/check/message', { ...untimed, id: 't-3', time: 'yesterday' });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.code, 'EVENT_INVALID');
        assert.match(bad.body.detail, /time/);
      },
    );
  });
}
