import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../testing/cli.ts';
import { tempDir } from '../testing/index.ts';

// in-process (testing/cli.ts): the same main as the binary, without a Node start per command
const run = (args: string[]) => runCli(args);

test('CLI: apps add/list/suspend/resume and oauth keys rotate/list', async () => {
  const t = tempDir();
  try {
    const add = await run([
      'apps',
      'add',
      '-d',
      t.dir,
      '--name',
      'Quiz',
      '--name-zh',
      '测验',
      '--redirect',
      'https://quiz.example/cb',
      '--scopes',
      'nickname,friends',
      '--reviewed',
      'friends',
      '--verified',
      '--json',
    ]);
    assert.equal(add.status, 0, add.stderr);
    const r = JSON.parse(add.stdout) as {
      app: { id: string; allowedScopes: string[] };
      clientSecret: string;
    };
    assert.match(r.clientSecret, /^ghc_/);
    assert.deepEqual(r.app.allowedScopes, ['openid', 'nickname', 'friends']);
    const list = await run(['apps', 'list', '-d', t.dir]);
    assert.match(list.stdout, new RegExp(`${r.app.id}\\tactive\\tverified`));
    assert.ok(!list.stdout.includes(r.clientSecret), 'secrets are never listed');
    const bad = await run([
      'apps',
      'add',
      '-d',
      t.dir,
      '--name',
      'X',
      '--name-zh',
      'X',
      '--redirect',
      'http://evil.example/cb',
      '--scopes',
      'nickname',
    ]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /APP_INVALID/);
    const sus = await run(['apps', 'suspend', '-d', t.dir, r.app.id, '--reason', 'leak']);
    assert.equal(sus.status, 0, sus.stderr);
    assert.match(sus.stdout, /suspended: 0 grants .* incident inc_/);
    assert.match((await run(['apps', 'list', '-d', t.dir])).stdout, /\tsuspended\t/);
    assert.equal((await run(['apps', 'suspend', '-d', t.dir, r.app.id, '--reason', 'again'])).status, 2);
    assert.equal((await run(['apps', 'resume', '-d', t.dir, r.app.id, '--reason', 'fixed'])).status, 0);
    const keys1 = JSON.parse((await run(['oauth', 'keys', 'list', '-d', t.dir, '--json'])).stdout) as Array<{
      kid: string;
      state: string;
    }>;
    assert.equal(keys1.length, 2);
    const rot = JSON.parse((await run(['oauth', 'keys', 'rotate', '-d', t.dir, '--json'])).stdout) as {
      keys: Array<{ kid: string; state: string }>;
    };
    assert.equal(rot.keys.length, 4);
    assert.deepEqual(
      rot.keys
        .filter((k) => k.state === 'published')
        .map((k) => k.kid)
        .sort(),
      keys1.map((k) => k.kid).sort(),
    );
  } finally {
    t.cleanup();
  }
});
