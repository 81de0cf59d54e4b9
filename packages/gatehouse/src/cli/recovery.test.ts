// The recovery CLI against a data directory: a case opened through the service, then listed, shown,
// approved and reported from the command line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../testing/cli.ts';
import { createGatehouse } from '../gatehouse.ts';
import { loadConfig } from '../config/index.ts';
import { createLogger } from '../log/index.ts';
import { FAST_ARGON2, tempDir } from '../testing/index.ts';

// in-process (testing/cli.ts): the same main as the binary, without a Node start per command
const run = (args: string[]) => runCli(args);

test('recovery list, show, approve and report from the CLI', async () => {
  const t = tempDir();
  try {
    const config = loadConfig({ env: {}, overrides: { dataDir: t.dir, logLevel: 'silent', ...FAST_ARGON2 } });
    const gh = await createGatehouse(config, { log: createLogger('silent') });
    const ctx = { ip: '203.0.113.5', userAgent: 'cli-test' };
    const acc = await gh.identity.createAccount({ handle: 'zhao.lei', password: 'autumn harvest 77' }, ctx);
    await gh.identity.freeze(acc.id, 'hijack');
    const { case: c } = await gh.recovery.openAppeal('zhao.lei', ctx);
    await gh.close();

    const list = await run(['recovery', 'list', '-d', t.dir, '--json']);
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as Array<{ id: string }>).map((x) => x.id),
      [c.id],
    );
    const show = await run(['recovery', 'show', c.id, '-d', t.dir]);
    assert.equal(show.status, 0, show.stderr);
    assert.equal(
      (JSON.parse(show.stdout) as { history: Array<{ step: string }> }).history[0]!.step,
      'opened',
    );
    const ok = await run(['recovery', 'approve', c.id, '--note', 'called the owner', '-d', t.dir]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /verified/);
    const rep = await run(['recovery', 'report', c.id, '--lang', 'en', '-d', t.dir]);
    assert.equal(rep.status, 0, rep.stderr);
    assert.match(rep.stdout, /What happened to your account zhao\.lei/);
    const missing = await run(['recovery', 'show', 'case_nope', '-d', t.dir]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /RECOVERY_CASE_NOT_FOUND/);
  } finally {
    t.cleanup();
  }
});
