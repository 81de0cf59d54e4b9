// Over HTTP, as a stranger: a passkey sign-in answer whose ceremony was forged, altered, sealed by
// another server or never issued is refused with SIGNIN_CHALLENGE_INVALID (never a 500), and no
// session comes of it; the ceremony the server issued is still accepted as far as its seal goes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { testGatehouse } from '../../testing/index.ts';

test('forged, altered or foreign ceremonies are refused with SIGNIN_CHALLENGE_INVALID', async () => {
  const { gh, cleanup } = await testGatehouse('sqlite');
  try {
    const url = await gh.listen();
    const post = async (path: string, body: unknown) => {
      const r = await fetch(new URL(path, url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, json: (await r.json()) as { code?: string; ceremony?: string } };
    };
    const issued = await post('/v1/auth/passkey/options', {});
    assert.equal(issued.status, 200);
    const ceremony = issued.json.ceremony!;
    assert.match(ceremony, /^ghp_v1\./);
    const mid = 20;
    const altered = `${ceremony.slice(0, mid)}${ceremony[mid] === 'A' ? 'B' : 'A'}${ceremony.slice(mid + 1)}`;
    const credential = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} };
    for (const forged of [
      altered, // one character of the seal changed
      `ghp_v1.${randomBytes(60).toString('base64url')}`, // sealed by nobody
      `ghp_v1.${ceremony.slice(7, 20)}`, // cut short
      'ghp_not-a-ceremony',
    ]) {
      const r = await post('/v1/auth/passkey', { ceremony: forged, credential });
      assert.ok(r.status >= 400 && r.status < 500, `${forged}: ${r.status}`);
      assert.equal(r.json.code, 'SIGNIN_CHALLENGE_INVALID', forged);
    }
    // the issued ceremony passes its seal: what refuses it is the credential it carries
    const own = await post('/v1/auth/passkey', { ceremony, credential });
    assert.ok(own.status >= 400 && own.status < 500, String(own.status));
    assert.notEqual(own.json.code, 'SIGNIN_CHALLENGE_INVALID');
  } finally {
    await cleanup();
  }
});
