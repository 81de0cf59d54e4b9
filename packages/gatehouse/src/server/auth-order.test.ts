// Over real HTTP: a caller without credentials is refused before its body is read. A stranger's malformed,
// invalid or oversized body to an operator route or a signed-in route (bearer or forged cookie) answers
// 401, never a validation error that describes the route's schema, and the server spends nothing
// parsing it. The owner's own path still validates and works.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { fileBackend } from '../testing/backends.ts';
import { testGatehouse } from '../testing/index.ts';

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;
let key: string;

before(async () => {
  ({ gh, cleanup } = await testGatehouse(fileBackend(import.meta), { bodyLimit: 64 * 1024 }));
  url = await gh.listen();
  key = (await gh.keys.create('auth order', ['accounts:read', 'accounts:write', 'events:write'])).key;
});
after(async () => cleanup?.());

async function call(method: string, path: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await r.text();
  return { status: r.status, code: (JSON.parse(text) as { code?: string }).code, text };
}

const bodies: Array<[string, string]> = [
  ['malformed JSON', '{"events": ['],
  ['a body that fails validation', '{"nothing": true}'],
  ['an oversized body', JSON.stringify({ pad: 'x'.repeat(200 * 1024) })],
];

describe('credentials are checked before the body is read', () => {
  for (const [what, body] of bodies) {
    test(`attack: a stranger's ${what} to operator routes answers 401 API_KEY_INVALID`, async () => {
      for (const [method, path] of [
        ['POST', '/v1/events'],
        ['POST', '/v1/check/message'],
        ['POST', '/v1/accounts/acc_nobody/freeze'],
      ] as const) {
        const strangers: Array<Record<string, string>> = [{}, { authorization: 'Bearer ghk_not_a_real_key' }];
        for (const headers of strangers) {
          const r = await call(method, path, body, headers);
          assert.equal(r.status, 401, `${method} ${path}: ${r.text.slice(0, 300)}`);
          assert.equal(r.code, 'API_KEY_INVALID');
          assert.doesNotMatch(r.text, /body\.|expected|validation/i, 'nothing about the schema');
        }
      }
    });

    test(`attack: a stranger's ${what} to signed-in routes answers 401 UNAUTHENTICATED`, async () => {
      for (const [method, path] of [
        ['POST', '/v1/me/password'],
        ['POST', '/v1/me/sessions/revoke-others'],
      ] as const) {
        const none = await call(method, path, body);
        assert.equal(none.status, 401, none.text.slice(0, 300));
        assert.equal(none.code, 'UNAUTHENTICATED');
        const forgers: Array<Record<string, string>> = [
          { authorization: 'Bearer ghs_forged' },
          { cookie: 'gh_session=forged' },
        ];
        for (const headers of forgers) {
          const forged = await call(method, path, body, headers);
          assert.equal(forged.status, 401, forged.text.slice(0, 300));
          assert.doesNotMatch(forged.text, /body\.|expected|validation/i, 'nothing about the schema');
        }
      }
    });
  }

  test("the owner's path: a valid key still gets the validation error it needs, and a valid body works", async () => {
    const auth = { authorization: `Bearer ${key}` };
    const invalid = await call('POST', '/v1/events', '{"nothing": true}', auth);
    assert.equal(invalid.status, 400, invalid.text);
    assert.equal(invalid.code, 'VALIDATION_FAILED');
    const malformed = await call('POST', '/v1/events', '{"events": [', auth);
    assert.equal(malformed.status, 400);
    assert.equal(malformed.code, 'INVALID_JSON');
    const created = await call(
      'POST',
      '/v1/accounts',
      JSON.stringify({ handle: 'order.owner', password: 'a long enough passphrase 7' }),
      auth,
    );
    assert.equal(created.status, 201, created.text);
    const signin = await call(
      'POST',
      '/v1/auth/signin',
      JSON.stringify({ handle: 'order.owner', password: 'a long enough passphrase 7' }),
    );
    assert.equal(signin.status, 200, signin.text);
    const token = (JSON.parse(signin.text) as { token: string }).token;
    const wrong = await call('POST', '/v1/me/password', '{"nothing": true}', {
      authorization: `Bearer ${token}`,
    });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(wrong.code, 'VALIDATION_FAILED');
  });
});
