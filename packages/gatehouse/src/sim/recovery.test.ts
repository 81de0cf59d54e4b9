import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testGatehouse } from '../testing/index.ts';
import { SimApi } from './api.ts';
import { keepRecoveryCodes, recoverOwner } from './recovery.ts';

test('a frozen owner walks the recovery case over HTTP with a kept code; a second appeal fails with its step named', async () => {
  const { gh, cleanup } = await testGatehouse('sqlite', { trustProxy: true });
  let api: SimApi | undefined;
  try {
    const url = await gh.listen();
    const { key } = await gh.keys.create('sim', ['events:write']);
    api = new SimApi(url, key);
    const ua = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile';
    const ip = '198.51.100.7';
    const o = { key: false, ua, ip };
    const created = await api.call<{ id: string }>(
      'POST',
      '/v1/accounts',
      { handle: 'wangfang', password: 'pw-spring rain 2026' },
      o,
    );
    const s = await api.call<{ token: string }>(
      'POST',
      '/v1/auth/signin',
      { handle: 'wangfang', password: 'pw-spring rain 2026', mode: 'token' },
      o,
    );
    const codes = await keepRecoveryCodes(api, s.data.token, ua, ip);
    assert.equal(codes.length, 10);
    await gh.identity.freeze(created.data.id, 'hijacked (test)', 'system');
    const out = await recoverOwner(api, { handle: 'wangfang', ua, ip, codes }, 'quiet harbour lights 88');
    assert.equal(out.state, 'restored', out.error);
    assert.ok(out.ms !== undefined && out.ms > 0);
    assert.equal((await gh.identity.getAccount(created.data.id)).state, 'active');
    // Not frozen any more: the appeal is refused and the outcome says where it stopped.
    const again = await recoverOwner(api, { handle: 'wangfang', ua, ip, codes }, 'another long password 1');
    assert.equal(again.state, 'failed');
    assert.match(again.error ?? '', /^appeal: .*RECOVERY_NOT_ELIGIBLE/);
  } finally {
    await api?.close();
    await cleanup();
  }
});
