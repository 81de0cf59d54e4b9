import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isGatehouseError } from '../../errors/index.ts';
import { HashBank } from './hash-bank.ts';
import { bankFromSnapshot, bankToSnapshot, isSnapshot } from './snapshot.ts';
import {
  bankFromText,
  bankToText,
  formatEntries,
  importInto,
  parseHashFile,
  splitCsvLine,
} from './format.ts';

const A = 'd8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22';
const B = 'b0a10efd71cc3f429413d48d0ffffe12e34e0e17ada952a9d29684210aa9e5af';
const S = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('hash list formats', () => {
  it('reads ThreatExchange / HMA lists in every supported shape', () => {
    const text = [
      '# a comment',
      'signal_type,signal_value,label,source',
      `pdq,${A},"scam, QR",te:123`,
      `pdq ${B}`,
      `video_md5 0123456789abcdef0123456789abcdef`,
      `${A.toUpperCase()}\tbare-with-label`,
      `sha256,${S},empty`,
      `hash_pdq,${B}`,
      'pdq,nothex',
      '???',
      '',
    ].join('\r\n');
    const r = parseHashFile(text);
    assert.deepEqual(
      r.records.map((x) => [x.type, x.value, x.label, x.source, x.line]),
      [
        ['pdq', A, 'scam, QR', 'te:123', 3],
        ['pdq', B, '', '', 4],
        ['pdq', A, 'bare-with-label', '', 6],
        ['sha256', S, 'empty', '', 7],
        ['pdq', B, '', '', 8],
      ],
    );
    assert.deepEqual(r.skipped, { video_md5: 1 });
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [9, 10],
    );
  });

  it('CSV quoting round-trips labels with commas, quotes and spaces', () => {
    assert.deepEqual(splitCsvLine('a,"b,c","d ""e""",'), ['a', 'b,c', 'd "e"', '']);
    const bank = new HashBank();
    bank.add({ type: 'pdq', value: A, label: 'say "hi", then go', source: ' x ', quality: 87 });
    bank.add({ type: 'sha256', value: S, label: '中文标签' });
    bank.add({ type: 'pdq', value: B });
    bank.remove(1);
    bank.add({ type: 'pdq', value: A, label: 'again' });
    const text = bankToText(bank);
    const back = bankFromText(text);
    assert.deepEqual(back.list(), bank.list());
    assert.equal(bankToText(back), text);
    assert.equal(back.add({ type: 'pdq', value: B }), 5); // ids continue after the highest
  });

  it('exports hma lines and tsv', () => {
    const bank = new HashBank();
    bank.add({ type: 'pdq', value: A, label: 'l1' });
    bank.add({ type: 'sha256', value: S, label: 'l2' });
    assert.equal(formatEntries(bank.list(), 'hma'), `pdq ${A}\nsha256 ${S}\n`);
    assert.equal(formatEntries(bank.list(), 'tsv'), `${A}\tl1\n${S}\tl2\n`);
    // what we export as hma reads back
    const r = parseHashFile(formatEntries(bank.list(), 'hma'));
    assert.deepEqual(
      r.records.map((x) => x.value),
      [A, S],
    );
  });

  it('a damaged bank file is a typed error with the line', () => {
    assert.throws(
      () => bankFromText(`signal_type,signal_value,label,source,id,quality\npdq,${A},x,,1,\npdq,zz,y,,2,\n`),
      (e) => isGatehouseError(e) && e.code === 'BANK_FILE_INVALID' && /line 3/.test(e.message),
    );
    assert.throws(
      () => bankFromText(`pdq,${A},x,,1,20\n`),
      (e) => isGatehouseError(e) && e.code === 'BANK_FILE_INVALID',
    );
    assert.throws(
      () => bankFromText(`pdq,${A},x,,2,\npdq,${B},y,,2,\n`),
      (e) => isGatehouseError(e) && e.code === 'BANK_FILE_INVALID',
    );
    assert.equal(bankFromText('').size, 0);
  });

  it('import adds new entries once and reports the rest', () => {
    const bank = new HashBank();
    const s1 = importInto(bank, `pdq ${A}\npdq ${B}\nmd5 0123\nnope\n`, {
      label: 'batch1',
      source: 'file.txt',
    });
    assert.deepEqual([s1.added, s1.duplicates, s1.errors.length], [2, 0, 1]);
    assert.deepEqual(s1.skipped, { md5: 1 });
    const s2 = importInto(bank, `pdq ${A}\n`, { label: 'batch1' });
    assert.deepEqual([s2.added, s2.duplicates], [0, 1]);
    assert.equal(bank.list()[0]!.source, 'file.txt');
    const s3 = importInto(bank, `pdq,${A},low,src,,10\n`, { format: 'csv' });
    assert.equal(s3.added, 0);
    assert.match(s3.errors[0]!.message, /PDQ_LOW_QUALITY/);
  });
});

describe('binary snapshot', () => {
  it('round-trips a bank exactly and rejects damaged snapshots', () => {
    const bank = new HashBank();
    bank.add({ type: 'pdq', value: A, label: '标签, "q"', source: 's1', quality: 90 });
    bank.add({ type: 'sha256', value: S, label: 'exact' });
    bank.add({ type: 'pdq', value: B });
    bank.remove(1);
    bank.add({ type: 'pdq', value: A, label: 'x' });
    const snap = bankToSnapshot(bank);
    assert.ok(isSnapshot(snap));
    const back = bankFromSnapshot(snap);
    assert.deepEqual(back.list(), bank.list());
    assert.deepEqual(back.pdq.match(A), bank.pdq.match(A));
    assert.throws(
      () => bankFromSnapshot(snap.subarray(0, snap.length - 3)),
      (e) => isGatehouseError(e) && e.code === 'BANK_FILE_INVALID',
    );
    assert.throws(
      () => bankFromSnapshot(new Uint8Array(30)),
      (e) => isGatehouseError(e) && e.code === 'BANK_FILE_INVALID',
    );
    assert.equal(bankFromSnapshot(bankToSnapshot(new HashBank())).size, 0);
  });
});
