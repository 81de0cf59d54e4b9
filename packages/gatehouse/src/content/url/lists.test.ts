import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchList, parseDomainList } from './lists.ts';
import { watchBrands, watchDomainList } from './loader.ts';
import { isGatehouseError } from '../../errors/index.ts';

test('list format and matching', () => {
  const { list, errors } = parseDomainList(
    [
      '# blocklist',
      'Evil.COM.',
      '*.wild.net',
      '.dot.org  # inline comment',
      '=only.this.io',
      'https://site.cn/phish',
      '例子.中国',
      '10.0.0.1',
      'not a domain',
      'http://',
      '',
    ].join('\n'),
    'test.list',
  );
  assert.equal(list.size, 7);
  assert.deepEqual(
    errors.map((e) => e.line),
    [9, 10],
  );
  assert.equal(matchList(list, 'evil.com')?.entry, 'evil.com');
  assert.equal(matchList(list, 'a.b.evil.com')?.match, 'domain');
  assert.equal(matchList(list, 'notevil.com'), null);
  assert.equal(matchList(list, 'x.wild.net')?.entry, 'wild.net');
  assert.equal(matchList(list, 'dot.org')?.entry, 'dot.org');
  assert.equal(matchList(list, 'only.this.io')?.match, 'host');
  assert.equal(matchList(list, 'sub.only.this.io'), null);
  assert.equal(matchList(list, 'site.cn', 'http://site.cn/phish/x')?.match, 'prefix');
  assert.equal(matchList(list, 'site.cn', 'http://site.cn/ok'), null);
  assert.equal(matchList(list, 'site.cn', 'https://site.cn/phishing')?.entry, 'site.cn/phish');
  assert.equal(matchList(list, 'www.xn--fsqu00a.xn--fiqs8s')?.entry, 'xn--fsqu00a.xn--fiqs8s');
  assert.equal(matchList(list, '10.0.0.1')?.entry, '10.0.0.1');
  assert.throws(
    () => parseDomainList('ok.com\nbad domain\n', 'x.list', { strict: true }),
    (e: unknown) => isGatehouseError(e) && e.code === 'DOMAIN_LIST_INVALID' && /x\.list:2/.test(e.message),
  );
});

test('large lists match by label walk', () => {
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) lines.push(`d${i}.example${i % 7}.com`);
  const { list } = parseDomainList(lines.join('\n'));
  assert.equal(list.size, 20_000);
  assert.ok(matchList(list, 'a.b.d19999.example0.com'));
  assert.equal(matchList(list, 'a.b.d19999.example1.com'), null);
});

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting for reload');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('lists and brands reload on change, keep the last good value on errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-url-'));
  try {
    const file = join(dir, 'block.txt');
    writeFileSync(file, 'one.com\n');
    const w = watchDomainList(file, { intervalMs: 50 });
    assert.ok(matchList(w.current(), 'one.com'));
    writeFileSync(file, 'two.com\n');
    await until(() => matchList(w.current(), 'two.com') !== null);
    assert.equal(matchList(w.current(), 'one.com'), null);
    // editors replace files atomically
    writeFileSync(join(dir, 'tmp'), 'three.com\n');
    renameSync(join(dir, 'tmp'), file);
    await until(() => matchList(w.current(), 'three.com') !== null);
    w.close();

    const bfile = join(dir, 'brands.json');
    writeFileSync(bfile, JSON.stringify([{ name: 'a', domains: ['a-brand.com'] }]));
    const errors: unknown[] = [];
    const wb = watchBrands(bfile, { intervalMs: 50, onError: (e) => errors.push(e) });
    assert.ok(wb.current().official.has('a-brand.com'));
    writeFileSync(bfile, '[{"name": "b", "domains": []}]');
    await until(() => errors.length > 0);
    assert.ok(wb.current().official.has('a-brand.com'));
    writeFileSync(bfile, JSON.stringify([{ name: 'b', domains: ['b-brand.com'] }]));
    await until(() => wb.current().official.has('b-brand.com'));
    wb.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
