// Issue 16 item 5: learned state shared. Two content parts (two processes' worth: each with its own
// model file) on one PostgreSQL — and on SQLite, the same code — learn each other's operator labels
// from content_labels: a label made in one is applied by the other once, never twice by its maker, and
// a restarted process catches up from the position saved beside its model.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { tempDir, testStore } from '../testing/index.ts';
import { scoreProbability } from './text/index.ts';
import { ContentService } from './service.ts';

const TEXT = '恭喜中奖！点击 cl1ck-prize.example 领取你的游戏皮肤，限时兑换';
const OTHER = '免费领取 Q 币，加群 8864213 立即到账，仅限今天';

describeBackends('operator labels reach every process', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const dirs = [tempDir(), tempDir(), tempDir()];
  const log = createLogger('silent');
  const open = (i: number) =>
    new ContentService({
      dataDir: dirs[i]!.dir,
      textModelFile: '',
      brandsFile: '',
      blocklistFile: '',
      allowlistFile: '',
      imageBankFile: '',
      log,
      db: store.db,
      followLabelsMs: 60_000, // the test follows by hand: no timing
    });
  before(async () => {
    ({ store, cleanup } = await testStore(backend));
  });
  after(async () => {
    await cleanup?.();
    for (const d of dirs) d.cleanup();
  });

  test('a label in one process is learned by the other, once; its maker does not learn it twice', async () => {
    const a = open(0);
    const b = open(1);
    try {
      await a.followLabels();
      await b.followLabels();
      const before = scoreProbability(b.model, TEXT);
      const { after: inA } = await a.label(TEXT, 1, 'operator-a');
      assert.ok(inA > before);
      assert.equal(scoreProbability(b.model, TEXT), before, 'not yet followed');
      assert.equal(await b.followLabels(), 1);
      assert.equal(scoreProbability(b.model, TEXT), inA, 'the same model update in both processes');
      assert.equal(await a.followLabels(), 0, 'its own label is not applied again');
      assert.equal(scoreProbability(a.model, TEXT), inA);
      // and back: a label in the second reaches the first
      const { after: inB } = await b.label(OTHER, 1, 'operator-b');
      assert.equal(await a.followLabels(), 1);
      assert.equal(scoreProbability(a.model, OTHER), inB);
      assert.equal(await b.followLabels(), 0);
    } finally {
      a.close();
      b.close();
    }
  });

  test('a process that was down catches up from the position saved beside its model', async () => {
    const a = open(0);
    const c = open(2);
    await c.followLabels();
    const before = scoreProbability(c.model, OTHER + ' 再来一次');
    c.close(); // saved with its position (nothing learned: no file yet, starts from the newest label)
    await a.label(OTHER + ' 再来一次', 1, 'operator-a');
    const c2 = open(2);
    try {
      assert.equal(await c2.followLabels(), 1, 'the label made while it was down');
      assert.ok(scoreProbability(c2.model, OTHER + ' 再来一次') > before);
    } finally {
      a.close();
      c2.close();
    }
  });
});
