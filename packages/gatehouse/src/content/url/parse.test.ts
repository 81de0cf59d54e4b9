import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractUrls, parseUrl } from './parse.ts';

const urls = (t: string) => extractUrls(t).urls.map((u) => u.url);

test('plain and bare links', () => {
  assert.deepEqual(urls('see https://qq.com/a?b=1, ok'), ['https://qq.com/a?b=1']);
  assert.deepEqual(urls('快来qq-login.com/x领取'), ['http://qq-login.com/x']);
  assert.deepEqual(urls('go to www.example.com.'), ['http://www.example.com']);
  assert.deepEqual(urls('(see http://a.com/x_(y))'), ['http://a.com/x_(y)']);
  assert.deepEqual(urls('Hello.World and file.txt and notes.md'), []);
  assert.deepEqual(urls('mail me at bob@qq.com'), []);
  assert.deepEqual(urls('version 1.2.3.4 vs 10.0.0.1:8080/admin'), ['http://10.0.0.1:8080/admin']);
  assert.deepEqual(urls('qq.com,evil.com'), ['http://qq.com', 'http://evil.com']);
  assert.deepEqual(urls('VISIT QQ.COM NOW'), ['http://qq.com']);
  assert.deepEqual(urls('open qq.com:8080/a.'), ['http://qq.com:8080/a']);
  assert.deepEqual(urls('go to login.evil.github.io/x'), ['http://login.evil.github.io/x']);
  assert.deepEqual(urls('x.notatld y.invalid'), []);
  assert.deepEqual(urls('“https://qq.com/a”「https://qq.com/b」'), ['https://qq.com/a', 'https://qq.com/b']);
});

test('obfuscated forms, with spans and flags', () => {
  const t = 'free nitro: discord-gift．com／x now';
  const r = extractUrls(t).urls;
  assert.equal(r.length, 1);
  assert.equal(r[0]!.url, 'http://discord-gift.com/x');
  assert.equal(r[0]!.raw, 'discord-gift．com／x');
  assert.deepEqual(r[0]!.flags, ['fullwidth', 'unicode-dot', 'no-scheme']);
  assert.equal(t.slice(r[0]!.start, r[0]!.end), r[0]!.raw);

  const cases: Array<[string, string, string]> = [
    ['打开 qq。com 看看', 'http://qq.com', 'unicode-dot'],
    ['打开qq｡com', 'http://qq.com', 'unicode-dot'],
    ['evil [.] com/login', 'http://evil.com/login', 'spaced-dot'],
    ['evil[.]com', 'http://evil.com', 'bracket-dot'],
    ['evil(dot)com', 'http://evil.com', 'bracket-dot'],
    ['evil dot com', 'http://evil.com', 'dot-word'],
    ['qq . com', 'http://qq.com', 'spaced-dot'],
    ['qq. com', 'http://qq.com', 'spaced-dot'],
    ['q\u200Bq.c\u200Dom', 'http://qq.com', 'zero-width'],
    ['qq\u202E.com', 'http://qq.com', 'zero-width'],
    ['ｑｑ．ｃｏｍ', 'http://qq.com', 'fullwidth'],
    ['hxxps://evil[.]com/a', 'https://evil.com/a', 'defanged-scheme'],
  ];
  for (const [text, url, flag] of cases) {
    const r2 = extractUrls(text).urls;
    assert.equal(r2.length, 1, text);
    assert.equal(r2[0]!.url, url, text);
    assert.ok(r2[0]!.flags.includes(flag as never), `${text}: ${r2[0]!.flags.join()}`);
    assert.equal(text.slice(r2[0]!.start, r2[0]!.end), r2[0]!.raw);
  }
  assert.deepEqual(urls('The end. Next sentence'), []);
  for (const prose of [
    'I went home.Then I slept',
    'e.g. this i.e. that, U.S.A. a.m. No.1 vs. etc.',
    'version 2.0 and 3.14.15',
    'see file.pdf, run.sh, main.go, index.ts and notes.md',
    'the dot com bubble',
    '我今天很开心。明天见。价格是3.5元，好的.谢谢',
    'wow...nice',
    'I love it. me too. so. co-op',
    'a polka dot dress, the dot com era',
    'Yes.No.Maybe',
  ])
    assert.deepEqual(urls(prose), [], prose);
});

test('IP hosts, IDN, userinfo, scripts', () => {
  assert.equal(extractUrls('http://3232235521/x').urls[0]!.parsed.ip, '192.168.0.1');
  assert.equal(extractUrls('http://[::1]:8080/').urls[0]!.parsed.hostKind, 'ipv6');
  const u = extractUrls('click http://qq.com@evil.example/login').urls[0]!;
  assert.equal(u.parsed.host, 'evil.example');
  assert.equal(u.parsed.userinfo, 'qq.com');
  assert.equal(extractUrls('visit pаypal.com now').urls[0]!.parsed.host, 'xn--pypal-4ve.com');
  assert.deepEqual(urls('x javascript:alert(1) y'), ['javascript:alert(1)']);
  assert.deepEqual(urls('data:text/html;base64,PHNjcmlwdD4='), ['data:text/html;base64,PHNjcmlwdD4=']);
  assert.deepEqual(urls('the data: it is'), []);
});

test('parseUrl never throws', () => {
  assert.equal(parseUrl('qq.com').host, 'qq.com');
  assert.equal(parseUrl('http://').problem, 'no-host');
  assert.equal(parseUrl('http://a b.com').problem, 'bad-host');
  assert.equal(parseUrl('http://' + 'a'.repeat(10_000) + '.com').problem, 'host-too-long');
  assert.equal(parseUrl('http://1.2.3.999/').problem, 'bad-ipv4');
  assert.equal(parseUrl('http://x.com:99999/').problem, 'bad-port');
  assert.equal(parseUrl('').problem, 'no-host');
  assert.equal(parseUrl('javascript:alert(1)').scheme, 'javascript');
  assert.equal(parseUrl('\u0000\uFFFF\uD800').hostKind, 'invalid');
});

// A hang (catastrophic backtracking) fails through the test's own timeout, not a clock read.
test('bad input is bounded', { timeout: 300_000 }, () => {
  const big = 'a.'.repeat(600_000);
  const r = extractUrls(big);
  assert.ok(r.truncated);
  assert.equal(extractUrls('http://a.com/' + ')'.repeat(100_000)).urls[0]!.url, 'http://a.com/');
  assert.equal(extractUrls('(see http://a.com/' + '.,)'.repeat(30_000)).urls[0]!.url, 'http://a.com/');
  const dots = '.'.repeat(500_000) + '[' + '('.repeat(100_000);
  assert.equal(extractUrls(dots).urls.length, 0);
  const many = 'a.com '.repeat(1000);
  const m = extractUrls(many);
  assert.equal(m.urls.length, 200);
  assert.ok(m.truncated);
  assert.equal(extractUrls('http://' + 'a'.repeat(10_000) + '.com').urls[0]!.parsed.problem, 'host-too-long');
});
