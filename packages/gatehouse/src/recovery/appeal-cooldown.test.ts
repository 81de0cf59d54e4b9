// Over real HTTP, sanction appeals: a sanctioned spammer cannot unban itself with its recovery code (its
// appeal waits in the operators' queue; issue 10's attack 7), and an operator's denial is not undone by
// appealing again at once (the deny → re-appeal loop that flooded the operators' queue), while the
// operators can still open a case and a new freeze of the account can be appealed.
// appeal-cooldown.postgres.test.ts runs it on PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  appeal,
  DAY,
  harness,
  ok,
  OWNER,
  refused,
  settledOwner,
  signIn,
  STRANGER,
  type Harness,
} from './attack-harness.ts';
import { fileBackend } from '../testing/backends.ts';

let h: Harness;
let n = 0;
const uniq = (p: string) => `${p}${++n}`;

before(async () => {
  h = await harness(fileBackend(import.meta));
});
after(async () => h?.cleanup());

async function sanction(id: string, reason: string) {
  ok(await h.call('POST', `/v1/accounts/${id}/freeze`, { key: h.op, body: { reason } }));
}

async function queueAppeal(handle: string, from = OWNER): Promise<string> {
  const r = await h.call('POST', '/v1/recovery/appeals', { body: { handle, statement: 'please' }, from });
  assert.equal(r.status, 202, r.text);
  return (r.json.queued as { id: string }).id;
}

async function deny(id: string) {
  assert.equal(
    ok(await h.call('POST', `/v1/recovery/operator-queue/${id}/deny`, { key: h.op, body: { note: 'no' } }))
      .json.state,
    'denied',
  );
}

async function pendingFor(handle: string): Promise<number> {
  const list = ok(await h.call('GET', '/v1/recovery/operator-queue?limit=500', { key: h.op })).json
    .appeals as Array<{ account: { handle: string } }>;
  return list.filter((a) => a.account.handle === handle).length;
}

describe('a denied sanction appeal cools down before the same freeze can be appealed again', () => {
  test('attack: deny → re-appeal at once, from the owner or anyone else, is refused with Retry-After; nothing is queued', async () => {
    const spammer = await settledOwner(h, uniq('loop'));
    await sanction(spammer.id, 'spam');
    await deny(await queueAppeal(spammer.handle));
    for (const from of [OWNER, STRANGER]) {
      const r = refused(
        await h.call('POST', '/v1/recovery/appeals', { body: { handle: spammer.handle }, from }),
        429,
        'RECOVERY_APPEAL_RECENTLY_DENIED',
      );
      const retry = Number(r.headers.get('retry-after'));
      assert.ok(retry > 6 * 86_400 && retry <= 7 * 86_400, `Retry-After ${retry}`);
      assert.match(r.text, /稍后再申诉/);
    }
    assert.equal(await pendingFor(spammer.handle), 0, 'no new appeal reached the queue');
    // the operators are not limited: they can still open a case for the account
    const opened = await h.call('POST', '/v1/recovery/cases', { key: h.op, body: { account: spammer.id } });
    assert.equal(opened.status, 201, opened.text);
    assert.equal(ok(await h.call('GET', `/v1/accounts/${spammer.id}`, { key: h.op })).json.state, 'frozen');
  });

  test('a burst of simultaneous appeals of one sanction queues exactly one appeal, and every caller gets it', async () => {
    const owner = await settledOwner(h, uniq('burst'));
    await sanction(owner.id, 'spam');
    const froms = Array.from({ length: 8 }, (_, i) => ({ ip: `198.51.${100 + i}.7`, ua: OWNER.ua }));
    const answers = await Promise.all(
      froms.map((from) =>
        h.call('POST', '/v1/recovery/appeals', { body: { handle: owner.handle, statement: 'please' }, from }),
      ),
    );
    for (const r of answers) assert.equal(r.status, 202, r.text);
    const ids = new Set(answers.map((r) => (r.json.queued as { id: string }).id));
    assert.equal(ids.size, 1, `one appeal for every caller, got ${[...ids].join(', ')}`);
    assert.equal(await pendingFor(owner.handle), 1, 'one appeal in the queue');
  });

  test("the owner's path: once the cool-down has passed the freeze can be appealed again, and a new freeze starts afresh", async () => {
    const owner = await settledOwner(h, uniq('later'));
    await sanction(owner.id, 'spam');
    const first = await queueAppeal(owner.handle);
    await deny(first);
    refused(
      await h.call('POST', '/v1/recovery/appeals', { body: { handle: owner.handle } }),
      429,
      'RECOVERY_APPEAL_RECENTLY_DENIED',
    );
    // the denial was 7 days ago: appealing the same freeze works again
    await h.gh.store.db
      .updateTable('recovery_operator_appeals')
      .set((eb) => ({ decided_at: eb('decided_at', '-', 7 * DAY + 1000) }))
      .where('id', '=', first)
      .execute();
    const again = await queueAppeal(owner.handle);
    assert.notEqual(again, first);
    await deny(again);
    refused(
      await h.call('POST', '/v1/recovery/appeals', { body: { handle: owner.handle } }),
      429,
      'RECOVERY_APPEAL_RECENTLY_DENIED',
    );

    // a later, different freeze is appealed and heard at once
    ok(await h.call('POST', `/v1/accounts/${owner.id}/unfreeze`, { key: h.op, body: { reason: 'lifted' } }));
    await sanction(owner.id, 'another matter');
    const fresh = await queueAppeal(owner.handle);
    assert.equal(await pendingFor(owner.handle), 1);
    assert.equal(
      ok(
        await h.call('POST', `/v1/recovery/operator-queue/${fresh}/approve`, {
          key: h.op,
          body: { note: 'verified' },
        }),
      ).json.state,
      'approved',
    );
    assert.equal(ok(await h.call('GET', `/v1/accounts/${owner.id}`, { key: h.op })).json.state, 'active');
  });
});

