import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../testing/cli.ts';
import { checkDomain, formatTable } from './command.ts';
import { loadBrands } from './loader.ts';

const brandsFile = fileURLToPath(new URL('../../../config/brands.example.json', import.meta.url));
const bin = fileURLToPath(new URL('../../../bin/gatehouse.js', import.meta.url));

test('checkDomain and the table', () => {
  const ctx = { brands: loadBrands(brandsFile) };
  const rows = ['dsicord.com', 'qq.com', 'example.org'].map((d) => checkDomain(d, ctx));
  assert.deepEqual(
    rows.map((r) => [r.verdict, r.brand]),
    [
      ['lookalike', 'discord'],
      ['clean', undefined],
      ['clean', undefined],
    ],
  );
  const t = formatTable(rows);
  assert.match(t, /dsicord\.com\s+lookalike\s+discord\s+transposition\(dsicord→discord\)/);
});

test('gatehouse domains check --json reads stdin and prints JSON lines', async () => {
  const r = spawnSync(process.execPath, [bin, 'domains', 'check', '--brands', brandsFile, '--json'], {
    input: 'qq-login-game.com\n\n# comment\ndiscord.com\nhttp://1.2.3.4:8080/x\n',
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 3);
  assert.deepEqual(Object.keys(lines[0]!), ['domain', 'verdict', 'brand', 'reasons']);
  assert.equal(lines[0]!.verdict, 'lookalike');
  assert.equal(lines[0]!.brand, 'qq');
  assert.equal(lines[1]!.verdict, 'clean');
  assert.equal(lines[2]!.verdict, 'suspicious');
  // in-process (the same main as the binary): the brands file is read before stdin
  const bad = await runCli(['domains', 'check', '--brands', '/nonexistent/brands.json']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /BRANDS_INVALID/);
});
