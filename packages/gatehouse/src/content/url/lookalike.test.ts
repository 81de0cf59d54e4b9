import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileBrands, parseBrands } from './brands.ts';
import { domainInfo, toAscii } from './domain.ts';
import { detectLookalike, officialBrand } from './lookalike.ts';
import type { LookalikeMatch } from './lookalike.ts';
import { isGatehouseError } from '../../errors/index.ts';

const idx = compileBrands(
  parseBrands([
    {
      name: 'discord',
      domains: ['discord.com', 'discord.gg', 'discordapp.com'],
      keywords: ['discord', 'nitro'],
      // no country sites: discord.ru is a tld-swap (see popular.test.ts for brands that have them)
      countryDomains: false,
    },
    { name: 'qq', domains: ['qq.com', 'tencent.com'], keywords: ['qq', 'tencent'] },
    { name: 'steam', domains: ['steamcommunity.com', 'steampowered.com'], keywords: ['steam'] },
    { name: 'paypal', domains: ['paypal.com'] },
    { name: 'alipay', domains: ['alipay.com'] },
    { name: 'microsoft', domains: ['microsoft.com'] },
  ]),
);

function check(domain: string, path = ''): LookalikeMatch | null {
  const host = toAscii(domain);
  if (officialBrand(host, idx)) return null;
  return detectLookalike(domainInfo(host), idx, path);
}

/** Generated examples of each family: [candidate, rule, brand, extra expected fields]. */
const FAMILIES: Array<[string, string, string, Partial<LookalikeMatch>?]> = [
  ['discordx.com', 'addition', 'discord', { char: 'x', positions: [7] }],
  ['discorf.com', 'replacement', 'discord', { keyboard: true, from: 'd', to: 'f' }],
  ['discprd.com', 'replacement', 'discord', { keyboard: true }],
  ['discorl.com', 'bitsquatting', 'discord', { bit: 3 }],
  ['dіscord.com', 'cyrillic', 'discord'], // Cyrillic і
  ['рaypal.com', 'cyrillic', 'paypal'], // Cyrillic р
  ['paypa1.com', 'homoglyph', 'paypal', { positions: [5, 6], from: 'l', to: '1' }],
  ['rnicrosoft.com', 'homoglyph', 'microsoft', { positions: [0, 2], from: 'm', to: 'rn' }],
  ['discorcl.com', 'homoglyph', 'discord'],
  ['díscord.com', 'homoglyph', 'discord'],
  ['dis-cord.com', 'hyphenation', 'discord', { positions: [3] }],
  ['discxord.com', 'insertion', 'discord', { char: 'x', keyboard: true }],
  ['dicord.com', 'omission', 'discord', { char: 's', positions: [2] }],
  ['discords.com', 'plural', 'discord'],
  ['disccord.com', 'repetition', 'discord', { char: 'c' }],
  ['steamcomunity.com', 'omission', 'steam'],
  ['dis.cord.com', 'subdomain', 'discord'],
  ['dsicord.com', 'transposition', 'discord', { positions: [1, 2], label: 'dsicord' }],
  ['discard.com', 'vowel-swap', 'discord', { from: 'o', to: 'a' }],
  ['discordlogin.com', 'dictionary', 'discord', { words: ['login'] }],
  ['qqlogin.cn', 'dictionary', 'qq', { words: ['login'] }],
  ['discord.ru', 'tld-swap', 'discord', { suffix: 'ru' }],
  ['qq.xyz', 'tld-swap', 'qq'],
  ['discordcom.net', 'various', 'discord'],
  ['wwwpaypal.com', 'various', 'paypal'],
  ['qq-login-game.com', 'combosquatting', 'qq', { words: ['login', 'game'] }],
  ['steamcommunity-gift.ru', 'combosquatting', 'steam', { words: ['gift'] }],
  ['discord-nitro-free.xyz', 'combosquatting', 'discord'],
  ['freediscordnitro.com', 'combosquatting', 'discord'],
  ['nitro-free.xyz', 'combosquatting', 'discord'],
  ['steamcomrnunity-gift.ru', 'combosquatting', 'steam', { homoglyph: true, words: ['gift'] }],
  ['dlscord-gift.com', 'combosquatting', 'discord', { homoglyph: true }],
  ['dlscrod.com', 'transposition', 'discord', { homoglyph: true }],
  ['dіsord.com', 'omission', 'discord', { homoglyph: true }],
  ['dіscοrd-nitro.com', 'combosquatting', 'discord', { homoglyph: true, words: ['nitro'] }],
  ['ԁiscord.com', 'cyrillic', 'discord', { from: 'd', to: 'ԁ', positions: [0, 1] }],
  ['discοrd.com', 'homoglyph', 'discord', { scripts: ['latin', 'greek'] }],
  ['steamcommunity-trade.com', 'combosquatting', 'steam'],
  ['qq.com.example.cn', 'brand-subdomain', 'qq'],
  ['discord-login.example.cn', 'brand-subdomain', 'discord'],
  ['paypal.secure-check.com', 'brand-subdomain', 'paypal'],
  ['steam.evil.cn', 'brand-subdomain', 'steam'],
  ['tencent.net', 'tld-swap', 'qq'],
  ['nitro.xyz', 'keyword', 'discord'],
];

