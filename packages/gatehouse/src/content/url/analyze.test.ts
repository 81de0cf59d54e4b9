import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeText, analyzeUrl } from './analyze.ts';
import type { UrlContext } from './analyze.ts';
import { compileBrands, parseBrandsText } from './brands.ts';
import { parseDomainList } from './lists.ts';

const brands = compileBrands(
  parseBrandsText(readFileSync(new URL('../../../config/brands.example.json', import.meta.url), 'utf8')),
);
const ctx: UrlContext = { brands };
const codes = (u: string, c: UrlContext = ctx) => analyzeUrl(u, c).reasons.map((r) => r.code);

test('verdicts and the shape of a result', () => {
  const a = analyzeUrl('http://dsicord.com/login', ctx);
  assert.equal(a.verdict, 'lookalike');
  assert.equal(a.brand, 'discord');
  assert.equal(a.host, 'dsicord.com');
  assert.equal(a.registeredDomain, 'dsicord.com');
  const r = a.reasons[0]!;
  assert.equal(r.code, 'url.lookalike');
  assert.equal(r.rule, 'transposition');
  assert.deepEqual(r.positions, [1, 2]);
  assert.match(r.en, /imitates discord/);
  assert.match(r.zh, /仿冒 discord/);
  assert.ok(a.score >= 80);
  assert.equal(analyzeUrl('https://cdn.discordapp.com/x.png', ctx).verdict, 'clean');
  assert.equal(analyzeUrl('https://example.org/', ctx).verdict, 'clean');
  assert.equal(analyzeUrl('https://example.org/', ctx).score, 0);
});

test('risk signals, each named with its value', () => {
  const one = (u: string, code: string) => {
    const r = analyzeUrl(u, ctx).reasons.find((x) => x.code === code);
    assert.ok(r, `${u} should give ${code}: ${codes(u).join()}`);
    return r;
  };
  assert.equal(one('https://bit.ly/x', 'url.shortener').service, 'bit.ly');
  assert.equal(one('http://t.cn/A6x', 'url.shortener').service, 't.cn');
  assert.equal(one('http://1.2.3.4/a', 'url.ip-host').form, 'dotted');
  assert.equal(one('http://0x7f000001/', 'url.ip-host').form, 'hex');
  assert.equal(one('http://2130706433/', 'url.ip-host').ip, '127.0.0.1');
  assert.equal(one('http://0177.0.0.1/', 'url.ip-host').form, 'octal');
  assert.equal(one('http://[2001:db8::1]/', 'url.ip-host').form, 'ipv6');
  assert.equal(one('http://example.com:8443/', 'url.port').port, 8443);
  assert.ok(!codes('https://example.com:443/').includes('url.port'));
  const ui = one('http://qq.com@evil.example/login', 'url.userinfo');
  assert.equal(ui.deceptive, true);
  assert.equal(ui.brand, 'qq');
  assert.equal(analyzeUrl('http://qq.com@evil.example/login', ctx).verdict, 'suspicious');
  assert.equal(one('http://a.b.c.d.e.example.com/', 'url.many-subdomains').levels, 5);
  assert.equal(one('https://evil.github.io/', 'url.free-hosting').suffix, 'github.io');
  assert.equal(one('http://x.duckdns.org/', 'url.dynamic-dns').suffix, 'duckdns.org');
  assert.equal(one('https://abc.trycloudflare.com/', 'url.tunnel').suffix, 'trycloudflare.com');
  assert.equal(one('http://free-gift.tk/', 'url.free-tld').suffix, 'tk');
  assert.equal(one('javascript:alert(1)', 'url.dangerous-scheme').scheme, 'javascript');
  assert.equal(one('data:text/html,<b>x</b>', 'url.dangerous-scheme').scheme, 'data');
  assert.equal(one('http://xn--80ak6aa92e.com/', 'url.punycode').unicode, 'аррӏе.com');
  assert.deepEqual(one('http://pаypal-secure.com/', 'url.mixed-script').scripts, ['latin', 'cyrillic']);
  assert.deepEqual(one('qq-login[.]com', 'url.obfuscated').flags, ['bracket-dot']);
  assert.equal(one('http://evil.notatld/', 'url.unknown-suffix').suffix, 'notatld');
  assert.equal(one('http://x.com:99999/', 'url.malformed').problem, 'bad-port');
});

