// Lookalike false positives on popular benign domains (testdata/popular-benign.txt, written by hand:
// worldwide and Chinese sites, the country sites of big brands) with the shipped example brands; and
// the country-domain rule: a brand's own label under a country suffix is not a lookalike, while the
// attacks around it still are (homoglyphs, compounds, generic-use ccTLDs, gTLD swaps, lure subdomains,
// brands that opt out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeUrl } from './analyze.ts';
import { compileBrands, parseBrands, parseBrandsText } from './brands.ts';

const example = compileBrands(
  parseBrandsText(readFileSync(new URL('../../../config/brands.example.json', import.meta.url), 'utf8')),
);

function popularBenign(): string[] {
  return readFileSync(new URL('./testdata/popular-benign.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .flatMap((l) => l.split(/\s+/))
    .filter((d) => d.length > 0);
}

test('popular benign domains: at most 0.1 % flagged with the example brands', () => {
  const list = popularBenign();
  assert.ok(list.length >= 1000, `${list.length} domains`);
  assert.equal(new Set(list).size, list.length, 'no duplicates');
  const flagged = list.filter((d) => analyzeUrl(d, { brands: example }).verdict !== 'clean');
  assert.ok(flagged.length / list.length <= 0.001, `${flagged.length}/${list.length}: ${flagged.join(' ')}`);
});

const idx = compileBrands(
  parseBrands([
    { name: 'google', domains: ['google.com', 'youtube.com'], keywords: ['google'] },
    { name: 'amazon', domains: ['amazon.com'] },
    { name: 'discord', domains: ['discord.com', 'discord.gg'], keywords: ['discord'], countryDomains: false },
    { name: 'qq', domains: ['qq.com'] },
  ]),
);
const verdict = (d: string) => analyzeUrl(d, { brands: idx });

test("a brand's own label under a country suffix is its own: clean, explained, not trusted as official", () => {
  for (const d of [
    'google.de',
    'google.co.jp',
    'google.com.hk',
    'www.google.co.uk',
    'maps.google.com.br',
    'google.com.co',
    'amazon.co.uk',
    'youtube.fr',
  ]) {
    const a = verdict(d);
    assert.equal(a.verdict, 'clean', `${d}: ${JSON.stringify(a.reasons)}`);
    const r = a.reasons.find((x) => x.code === 'url.brand-country');
    assert.ok(r, d);
    assert.ok(r.en.length > 0 && r.zh.length > 0);
    assert.ok(!a.reasons.some((x) => x.code === 'url.official'), d);
  }
});

test('the attacks around the country rule are still lookalikes', () => {
  for (const d of [
    'g00gle.de', // homoglyph
    'gооgle.co.jp', // Cyrillic о
    'google-login.de', // compound
    'googel.co.uk', // transposition
    'google.io', // a generic-use ccTLD
    'google.co', // the same
    'google.net', // a gTLD swap
    'google.shop',
    'free-gift.google.de', // a lure word in the host
    'discord.co.uk', // a brand that runs no country sites
    'discord.de',
    'amazon.ml', // free registration
    'qq.de', // a label too short to be anyone's own
  ]) {
    const a = verdict(d);
    assert.notEqual(a.verdict, 'clean', `${d}: ${JSON.stringify(a.reasons.map((r) => r.code))}`);
    assert.ok(!a.reasons.some((x) => x.code === 'url.brand-country'), d);
  }
});
