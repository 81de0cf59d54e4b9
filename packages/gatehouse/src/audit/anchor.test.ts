// The signed audit anchor (issue 10): someone who can write to the database deletes the newest entries
// and rewrites the checkpoint to match, so the chain alone looks intact; the head exported earlier,
// signed with the anchor key, gives it away. A forged anchor line is caught by its signature.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { runCli } from '../testing/cli.ts';
import { tempDir } from '../testing/index.ts';
import { readAnchors, signHead } from './index.ts';

test('audit verify --anchor FILE detects a deleted tail with a rewritten checkpoint, and forged anchor lines', async () => {
  const t = tempDir();
  const file = join(t.dir, 'anchors', 'audit-anchors.jsonl');
  try {
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: t.dir,
        logLevel: 'silent',
        auditAnchorFile: file,
        auditAnchorIntervalSeconds: 3600,
        argon2MemoryKib: 8192,
        argon2Iterations: 1,
      },
    });
    const gh = await createGatehouse(config, { log: createLogger('silent') });
    await gh.start(); // exports the head at start
    for (let i = 0; i < 6; i++)
      await gh.audit.append({ actor: 'cli', action: 'test.step', subject: `s${i}`, data: { i } });
    await gh.close(); // … and at shutdown
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    const last = JSON.parse(lines.at(-1)!) as { seq: number; key: string };
    assert.equal(last.seq, 6);
    assert.deepEqual(readAnchors(file).problems, []);

    // The tamper: the newest three entries go, and the checkpoint is rewritten to the new tail.
    const again = await createGatehouse({ ...config, auditAnchorFile: '' }, { log: createLogger('silent') });
    const db = again.store.db;
    await db.deleteFrom('audit_log').where('seq', '>', 3).execute();
    const tail = await db.selectFrom('audit_log').selectAll().where('seq', '=', 3).executeTakeFirstOrThrow();
    await db
      .updateTable('audit_checkpoint')
      .set({ head_seq: 3, head_hash: tail.hash, count: 3 })
      .where('id', '=', 1)
      .execute();
    assert.equal((await again.audit.verify()).ok, true, 'the chain and checkpoint alone do not show it');
    const r = await again.audit.verify({ anchors: readAnchors(file, last.key).anchors });
    assert.equal(r.ok, false);
    assert.ok(
      r.problems.some((p) => p.kind === 'truncated' && p.seq === 6),
      JSON.stringify(r.problems),
    );
    await again.close();

    const cli = await runCli(['audit', 'verify', '-d', t.dir, '--anchor', file]);
    assert.equal(cli.status, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /truncated/);

    // A line forged with another key (to cover up the truncation) does not verify.
    const { privateKey } = generateKeyPairSync('ed25519');
    appendFileSync(
      file,
      `${JSON.stringify(signHead(privateKey, { seq: 3, hash: tail.hash, count: 3 }, Date.now()))}\n`,
    );
    const forged = await runCli(['audit', 'verify', '-d', t.dir, '--anchor', file, '--json']);
    assert.equal(forged.status, 1);
    const report = JSON.parse(forged.stdout) as { problems: Array<{ kind: string }> };
    assert.ok(
      report.problems.some((p) => p.kind === 'forged_anchor'),
      forged.stdout,
    );
    assert.ok(report.problems.some((p) => p.kind === 'truncated'));
  } finally {
    t.cleanup();
  }
});