test('first seen on the platform', () => {
  const now = Date.UTC(2026, 0, 10);
  const seen = new Map([
    ['old.com', now - 100 * 86_400_000],
    ['fresh.com', now - 3_600_000 * 5],
  ]);
  const c: UrlContext = { ...ctx, firstSeen: seen, now };
  assert.ok(!codes('https://www.old.com/', c).some((x) => x.startsWith('url.domain-')));
  const fresh = analyzeUrl('https://a.fresh.com/', c).reasons.find((r) => r.code === 'url.domain-new')!;
  assert.equal(fresh.ageHours, 5);
  assert.equal(fresh.domain, 'fresh.com');
  const fn: UrlContext = { ...ctx, firstSeen: () => undefined, now };
  assert.ok(codes('https://never.com/', fn).includes('url.domain-unseen'));
  assert.ok(!codes('https://qq.com/', fn).includes('url.domain-unseen'));
  const throwing: UrlContext = {
    ...ctx,
    firstSeen: () => {
      throw new Error('store down');
    },
  };
  assert.equal(analyzeUrl('https://example.org/', throwing).verdict, 'clean');
});

test('block- and allowlists', () => {
  const block = parseDomainList(
    'evil.com\n=exact.bad.org\nhttps://good.org/phish/ # a phishing path\n',
    'block',
  ).list;
  const allow = parseDomainList('# partners\ndiscord-partner.com\n', 'allow').list;
  const c: UrlContext = { ...ctx, block, allow };
  const b = analyzeUrl('https://a.b.evil.com/x', c);
  assert.equal(b.verdict, 'blocked');
  assert.equal(b.reasons[0]!.entry, 'evil.com');
  assert.equal(analyzeUrl('https://exact.bad.org/', c).verdict, 'blocked');
  assert.equal(analyzeUrl('https://sub.exact.bad.org/', c).verdict, 'clean');
  assert.equal(analyzeUrl('https://good.org/phish/1', c).verdict, 'blocked');
  assert.equal(analyzeUrl('https://good.org/ok', c).verdict, 'clean');
  assert.equal(analyzeUrl('https://discord-partner.com/', ctx).verdict, 'lookalike');
  const a = analyzeUrl('https://discord-partner.com/', c);
  assert.equal(a.verdict, 'clean');
  assert.equal(a.reasons[0]!.code, 'url.allowlisted');
});

test('analyzeText finds and analyses every link', () => {
  const t = '快来领取免费Nitro：discord-nitro-free．xyz／claim 还有 https://qq.com 和 bit.ly/abc';
  const r = analyzeText(t, ctx);
  assert.equal(r.urls.length, 3);
  assert.equal(r.verdict, 'lookalike');
  assert.equal(r.urls[0]!.brand, 'discord');
  assert.equal(t.slice(r.urls[0]!.start, r.urls[0]!.end), 'discord-nitro-free．xyz／claim');
  assert.ok(r.urls[0]!.flags.includes('fullwidth'));
  assert.equal(r.urls[1]!.verdict, 'clean');
  assert.equal(analyzeText('no links here', ctx).verdict, 'clean');
});

// A hang (catastrophic backtracking) fails through the test's own timeout, not a clock read: a slow machine
// under load is not a failure.
test('bad input: a clear result, no throw, no hang', { timeout: 300_000 }, () => {
  const inputs: unknown[] = [
    '',
    ' ',
    'http://',
    'http://[',
    'http://[::1',
    'https://:80',
    '://x',
    '%%%',
    'http://a..b/',
    'http://' + 'a'.repeat(10_000),
    'http://' + 'a.'.repeat(5_000) + 'com',
    'x'.repeat(100_000),
    '\uD800\uDFFF\u0000\u202E\u200B',
    'http://ｑｑ．ｃｏｍ／',
    'http://例子.测试/',
    'http://xn--invalid-.com/',
    'http://xn--zz.com/',
    'http://1.2.3.4.5/',
    'http://0x/',
    'http://999999999999/',
    'https://[zz::1]/',
    null,
    undefined,
    42,
  ];
  for (const i of inputs) {
    const a = analyzeUrl(i as string, ctx);
    assert.ok(['blocked', 'lookalike', 'suspicious', 'clean'].includes(a.verdict), String(i));
  }
  assert.equal(analyzeUrl('http://' + 'a'.repeat(10_000) + '.com', ctx).reasons[0]!.problem, 'host-too-long');
  const big = ('看看 qq-login.com 吧 '.repeat(10) + 'x'.repeat(1000) + ' ').repeat(1000);
  assert.ok(big.length > 1_000_000);
  const r = analyzeText(big, ctx);
  assert.ok(r.truncated);
  assert.equal(r.reasons[0]!.code, 'text.truncated');
  // pathological inputs for backtracking: long runs of near-matches
  const path = [
    'a-'.repeat(200_000),
    '.'.repeat(300_000),
    '[.]'.repeat(100_000),
    ' dot '.repeat(100_000),
    'http://'.repeat(50_000),
  ];
  for (const p of path) {
    analyzeText(p, ctx);
    analyzeUrl(p, ctx);
  }
});
