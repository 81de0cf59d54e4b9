import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../testing/index.ts';

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
const run = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...cleanEnv, GATEHOUSE_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });

test('CLI: webhooks add/list/rotate/dead/replay/remove and audit list/verify (exit 1 when tampered)', async () => {
  const t = tempDir();
  try {
    const add = run([
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
    const list = run(['webhooks', 'list', '-d', t.dir]);
    assert.match(
      list.stdout,
      new RegExp(`${endpoint.id}\\thttps://platform.example/hooks\\taccount.\\*,session.revoked`),
    );
    assert.ok(!list.stdout.includes(secret));
    const rot = run(['webhooks', 'rotate', '-d', t.dir, endpoint.id]);
    assert.equal(rot.status, 0, rot.stderr);
    assert.match(rot.stdout.trim(), /^whsec_/);
    assert.match(run(['webhooks', 'list', '-d', t.dir]).stdout, /rotating until/);
    assert.match(run(['webhooks', 'dead', '-d', t.dir]).stdout, /no dead letters/);
    assert.match(run(['webhooks', 'replay', '-d', t.dir, '--all']).stdout, /0 dead letter/);
    const unknown = run(['webhooks', 'replay', '-d', t.dir, 'msg_nope']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /WEBHOOK_MESSAGE_NOT_FOUND/);
    const badUrl = run(['webhooks', 'add', '-d', t.dir, '--url', 'file:///etc/passwd']);
    assert.equal(badUrl.status, 2);
    assert.match(badUrl.stderr, /WEBHOOK_URL_INVALID/);
    assert.equal(run(['webhooks', 'remove', '-d', t.dir, endpoint.id]).status, 0);

    const al = run(['audit', 'list', '-d', t.dir, '--subject', endpoint.id]);
    assert.match(
      al.stdout,
      /webhook_endpoint.create[\s\S]*webhook_endpoint.rotate[\s\S]*webhook_endpoint.remove/,
    );
    assert.match(al.stdout, /\tcli\t/);
    const ok = run(['audit', 'verify', '-d', t.dir]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /intact: \d+ entries/);

    const head = run(['audit', 'head', '-d', t.dir]).stdout.trim();
    assert.match(head, /^\d+:[0-9a-f]{64}$/);
    assert.equal(run(['audit', 'verify', '-d', t.dir, '--anchor', head]).status, 0);
    const wrong = head.replace(/:./, (m) => (m === ':0' ? ':1' : ':0'));
    assert.equal(run(['audit', 'verify', '-d', t.dir, '--anchor', wrong]).status, 1);
    assert.equal(run(['audit', 'verify', '-d', t.dir, '--anchor', 'nonsense']).status, 2);

    // Tamper with the database directly, as an intruder with file access would.
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(`${t.dir}/gatehouse.db`);
    db.prepare(`update audit_log set data = '{"url":"https://evil.example"}' where seq = 1`).run();
    db.close();
    const bad = run(['audit', 'verify', '-d', t.dir, '--json']);
    assert.equal(bad.status, 1);
    const report = JSON.parse(bad.stdout) as { ok: boolean; problems: Array<{ kind: string; seq: number }> };
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map((p) => [p.kind, p.seq]),
      [['modified', 1]],
    );
    const text = run(['audit', 'verify', '-d', t.dir]);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /TAMPERED[\s\S]*seq 1\tmodified/);
  } finally {
    t.cleanup();
  }
});
