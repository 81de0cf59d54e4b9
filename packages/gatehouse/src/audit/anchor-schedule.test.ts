// The signed audit head is exported on a schedule (issue 10), not only at start and at shutdown: between
// the two, every interval appends the new head (a head that has not moved is not written again), and
// every line verifies with the anchor key. A failing export is logged and the schedule goes on.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../log/index.ts';
import { tempDir, testStore } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { AnchorSchedule, AuditService, anchorKey, publicKeyId, readAnchors } from './index.ts';

const lines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { seq: number })
    : [];

test('between start and stop, each interval appends the moved head, signed; a failed export does not stop it', async () => {
  const t = tempDir();
  const { store, cleanup } = await testStore('sqlite');
  const audit = new AuditService(store.db);
  const key = anchorKey({ auditAnchorKey: '', dataDir: t.dir });
  const file = join(t.dir, 'anchors', 'audit.jsonl');
  const errors: string[] = [];
  const log = createLogger('silent');
  log.error = ((o: unknown, msg?: string) => void errors.push(msg ?? String(o))) as typeof log.error;
  const schedule = new AnchorSchedule(audit, { file, key, intervalMs: 40, log });
  try {
    await schedule.start(); // the head at start (the empty log)
    assert.deepEqual(
      lines(file).map((l) => l.seq),
      [0],
    );
    // entries appended while the process runs reach the file without a restart or a stop
    await audit.append({ actor: 'cli', action: 'test.step', subject: 's1' });
    await until(() => lines(file).at(-1)?.seq === 1, 'the head after one entry exported');
    for (let i = 2; i <= 3; i++) await audit.append({ actor: 'cli', action: 'test.step', subject: `s${i}` });
    await until(() => lines(file).at(-1)?.seq === 3, 'the moved head exported');
    // an unmoved head is not written again: wait for the ticks to pass over it, then count
    const count = lines(file).length;
    await audit.append({ actor: 'cli', action: 'test.step', subject: 's4' });
    await until(() => lines(file).at(-1)?.seq === 4, 'the next head exported');
    assert.equal(lines(file).length, count + 1, 'one line per new head, none for an unmoved one');

    // the export target disappears and a directory takes its place: the tick fails, is logged, and the
    // schedule goes on once the file can be written again
    rmSync(file);
    mkdirSync(file);
    await audit.append({ actor: 'cli', action: 'test.step', subject: 's5' });
    await until(() => errors.includes('audit anchor export failed'), 'the failed export logged');
    rmSync(file, { recursive: true });
    await until(() => lines(file).at(-1)?.seq === 5, 'exports resume');
  } finally {
    await schedule.stop();
    await cleanup();
  }
  const r = readAnchors(file, publicKeyId(key));
  assert.deepEqual(r.problems, []);
  assert.equal(r.anchors.at(-1)?.seq, 5);
  t.cleanup();
});
