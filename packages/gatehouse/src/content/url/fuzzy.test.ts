import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeUrl } from './analyze.ts';
import { compileBrands, parseBrands } from './brands.ts';
import { compactSkeleton, fuzzyFind, lureWord, lureWordsIn, osaDistance } from './fuzzy.ts';

const ctx = {
  brands: compileBrands(
    parseBrands([
      { name: 'discord', domains: ['discord.com', 'discordapp.com'], keywords: ['discord', 'nitro'] },
      { name: 'steam', domains: ['steamcommunity.com', 'steampowered.com'], keywords: ['steam'] },
      { name: 'paypal', domains: ['paypal.com'] },
      { name: 'binance', domains: ['binance.com'] },
      { name: 'myetherwallet', domains: ['myetherwallet.com'] },
    ]),
  ),
};

test('distances: Damerau–Levenshtein with transpositions, approximate containment', () => {
  assert.equal(osaDistance('abcd', 'abdc', 3), 1);
  assert.equal(osaDistance('kitten', 'sitting', 5), 3);
  assert.equal(osaDistance('kitten', 'sitting', 2), 3, 'capped at max + 1');
  assert.equal(osaDistance('', 'abc', 5), 3);
  assert.deepEqual(fuzzyFind('xxsteamcomunityxx', 'steamcommunity', 1), { start: 2, end: 15, dist: 1 });
  assert.equal(fuzzyFind('abcdef', 'zzzz', 1), null);
  assert.equal(compactSkeleton('rnyethervvallet'), 'myetherwallet');
  assert.equal(lureWord('giff'), 'gift');
  assert.equal(lureWord('verlfy'), 'verify');
  assert.equal(lureWord('tree'), undefined);
  assert.deepEqual(lureWordsIn('free-nitro.example', '/领取').sort(), ['free', 'nitro', '领取']);
});

test('multi-edit typos and brands blended with lure words are lookalikes', () => {
  const cases: Array<[string, string, 'edit-distance' | 'fuzzy-combo']> = [
    // several edits on a long brand label
    ['steamcomminuty.com', 'steam', 'edit-distance'],
    ['stemcommunlty.net', 'steam', 'edit-distance'],
    ['rnyetherwalet.com', 'myetherwallet', 'edit-distance'],
    ['myethervvalett.io', 'myetherwallet', 'edit-distance'],
    // one odd edit on a short brand, next to bait (a lure word or a risky TLD)
    ['discorb.xyz', 'discord', 'edit-distance'],
    ['binanse-verify.com', 'binance', 'fuzzy-combo'],
    // a keyword glued to a misspelt lure word
    ['nitrogifft.com', 'discord', 'fuzzy-combo'],
    ['nitrofreee.net', 'discord', 'fuzzy-combo'],
    // a misspelt brand inside a compound with lure words
    ['steamcommunlty-tradeoffer.com', 'steam', 'fuzzy-combo'],
    ['claim-steamcomunity-skins.com', 'steam', 'fuzzy-combo'],
  ];
  for (const [d, brand, rule] of cases) {
    const a = analyzeUrl(d, ctx);
    assert.equal(a.verdict, 'lookalike', `${d}: ${JSON.stringify(a.reasons.map((r) => r.code))}`);
    assert.equal(a.brand, brand, d);
    const r = a.reasons.find((x) => x.code === 'url.lookalike')!;
    // the dnstwist families run first and may name a case; the rest are the new rules
    if (r.rule !== rule) assert.ok(!['edit-distance', 'fuzzy-combo'].includes(r.rule as string), d);
    assert.ok(r.en && r.zh, 'explained in both languages');
  }
});

test('ordinary names near a brand stay clean', () => {
  const benign = [
    'discount.com',
    'disco.org',
    'steamboat.com',
    'steampunk.net',
    'community.org',
    'paycheck.com',
    'binary.com',
    'balance.com',
    'mywallet.com',
    'ethereal.org',
    'nitrogen.org',
    'discard.email.example',
    'freecodecamp.org',
    'giftcards.example.com',
  ];
  for (const d of benign) {
    const a = analyzeUrl(d, ctx);
    assert.notEqual(a.verdict, 'lookalike', `${d}: ${JSON.stringify(a.lookalike)}`);
  }
});

test('lure words and risky TLDs are named signals that add up', () => {
  const a = analyzeUrl('free-gift-claim.xyz/领取', ctx);
  const codes = a.reasons.map((r) => r.code);
  assert.ok(codes.includes('url.lure'));
  assert.ok(codes.includes('url.tld-risk'));
  assert.equal(a.verdict, 'suspicious');
  const lure = a.reasons.find((r) => r.code === 'url.lure')!;
  assert.ok((lure.words as string[]).includes('gift'));
  // one lure word on an ordinary TLD is not enough
  assert.equal(analyzeUrl('giftshop.com', ctx).verdict, 'clean');
  // official domains carry no lure signal
  assert.deepEqual(
    analyzeUrl('https://steamcommunity.com/tradeoffer/new', ctx).reasons.map((r) => r.code),
    ['url.official'],
  );
});
