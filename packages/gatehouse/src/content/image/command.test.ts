import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import sharp from 'sharp';
import { isGatehouseError } from '../../errors/index.ts';
import { registerBanks, registerPdq } from './command.ts';

const BIN = join(import.meta.dirname, '../../../bin/gatehouse.js');
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `gatehouse ARGS` in this process (as cli/index.ts main does) and captures its output. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('gatehouse')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) });
  registerPdq(program);
  registerBanks(program);
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(`${a.join(' ')}\n`);
  console.error = (...a: unknown[]) => void err.push(`${a.join(' ')}\n`);
  process.exitCode = undefined;
  let code: number | undefined;
  try {
    await program.parseAsync(['node', 'gatehouse', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode;
    else if (isGatehouseError(e)) {
      err.push(`gatehouse: ${e.code}: ${e.message}\n`);
      code = 2;
    } else throw e;
  } finally {
    console.log = log;
    console.error = error;
  }
  code ??= typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { code, out: out.join(''), err: err.join('') };
}

async function makeImage(name: string, seed: number): Promise<string> {
  const w = 200;
  const h = 160;
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const x = i % w;
    const y = Math.floor(i / w);
    px[i * 3] = 128 + 120 * Math.sin((x * seed) / 37 + y / 19);
    px[i * 3 + 1] = 128 + 120 * Math.cos((y * seed) / 23 - x / 41);
    px[i * 3 + 2] = (x ^ y) & 0x80 ? 200 : 30;
  }
  const f = join(dir, name);
  await sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .jpeg()
    .toFile(f);
  return f;
}

describe('gatehouse pdq / gatehouse banks', { timeout: 60_000 }, () => {
  it('pdq prints hash, quality and file; bad files get an error and exit code 1', async () => {
    const a = await makeImage('a.jpg', 1);
    const bad = join(dir, 'bad.jpg');
    writeFileSync(bad, 'not an image');
    const r = await run('pdq', a, bad, join(dir, 'missing.png'));
    assert.equal(r.code, 1);
    assert.match(r.out, /^[0-9a-f]{64}\t\d+\t.*a\.jpg\n$/);
    assert.match(r.err, /bad\.jpg: IMAGE_UNSUPPORTED/);
    assert.match(r.err, /missing\.png: IMAGE_UNREADABLE/);
    const j = await run('pdq', '--json', a, bad);
    const lines = j.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].file, a);
    assert.match(lines[0].hash, /^[0-9a-f]{64}$/);
    assert.equal(lines[1].error.code, 'IMAGE_UNSUPPORTED');
    assert.equal((await run('pdq', a)).code, 0);
    // the installed command line, once, end to end
    const real = spawnSync(process.execPath, [BIN, 'pdq', a, bad], { encoding: 'utf8' });
    assert.equal(real.status, 1);
    assert.equal(real.stdout, r.out);
    assert.match(real.stderr, /bad\.jpg: IMAGE_UNSUPPORTED/);
  });

  it('banks: add, import, list, match, export, remove, help', async () => {
    const a = await makeImage('b.jpg', 2);
    const other = await makeImage('c.jpg', 5);
    const bank = join(dir, 'bank.csv');
    let r = await run(
      'banks',
      'add',
      '--bank',
      bank,
      '--image',
      a,
      '--label',
      'scam-qr',
      '--source',
      'case-1',
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^1\tpdq\t[0-9a-f]{64}\tscam-qr\tcase-1\n$/);
    const list = join(dir, 'list.txt');
    writeFileSync(list, `pdq ${'0'.repeat(63)}1\nmd5 abc\n`);
    r = await run('banks', 'import', '--bank', bank, '--format', 'hma', '--label', 'te', list);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /added 1, duplicates 0, errors 0, skipped types: md5=1/);
    r = await run('banks', 'list', '--bank', bank, '--json');
    const entries = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      entries.map((e) => [e.id, e.label]),
      [
        [1, 'scam-qr'],
        [2, 'te'],
      ],
    );
    // the same picture re-encoded matches; an unrelated one does not
    const again = join(dir, 'b2.png');
    await sharp(a).png().toFile(again);
    r = await run('banks', 'match', '--bank', bank, again);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^1\tpdq\t[0-9a-f]{64}\tscam-qr\tcase-1\t\d+\n$/);
    assert.equal((await run('banks', 'match', '--bank', bank, other)).code, 1);
    // a mirrored copy only matches with --dihedral, which names the transform
    const mirrored = join(dir, 'b-mirror.jpg');
    await sharp(a).flop().jpeg().toFile(mirrored);
    assert.equal((await run('banks', 'match', '--bank', bank, mirrored)).code, 1);
    r = await run('banks', 'match', '--bank', bank, '--dihedral', '--json', mirrored);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).transform, 'flipY');
    r = await run('banks', 'match', '--bank', bank, '--json', '--radius', '0', `${'0'.repeat(63)}1`);
    assert.equal(JSON.parse(r.out).id, 2);
    // exact SHA-256 of any file
    r = await run('banks', 'add', '--bank', bank, '--file', list, '--label', 'the-list');
    assert.equal(r.code, 0, r.err);
    r = await run('banks', 'match', '--bank', bank, list);
    assert.match(r.out, /\tsha256\t[0-9a-f]{64}\tthe-list\t/);
    r = await run('banks', 'export', '--bank', bank, '--format', 'hma');
    assert.equal(r.out.trim().split('\n').length, 3);
    assert.match(r.out, /^pdq [0-9a-f]{64}\n/);
    assert.equal((await run('banks', 'remove', '--bank', bank, '--id', '1')).code, 0);
    assert.equal((await run('banks', 'remove', '--bank', bank, '--id', '1')).code, 2);
    assert.ok(!readFileSync(bank, 'utf8').includes('scam-qr'));
    assert.equal((await run('banks', 'match', '--bank', bank, again)).code, 1);
    // low-quality images are not banked, with the reason
    const flat = join(dir, 'flat.png');
    await sharp({ create: { width: 100, height: 100, channels: 3, background: '#808080' } })
      .png()
      .toFile(flat);
    r = await run('banks', 'add', '--bank', bank, '--image', flat);
    assert.equal(r.code, 2);
    assert.match(r.err, /PDQ_LOW_QUALITY/);
    for (const sub of ['add', 'remove', 'list', 'import', 'export', 'match']) {
      const h = await run('banks', sub, '--help');
      assert.equal(h.code, 0);
      assert.match(h.out, /--bank/);
    }
    assert.ok(existsSync(bank));
    // a .ghbank bank file is a binary snapshot, read and written the same way
    const snap = join(dir, 'bank.ghbank');
    assert.equal(
      (await run('banks', 'export', '--bank', bank, '--format', 'snapshot', '--out', snap)).code,
      0,
    );
    assert.equal(readFileSync(snap).subarray(0, 7).toString(), 'GHBANK1');
    r = await run('banks', 'add', '--bank', snap, '--sha256', 'ab'.repeat(32), '--label', 'bin');
    assert.equal(r.code, 0, r.err);
    r = await run('banks', 'list', '--bank', snap);
    assert.deepEqual(
      r.out
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[3]),
      ['te', 'the-list', 'bin'],
    );
  });
});