test('every fuzzer family has a generated example', () => {
  const errors: string[] = [];
  for (const [cand, rule, brand, extra] of FAMILIES) {
    const m = check(cand);
    const ok =
      m !== null &&
      m.rule === rule &&
      m.brand === brand &&
      Object.entries(extra ?? {}).every(
        ([k, v]) => JSON.stringify(m[k as keyof LookalikeMatch]) === JSON.stringify(v),
      );
    if (!ok) errors.push(`${cand} (want ${rule}/${brand}): ${JSON.stringify(m)}`);
  }
  assert.deepEqual(errors, []);
});

test('brand in the path of an unrelated domain', () => {
  const m = check('example.cn', '/qq.com/login');
  assert.equal(m?.rule, 'brand-path');
  assert.equal(m?.brand, 'qq');
  assert.equal(check('example.cn', '/search?q=qq.com'), null);
  assert.equal(check('example.cn', '/myqq.com.html'), null);
});

test('official domains and their subdomains are never flagged', () => {
  for (const d of [
    'discord.com',
    'cdn.discordapp.com',
    'qq.com',
    'mail.qq.com',
    'store.steampowered.com',
    'www.paypal.com',
  ])
    assert.equal(officialBrand(toAscii(d), idx) !== undefined, true, d);
});

test('innocent look-alike domains are not flagged', () => {
  const innocent = [
    'discourse.org',
    'discover.com',
    'disco.com',
    'record.com',
    'paypay.ne.jp',
    'alipan.com',
    'qa.com',
    'qz.com',
    'q.com',
    'qqq.com',
    'qqmusic.com',
    'mqq.com',
    'jd.com',
    'stream.com',
    'team.com',
    'steal.com',
    'steamed-buns.com',
    'nitrogen.com',
    'intro.com',
    'example.cn',
    'google.com',
    'github.com',
    'taobao.com',
    'tenantcloud-fan.com',
    'weather.com',
    'bitly.com',
    'aq.com',
    'pq.com',
    'concord.wiki',
    'paddle.com',
    'ali.com',
    'pay.com',
  ];
  for (const d of innocent) assert.equal(check(d), null, `${d}: ${JSON.stringify(check(d))}`);
});

test('a different first letter is another word, a look-alike first letter is not', () => {
  // a changed first letter is what a reader sees first: another name, not a typo
  for (const d of ['fiscord.com', 'tiscord.com', 'bteam.com', 'qaypal.com', 'olipay.com', 'gicrosoft.com'])
    assert.equal(check(d), null, `${d}: ${JSON.stringify(check(d))}`);
  // …while a first letter that looks the same, and every later letter, still make a lookalike
  assert.equal(check('\u0501iscord.com')?.brand, 'discord');
  assert.equal(check('rnicrosoft.com')?.brand, 'microsoft');
  assert.equal(check('dizcord.com')?.rule, 'replacement');
  assert.equal(check('paypa1.com')?.brand, 'paypal');
});

test('brands file validation names the entry', () => {
  const bad = (json: unknown, re: RegExp) =>
    assert.throws(
      () => parseBrands(json, 'brands.json'),
      (e: unknown) => isGatehouseError(e) && e.code === 'BRANDS_INVALID' && re.test(e.message),
    );
  bad({}, /brands\.json/);
  bad([{ name: 'x', domains: [] }], /entry 0 \(x\): domains/);
  bad(
    [
      { name: 'ok', domains: ['ok.com'] },
      { name: 'y', domains: ['not a domain'] },
    ],
    /entry 1 \(y\): domains\[0\]/,
  );
  bad([{ name: 'y', domains: ['y.com'], keywords: ['腾讯'] }], /keywords\[0\]/);
  bad([{ name: 'y', domains: ['y.com'], extra: 1 }], /entry 0 \(y\)/);
  bad(
    [
      { name: 'a', domains: ['y.com'] },
      { name: 'b', domains: ['y.com'] },
    ],
    /already belongs/,
  );
});

test('short labels: a 2-letter brand does not make every short domain suspicious', () => {
  const abc = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const flagged: string[] = [];
  for (const a of abc)
    for (const b of abc) {
      for (const d of [
        `${a}${b}.com`,
        `q${a}${b}.cn`,
        `${a}q${b}.com`,
        `${a}${b}q.net`,
        `qq${a}.com`,
        `${a}qq.com`,
      ]) {
        const m = check(d);
        if (m && m.brand === 'qq') flagged.push(d);
      }
    }
  // only the exact label under another suffix is left ("qq.cn" style); "qq.com" itself is official
  assert.deepEqual(
    flagged.filter((d) => !/^qq\./.test(d)),
    [],
  );
  assert.equal(check('qq-login.com')?.rule, 'combosquatting');
  assert.equal(check('qq-abcxyz.com'), null);
  assert.equal(check('qqabcxyz.com'), null);
});