describe('issue 10: sanctions are not self-service', () => {
  test('attack 7: a sanctioned spammer cannot unban itself with its recovery code; its appeal waits in the operator queue', async () => {
    const spammer = await settledOwner(h, uniq('spam'));
    // the platform's enforcement: an operator freeze is a sanction unless it says otherwise
    const fz = ok(
      await h.call('POST', `/v1/accounts/${spammer.id}/freeze`, {
        key: h.op,
        body: { reason: 'spam campaign' },
      }),
    );
    assert.equal(fz.json.freezeKind, 'sanction');
    const q = await h.call('POST', '/v1/recovery/appeals', {
      body: { handle: spammer.handle, statement: 'I did nothing wrong' },
      from: STRANGER,
    });
    assert.equal(q.status, 202, q.text);
    assert.equal(q.json.token, undefined, 'no self-service token for a sanction');
    const queued = q.json.queued as { id: string; state: string };
    assert.equal(queued.state, 'pending');
    // asking again gets the same pending appeal, not a second one
    assert.equal(
      (
        (await h.call('POST', '/v1/recovery/appeals', { body: { handle: spammer.handle }, from: STRANGER }))
          .json.queued as { id: string }
      ).id,
      queued.id,
    );
    const list = ok(await h.call('GET', '/v1/recovery/operator-queue', { key: h.op })).json.appeals as Array<{
      id: string;
      statement: string;
      account: { handle: string };
    }>;
    const item = list.find((a) => a.id === queued.id)!;
    assert.equal(item.statement, 'I did nothing wrong');
    const denied = ok(
      await h.call('POST', `/v1/recovery/operator-queue/${queued.id}/deny`, {
        key: h.op,
        body: { note: 'repeated spam' },
      }),
    );
    assert.equal(denied.json.state, 'denied');
    assert.equal(ok(await h.call('GET', `/v1/accounts/${spammer.id}`, { key: h.op })).json.state, 'frozen');
    refused(
      await h.call('POST', `/v1/recovery/operator-queue/${queued.id}/approve`, {
        key: h.op,
        body: { note: 'x' },
      }),
      409,
      'RECOVERY_WRONG_STATE',
    );
    const audit = (await h.gh.audit.list({ subject: `account:${spammer.id}`, limit: 100 })).map(
      (e) => e.action,
    );
    assert.ok(
      audit.includes('recovery.sanction_appeal.queued') && audit.includes('recovery.sanction_appeal.denied'),
      audit.join(),
    );

    // A containment turned into a sanction closes the owner's self-service case.
    const other = await settledOwner(h, uniq('sun'));
    ok(
      await h.call('POST', `/v1/accounts/${other.id}/freeze`, {
        key: h.op,
        body: { reason: 'hijack', kind: 'containment' },
      }),
    );
    const { token } = await appeal(h, other.handle, OWNER, 'recovery_code');
    ok(
      await h.call('POST', `/v1/accounts/${other.id}/freeze`, {
        key: h.op,
        body: { reason: 'it was spam after all' },
      }),
    );
    // the sanction closed the owner's self-service case at once
    const closed = refused(
      await h.call('POST', '/v1/recovery/case/verification/answer', {
        token,
        body: { code: other.codes[0] },
      }),
      409,
      'RECOVERY_WRONG_STATE',
    );
    assert.equal(closed.json.state, 'superseded');
    // The owner of a sanctioned account is heard by an operator: approval unfreezes it, audited.
    const q2 = (await h.call('POST', '/v1/recovery/appeals', { body: { handle: other.handle }, from: OWNER }))
      .json.queued as { id: string };
    const approved = ok(
      await h.call('POST', `/v1/recovery/operator-queue/${q2.id}/approve`, {
        key: h.op,
        body: { note: 'verified by phone' },
      }),
    );
    assert.equal(approved.json.state, 'approved');
    assert.equal(ok(await h.call('GET', `/v1/accounts/${other.id}`, { key: h.op })).json.state, 'active');
    await signIn(h, other.handle);
  });
});
