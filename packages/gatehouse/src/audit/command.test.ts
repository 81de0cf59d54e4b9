import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../testing/cli.ts';
import { tempDir } from '../testing/index.ts';

// in-process (testing/cli.ts): the same main as the binary, without a Node start per command
const run = (args: string[]) => runCli(args);

test('CLI: webhooks add/list/rotate/dead/replay/remove and audit list/verify (exit 1 when tampered)', async () => {
  const t = tempDir();
  try {
    const add = await run([
      'webhooks',
      'add',
      '-d',
      t.dir,
      '--url',
      'https://platform.example/hooks',
      '--types',
      'account.*,session.revoked',
      '--json',
    ]);
    assert.equal(add.status, 0, add.stderr);
    const { endpoint, secret } = JSON.parse(add.stdout) as { endpoint: { id: string }; secret: string };
    assert.match(secret, /^whsec_/);
    const list = await run(['webhooks', 'list', '-d', t.dir]);
    assert.match(
      list.stdout,
      new RegExp(`${endpoint.id}\\thttps://platform.example/hooks\\taccount.\\*,session.revoked`),
    );
    assert.ok(!list.stdout.includes(secret));
    const rot = await run(['webhooks', 'rotate', '-d', t.dir, endpoint.id]);
    assert.equal(rot.status, 0, rot.stderr);
    assert.match(rot.stdout.trim(), /^whsec_/);
    assert.match((await run(['webhooks', 'list', '-d', t.dir])).stdout, /rotating until/);
    // a misspelt type is refused with the valid ones (it would never receive anything)
    const typo = await run([
      'webhooks',
      'update',
      '-d',
      t.dir,
      endpoint.id,
      '--types',
      'account.*,messages.retract',
    ]);
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /WEBHOOK_TYPE_UNKNOWN[\s\S]*"messages\.retract"[\s\S]*message\.retract/);
    const upd = await run([
      'webhooks',
      'update',
      '-d',
      t.dir,
      endpoint.id,
      '--types',
      'message.retract',
      '--json',
    ]);
    assert.equal(upd.status, 0, upd.stderr);
    assert.deepEqual((JSON.parse(upd.stdout) as { types: string[] }).types, ['message.retract']);
    assert.match((await run(['webhooks', 'dead', '-d', t.dir])).stdout, /no dead letters/);
    assert.match((await run(['webhooks', 'replay', '-d', t.dir, '--all'])).stdout, /0 dead letter/);
    const unknown = await run(['webhooks', 'replay', '-d', t.dir, 'msg_nope']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /WEBHOOK_MESSAGE_NOT_FOUND/);
    const badUrl = await run(['webhooks', 'add', '-d', t.dir, '--url', 'file:///etc/passwd']);
    assert.equal(badUrl.status, 2);
    assert.match(badUrl.stderr, /WEBHOOK_URL_INVALID/);
    assert.equal((await run(['webhooks', 'remove', '-d', t.dir, endpoint.id])).status, 0);

    const al = await run(['audit', 'list', '-d', t.dir, '--subject', endpoint.id]);
    assert.match(
      al.stdout,
      /webhook_endpoint.create[\s\S]*webhook_endpoint.rotate[\s\S]*webhook_endpoint.remove/,
    );
    assert.match(al.stdout, /\tcli\t/);
    const ok = await run(['audit', 'verify', '-d', t.dir]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /intact: \d+ entries/);

    const head = (await run(['audit', 'head', '-d', t.dir])).stdout.trim();
    assert.match(head, /^\d+:[0-9a-f]{64}$/);
    assert.equal((await run(['audit', 'verify', '-d', t.dir, '--anchor', head])).status, 0);
    const wrong = head.replace(/:./, (m) => (m === ':0' ? ':1' : ':0'));
    assert.equal((await run(['audit', 'verify', '-d', t.dir, '--anchor', wrong])).status, 1);
    assert.equal((await run(['audit', 'verify', '-d', t.dir, '--anchor', 'nonsense'])).status, 2);

    // Tamper with the database directly, as an intruder with file access would.
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(`${t.dir}/gatehouse.db`);
    db.prepare(`update audit_log set data = '{"url":"https://evil.example"}' where seq = 1`).run();
    db.close();
    const bad = await run(['audit', 'verify', '-d', t.dir, '--json']);
    assert.equal(bad.status, 1);
    const report = JSON.parse(bad.stdout) as { ok: boolean; problems: Array<{ kind: string; seq: number }> };
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.seq]),
      [['modified', 1]],
    );
    const text = await run(['audit', 'verify', '-d', t.dir]);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /TAMPERED[\s\S]*seq 1\tmodified/);
  } finally {
    t.cleanup();
  }
});
