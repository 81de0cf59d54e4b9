// The webhook target guard (issue 10): an operator key with webhooks:write cannot point Gatehouse at
// loopback, private, link-local, unique-local or metadata addresses, nor use it as a port scanner. No
// request in these tests leaves the machine: every target is refused before a socket is opened.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { after, before, describe, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { newId } from '../crypto/index.ts';
import { testGatehouse } from '../testing/index.ts';
import { newSigningSecret, resolveSecretKey, SecretBox } from './index.ts';
import { deliver, refusal, resolveChecked, STRICT_TARGETS, TargetRefused } from './target-guard.ts';

/** A resolver that answers what the test says (DNS rebinding: public first, then private). */
function fakeDns(...answers: string[][]) {
  let i = 0;
  return (
    _host: string,
    _o: { all: true },
    cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void,
  ) => {
    const a = answers[Math.min(i++, answers.length - 1)]!;
    cb(
      null,
      a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
}

describe('target guard (pure)', () => {
  test('every non-public range is refused, public unicast passes', () => {
    const cases: Array<[string, string | undefined]> = [
      ['127.0.0.1', 'loopback'],
      ['127.8.9.10', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['10.0.0.5', 'private'],
      ['172.16.3.4', 'private'],
      ['192.168.1.1', 'private'],
      ['100.100.100.200', 'private'], // carrier-grade NAT: a cloud metadata address
      ['fd00:ec2::254', 'private'], // unique-local: the IPv6 metadata address
      ['169.254.169.254', 'link_local'],
      ['fe80::1', 'link_local'],
      ['0.0.0.0', 'special'],
      ['224.0.0.1', 'special'],
      ['255.255.255.255', 'special'],
      ['::', 'special'],
      ['198.18.0.1', 'special'], // benchmarking
      ['93.184.215.14', undefined],
      ['2606:4700:4700::1111', undefined],
    ];
    for (const [ip, why] of cases) assert.equal(refusal(ip, STRICT_TARGETS), why, ip);
    assert.equal(refusal('127.0.0.1', { allowHttp: true, allowLoopback: true }), undefined);
    assert.equal(refusal('10.0.0.5', { allowHttp: true, allowLoopback: true }), 'private', 'loopback only');
  });

  test('a name is refused when any of its addresses is; DNS rebinding reaches nothing', async () => {
    await assert.rejects(
      resolveChecked('mixed.test', STRICT_TARGETS, fakeDns(['93.184.215.14', '10.0.0.5'])),
      (e: unknown) => e instanceof TargetRefused && e.reason === 'private',
    );
    // The name resolved to a public address when it was registered; at delivery it answers the metadata
    // address. The connection is checked again and never opened.
    const dns = fakeDns(['93.184.215.14'], ['169.254.169.254']);
    await resolveChecked('rebind.test', STRICT_TARGETS, dns);
    await assert.rejects(
      deliver('https://rebind.test/hook', {
        headers: {},
        body: '{}',
        timeoutMs: 2000,
        policy: STRICT_TARGETS,
        lookup: dns,
      }),
      (e: unknown) => e instanceof TargetRefused && e.reason === 'link_local',
    );
    await assert.rejects(
      deliver('https://10.1.2.3:22/', { headers: {}, body: '{}', timeoutMs: 2000, policy: STRICT_TARGETS }),
      (e: unknown) => e instanceof TargetRefused && e.reason === 'private',
    );
    await assert.rejects(
      deliver('http://93.184.215.14/', { headers: {}, body: '{}', timeoutMs: 2000, policy: STRICT_TARGETS }),
      (e: unknown) => e instanceof TargetRefused && e.reason === 'http_not_allowed',
    );
  });
});

describe('target guard over HTTP (production settings: https only, no loopback)', () => {
  let gh: Gatehouse;
  let cleanup: () => Promise<void>;
  let url: string;
  let key: string;
  before(async () => {
    ({ gh, cleanup } = await testGatehouse('sqlite', {
      webhookAllowHttp: false,
      webhookAllowLoopback: false,
    }));
    url = await gh.listen();
    key = (await gh.keys.create('webhooks', ['webhooks:read', 'webhooks:write'])).key;
  });
  after(async () => cleanup?.());

  const add = (target: string) =>
    fetch(`${url}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: target }),
    });

  test('registering a loopback, private, link-local, unique-local, metadata or http target is refused with a stable reason', async () => {
    const cases: Array<[string, string]> = [
      ['http://hooks.example.com/gatehouse', 'http_not_allowed'],
      ['https://127.0.0.1:8080/admin', 'loopback'],
      ['https://localhost:5432/', 'loopback'],
      ['https://[::1]/', 'loopback'],
      ['https://[::ffff:127.0.0.1]/', 'loopback'],
      ['https://169.254.169.254/latest/meta-data/', 'link_local'],
      ['https://10.0.0.5:6379/', 'private'],
      ['https://192.168.0.1/', 'private'],
      ['https://[fd00:ec2::254]/', 'private'],
      ['https://100.100.100.200/', 'private'],
    ];
    for (const [target, reason] of cases) {
      const res = await add(target);
      const body = (await res.json()) as { code: string; reason: string; detail?: string };
      assert.equal(res.status, 400, target);
      assert.equal(body.code, 'WEBHOOK_TARGET_REFUSED', target);
      assert.equal(body.reason, reason, target);
      // nothing about ports or what answered there
      assert.ok(!/ECONN|refused|port|timeout/i.test(body.detail ?? ''), body.detail);
    }
    assert.equal((await gh.webhooks.listEndpoints()).length, 0);
  });

  test('an endpoint stored earlier that now points inside is never contacted; the operator reads a stable code', async () => {
    // Stored directly (as if registered before the guard, or while its name resolved elsewhere).
    const id = newId('whe', 9);
    const box = new SecretBox(resolveSecretKey(gh.config));
    const t = Date.now();
    await gh.store.db
      .insertInto('webhook_endpoints')
      .values({
        id,
        url: 'https://169.254.169.254/latest/meta-data/iam',
        types: JSON.stringify(['*']),
        description: 'old',
        secret_enc: box.seal(newSigningSecret(), id),
        old_secret_enc: null,
        old_secret_expires_at: null,
        created_at: t,
        updated_at: t,
        removed_at: null,
      })
      .execute();
    await gh.webhooks.send({
      type: 'message.release',
      account: 'acc_guard',
      payload: { message: 'm1', account: 'acc_guard' },
    });
    await gh.dispatcher.flush();
    const rows = await gh.store.db
      .selectFrom('webhook_deliveries')
      .select(['last_error', 'attempts'])
      .where('endpoint_id', '=', id)
      .execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.attempts, 1);
    assert.equal(rows[0]!.last_error, 'target_not_allowed');
  });
});
