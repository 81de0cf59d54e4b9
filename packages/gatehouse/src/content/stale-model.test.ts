// Upgrading across a change of the text model's feature version: the online-learned model in the data
// directory (a cache of the shipped model plus the stored labels) cannot be read by the new build. The
// service must still start: the file is set aside (never deleted), the shipped model is used and every
// stored label is learned again, so what operators taught is not lost. An operator's own model file
// that cannot be read still stops the start with TEXT_MODEL_INVALID. SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { tempDir, testStore } from '../testing/index.ts';
import { scoreProbability } from './text/index.ts';
import { ContentService } from './service.ts';

const SPAM = '兼职刷单日结，加我 8821 领 200 元红包，名额有限';
const HAM = '明天下午三点开会，记得带上周的报表';

describeBackends('a learned model written by another feature version', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  const dir = tempDir();
  const log = createLogger('silent');
  const open = (textModelFile = '') =>
    new ContentService({
      dataDir: dir.dir,
      textModelFile,
      brandsFile: '',
      blocklistFile: '',
      allowlistFile: '',
      imageBankFile: '',
      log,
      db: store.db,
      followLabelsMs: backend === 'postgres' ? 60_000 : 0,
    });
  before(async () => {
    ({ store, cleanup } = await testStore(backend));
  });
  after(async () => {
    await cleanup?.();
    dir.cleanup();
  });

  test('is set aside; the shipped model learns every stored label again; an operator file still must load', async () => {
    const first = open();
    const shipped = scoreProbability(first.model, SPAM);
    await first.label(SPAM, 1, 'operator');
    await first.label(SPAM, 1, 'operator');
    await first.label(HAM, 0, 'operator');
    const taught = scoreProbability(first.model, SPAM);
    const taughtHam = scoreProbability(first.model, HAM);
    assert.ok(taught > shipped);
    first.close();
    const file = join(dir.dir, 'models', 'text.bin');
    const bytes = readFileSync(file);
    // the feature version (offset 6, 2 bytes) of a build long gone
    bytes.writeUInt16LE(bytes.readUInt16LE(6) + 7, 6);
    writeFileSync(file, bytes);

    const second = open();
    assert.equal(scoreProbability(second.model, SPAM), shipped, 'the shipped model until start');
    assert.equal(await second.start(), 3);
    assert.equal(scoreProbability(second.model, SPAM), taught, 'every label learned again');
    assert.equal(scoreProbability(second.model, HAM), taughtHam);
    assert.equal(await second.followLabels(), 0, 'the follower does not apply them a second time');
    second.close();
    const aside = readdirSync(join(dir.dir, 'models')).filter((f) => f.startsWith('text.bin.unreadable-'));
    assert.equal(aside.length, 1, 'the unreadable file is kept aside');
    assert.ok(existsSync(file), 'the relearned model is saved');
    const third = open();
    assert.equal(scoreProbability(third.model, SPAM), taught, 'and loads next time');
    assert.equal(await third.start(), 0);
    third.close();

    // an operator's own model file is the operator's to fix: the start stops with a clear error
    const own = join(dir.dir, 'own.bin');
    writeFileSync(own, bytes);
    assert.throws(
      () => open(own),
      (e: Error & { code?: string }) => e.code === 'TEXT_MODEL_INVALID',
    );
  });
});
