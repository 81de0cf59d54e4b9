// Issue 10, freeze kinds: "the policy says which kind each rule produces". A policy rule with
// `freeze_account: {kind: sanction}` freezes as the platform's enforcement (the appeal goes to the
// operators' queue, no self-service token), while a rule with `{kind: containment}` lets the owner appeal
// and prove ownership. Over HTTP, on SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { describeBackends } from '../testing/backends.ts';
import { tempDir, testGatehouse } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';

const POLICY = `version: 1
description: test policy with both freeze kinds
defaults:
  mode: enforce
rules:
  - id: contain-hijack
    when:
      decision: [contain]
    actions:
      - freeze_account: { kind: containment }
    stop: true
  - id: sanction-spam
    when:
      decision: [block]
    actions:
      - freeze_account: { kind: sanction }
`;

describeBackends('freeze kinds from the policy', (backend) => {
  let gh: Gatehouse;
  let url: string;
  let cleanup: () => Promise<void>;
  let op: string;
  const dir = tempDir();

  before(async () => {
    const policyFile = join(dir.dir, 'policy.yaml');
    writeFileSync(policyFile, POLICY);
    ({ gh, cleanup } = await testGatehouse(backend, { policyFile }));
    url = await gh.listen();
    op = (await gh.keys.create('operator', ['admin'])).key;
  });
  after(async () => {
    await cleanup?.();
    dir.cleanup();
  });

  async function call(method: string, path: string, o: { key?: string; body?: unknown } = {}) {
    const headers: Record<string, string> = {};
    if (o.key) headers.authorization = `Bearer ${o.key}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  async function decide(handle: string, action: 'contain' | 'block') {
    const a = await call('POST', '/v1/accounts', {
      body: { handle, password: 'a long quiet passphrase 1984' },
    });
    assert.equal(a.status, 201, a.text);
    const id = a.json.id as string;
    const steps = await gh.response.handle({
      id: `dec-${handle}`,
      account: id,
      time: Date.now(),
      action,
      risk: 0.999,
      eventType: 'message.sent',
      eventId: `ev-${handle}`,
      signals: [],
      reasons: [],
    });
    assert.ok(
      steps.some((s) => s.kind === 'freeze_account' && s.status === 'done'),
      JSON.stringify(steps),
    );
    const account = await until(async () => {
      const r = await call('GET', `/v1/accounts/${id}`, { key: op });
      return r.json.state === 'frozen' ? r.json : undefined;
    }, `${handle} frozen`);
    return { id, account };
  }

  test('a sanction rule queues the appeal for operators; a containment rule gives the owner a case', async () => {
    const spammer = await decide(`spam_${backend}`, 'block');
    assert.equal(spammer.account.freezeKind, 'sanction');
    const q = await call('POST', '/v1/recovery/appeals', { body: { handle: `spam_${backend}` } });
    assert.equal(q.status, 202, q.text);
    assert.equal(q.json.token, undefined, 'no self-service token for a sanction');
    assert.equal((q.json.queued as { state: string }).state, 'pending');

    // the owner's path: a containment rule's freeze is appealed by the owner, with a case token
    const victim = await decide(`victim_${backend}`, 'contain');
    assert.equal(victim.account.freezeKind, 'containment');
    const c = await call('POST', '/v1/recovery/appeals', { body: { handle: `victim_${backend}` } });
    assert.equal(c.status, 201, c.text);
    assert.match(String(c.json.token), /^ghr_/);

    // the platform is told the kind with each freeze
    const kinds = (await gh.webhooks.feed(undefined, 1000)).messages
      .filter((m) => m.type === 'account.frozen')
      .map((m) => [(m.data as { account: string }).account, (m.data as { kind: string }).kind]);
    assert.deepEqual(
      kinds.filter(([a]) => a === spammer.id || a === victim.id),
      [
        [spammer.id, 'sanction'],
        [victim.id, 'containment'],
      ],
    );
  });
});
