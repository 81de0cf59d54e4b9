import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isGatehouseError } from '../../errors/index.ts';
import { runCli } from '../../testing/cli.ts';
import { runEval, runTrain, sourceName } from './train-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'gh-text-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const LINES = [
  '1\t恭喜中奖，加微信领取红包',
  '1\tURGENT! You have won a prize, call now',
  '1\t加 薇 信 领免费皮肤',
  '1\tFREE entry, text WIN to 80086',
  '0\t今晚一起吃饭吗',
  '0\tsee you at the station',
  '0\t我在开会，晚点回你',
  '0\tdid you finish the report?',
];

const base = { epochs: '4', seed: '1', bits: '16', threshold: '0.5', progress: false };

describe('train / eval commands', () => {
  it('trains, reports bad lines with numbers, evaluates', () => {
    const data = join(dir, 'data.tsv');
    writeFileSync(data, [...LINES, 'oops no tab', '2\tbad label', '1\t', ''].join('\n'));
    const out = join(dir, 'm.bin');
    const err: string[] = [];
    const r = runTrain({ ...base, data: [data], out }, (s) => err.push(s));
    assert.equal(r.examples, 8);
    assert.ok(
      err.some((l) => l.includes(':9: no TAB')),
      err.join('\n'),
    );
    assert.ok(err.some((l) => l.includes(':10: label must be 0 or 1')));
    assert.ok(err.some((l) => l.includes(':11: empty text')));
    const m = runEval({ data, model: out }, () => {});
    assert.equal(m.n, 8);
    assert.equal(m.f1, 1);
    assert.equal(m.threshold, 0.5);
    // Deterministic: a second run writes the same bytes.
    const out2 = join(dir, 'm2.bin');
    runTrain({ ...base, data: [data], out: out2 }, () => {});
    assert.deepEqual(readFileSync(out), readFileSync(out2));
  });

  it('names sources after the file, or its folder for generic names', () => {
    assert.equal(sourceName('../shared/datasets/qq-group-ads/train.tsv'), 'qq-group-ads');
    assert.equal(sourceName('/x/y/my-chat.tsv'), 'my-chat');
  });

  it('clear errors: missing files, --strict, no examples', () => {
    const code = (f: () => unknown, c: string) =>
      assert.throws(f, (e: unknown) => isGatehouseError(e) && e.code === c);
    code(
      () => runTrain({ ...base, data: [join(dir, 'nope.tsv')], out: join(dir, 'x') }, () => {}),
      'TEXT_DATA_NOT_FOUND',
    );
    const badf = join(dir, 'bad.tsv');
    writeFileSync(badf, 'junk\n');
    code(() => runTrain({ ...base, data: [badf], out: join(dir, 'x') }, () => {}), 'TEXT_DATA_INVALID');
    code(
      () => runTrain({ ...base, strict: true, data: [badf], out: join(dir, 'x') }, () => {}),
      'TEXT_DATA_INVALID',
    );
    code(() => runEval({ data: badf, model: join(dir, 'none.bin') }, () => {}), 'TEXT_MODEL_NOT_FOUND');
  });

  it('the CLI prints one JSON object for eval --json', async () => {
    const data = join(dir, 'cli.tsv');
    writeFileSync(data, LINES.join('\n'));
    const model = join(dir, 'cli.bin');
    // in-process (testing/cli.ts): the same main as the binary
    const t = await runCli(['train', '--data', data, '--out', model, '--bits', '16', '--no-progress']);
    assert.equal(t.status, 0, t.stderr);
    const e = await runCli(['eval', '--data', data, '--model', model, '--json']);
    assert.equal(e.status, 0, e.stderr);
    const j = JSON.parse(e.stdout) as Record<string, number>;
    assert.deepEqual(Object.keys(j).sort(), [
      'accuracy',
      'f1',
      'fpr',
      'n',
      'precision',
      'recall',
      'threshold',
    ]);
    assert.equal(j['n'], 8);
    const missing = await runCli(['eval', '--data', join(dir, 'none.tsv'), '--json']);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /TEXT_DATA_NOT_FOUND/);
  });
});
