import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatehouseError } from '../errors/index.ts';
import { checkPasswordStrength, OWASP_ARGON2, PasswordHasher } from './passwords.ts';

test('hashes are Argon2id with the OWASP parameters by default', async () => {
  const h = new PasswordHasher(OWASP_ARGON2);
  const hash = await h.hash('correct horse battery staple');
  assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await h.verify(hash, 'correct horse battery staple'), true);
  assert.equal(await h.verify(hash, 'correct horse battery stapler'), false);
  assert.equal(h.needsRehash(hash), false);
  assert.equal(new PasswordHasher({ ...OWASP_ARGON2, iterations: 3 }).needsRehash(hash), true);
  assert.equal(h.needsRehash('$2b$10$abcdefghijklmnopqrstuv'), true);
  assert.equal(await h.verify('not a hash', 'x'), false);
});

test('an unknown handle costs one Argon2id verification, like a wrong password', async () => {
  // Structural, not timed: the unknown-handle path runs exactly one verification against a hash made
  // with the hasher's own parameters, so it costs what a wrong password costs (a stopwatch would flake
  // on a loaded machine).
  for (const params of [
    { memoryKiB: 8192, iterations: 1, parallelism: 1 },
    { memoryKiB: 9216, iterations: 2, parallelism: 1 },
  ]) {
    const h = new PasswordHasher(params);
    const verified: string[] = [];
    const verify = h.verify.bind(h);
    h.verify = (hashed, password) => {
      verified.push(hashed);
      return verify(hashed, password);
    };
    const real = await h.hash('the real password');
    assert.equal(await h.verify(real, 'a wrong password'), false);
    assert.equal(await h.verifyDummy('a wrong password'), false);
    assert.equal(await h.verifyDummy('gatehouse-dummy-password-for-timing'), false, 'never true');
    assert.equal(verified.length, 3, 'one verification per call');
    const prefix = `$argon2id$v=19$m=${params.memoryKiB},t=${params.iterations},p=${params.parallelism}$`;
    for (const x of verified)
      assert.ok(x.startsWith(prefix), `${x.slice(0, 40)} has the hasher's parameters`);
  }
});

test('weak passwords are refused with reasons in English and Chinese', () => {
  const reasons = (pw: string, handle = 'zhanghua') => {
    try {
      checkPasswordStrength(pw, handle);
      return [];
    } catch (e) {
      const ge = e as GatehouseError;
      assert.equal(ge.code, 'WEAK_PASSWORD');
      return (ge.extra!.reasons as Array<{ code: string; zh: string }>).map((r) => {
        assert.ok(r.zh.length > 0);
        return r.code;
      });
    }
  };
  assert.deepEqual(reasons('short'), ['too_short']);
  assert.deepEqual(reasons('password1'), ['common']);
  assert.deepEqual(reasons('zhanghua2026!'), ['contains_handle']);
  assert.deepEqual(reasons('aaaaaaaaaaaa'), ['repetitive']);
  assert.deepEqual(reasons('x'.repeat(300) + 'yz'), ['too_long']);
  assert.deepEqual(reasons('月亮代表我的心'), ['too_short']);
  assert.deepEqual(reasons('月亮代表我的心啊啊'), []);
  assert.deepEqual(reasons('a perfectly fine passphrase'), []);
});
