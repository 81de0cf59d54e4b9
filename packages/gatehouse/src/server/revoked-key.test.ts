// Over real HTTP: an operator key is answered from memory once verified (keys/ VERIFIED_TTL_MS), and a
// revocation in this process refuses it on the very next request, on the pre-send check (the hottest
// route) and on an ordinary operator route; a stranger presenting the revoked key learns nothing more.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { fileBackend } from '../testing/backends.ts';
import { testGatehouse } from '../testing/index.ts';

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;

before(async () => {
  ({ gh, cleanup } = await testGatehouse(fileBackend(import.meta)));
  url = await gh.listen();
});
after(async () => cleanup?.());

const check = (key: string, id: string) =>
  fetch(`${url}/v1/check/message`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      id,
      account: 'acc_revoked_key_test',
      recipients: ['x'],
      text: 'hello',
      client: { kind: 'mobile', name: 'QQ', version: '9.0' },
    }),
  });

test('attack: a revoked key is refused at once, though it was verified a moment before', async () => {
  const { key, view } = await gh.keys.create('revoked soon', ['events:write', 'accounts:read']);
  const other = await gh.keys.create('stays', ['events:write']);
  for (let i = 0; i < 3; i++) {
    const r = await check(key, `rk-${i}`);
    assert.equal(r.status, 200, `verified, then remembered: ${await r.text()}`);
  }
  const risk = await fetch(`${url}/v1/accounts/acc_revoked_key_test/risk`, {
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(risk.status, 200);
  await gh.keys.revoke(view.id, 'test');
  const r = await check(key, 'rk-after');
  assert.equal(r.status, 401);
  assert.equal(((await r.json()) as { code: string }).code, 'API_KEY_INVALID');
  const r2 = await fetch(`${url}/v1/accounts/acc_revoked_key_test/risk`, {
    headers: { 'x-api-key': key },
  });
  assert.equal(r2.status, 401);
  assert.equal((await check(other.key, 'rk-other')).status, 200, 'another key is untouched');
});

test('a remembered key still answers API_KEY_SCOPE for a scope it lacks', async () => {
  const { key } = await gh.keys.create('writer only', ['events:write']);
  assert.equal((await check(key, 'sc-1')).status, 200);
  const r = await fetch(`${url}/v1/accounts/acc_revoked_key_test/risk`, {
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(r.status, 403);
  assert.equal(((await r.json()) as { code: string }).code, 'API_KEY_SCOPE');
});
