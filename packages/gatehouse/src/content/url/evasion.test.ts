import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDefaultTextModel, scoreText } from '../text/index.ts';
import { compactText, toOriginalOffset } from '../text/long.ts';
import { analyzeText } from './analyze.ts';
import { compileBrands } from './brands.ts';
import { extractUrls } from './parse.ts';
import { linksAcross, SplitLinkBuffer } from './split.ts';

const hosts = (t: string) => extractUrls(t).urls.map((u) => u.parsed.host);

test('dot look-alikes, Chinese dot words, encoded and spaced dots are undone', () => {
  const cases: Array<[string, string, string]> = [
    ['速领 nitro-drop点com 限时', 'nitro-drop.com', 'dot-word'],
    ['steam-skins點ru/trade', 'steam-skins.ru', 'dot-word'],
    ['客服 wx-pay-help 点 cn', 'wx-pay-help.cn', 'dot-word'],
    ['see gift-box·xyz', 'gift-box.xyz', 'unicode-dot'],
    ['快 boost-claim‥top', 'boost-claim.top', 'unicode-dot'],
    ['login-check۔net', 'login-check.net', 'unicode-dot'],
    ['acc-verify܁org', 'acc-verify.org', 'unicode-dot'],
    ['reward-center・vip', 'reward-center.vip', 'unicode-dot'],
    ['go: promo-pass%2ecom/claim', 'promo-pass.com', 'encoded-dot'],
    ['go: promo-pass%2Ecn', 'promo-pass.cn', 'encoded-dot'],
    ['claim at card-bonus . c o m today', 'card-bonus.com', 'spaced-dot'],
    ['card-bonus.n e t', 'card-bonus.net', 'spaced-dot'],
    ['visit prize-hub\n.com', 'prize-hub.com', 'spaced-dot'],
    ['visit prize-hub.\r\nru', 'prize-hub.ru', 'spaced-dot'],
    ['prize-hub,xyz', 'prize-hub.xyz', 'comma-dot'],
    ['qq-safe[点]cn', 'qq-safe.cn', 'bracket-dot'],
    ['账号异常 qq-verify丶cn 登录', 'qq-verify.cn', 'dot-word'],
    ['free nitro at discord–gift.com/claim', 'discord-gift.com', 'unicode-hyphen'],
    ['trade here: steam—trade﹣offer.xyz', 'steam-trade-offer.xyz', 'unicode-hyphen'],
    ['领取 wx−pay‐help.cn', 'wx-pay-help.cn', 'unicode-hyphen'],
    ['首充送888 w w w . b e t 6 6 8 . c o m', 'www.bet668.com', 'spaced-dot'],
    ['nitro: d i s c o r d - d r o p . c o m/claim', 'discord-drop.com', 'spaced-dot'],
    ['验证 q q - s a f e 。c n', 'qq-safe.cn', 'spaced-dot'],
    ['claim: https//nitro-drop.xyz/claim', 'nitro-drop.xyz', 'defanged-scheme'],
    ['登录 https;//qq-safe-check.cn', 'qq-safe-check.cn', 'defanged-scheme'],
    ['http:\\\\steam-skins.ru/trade', 'steam-skins.ru', 'defanged-scheme'],
    ['https:/ /gift-box.top/x', 'gift-box.top', 'defanged-scheme'],
    ['领取: h**ps://nitro-drop.xyz/claim', 'nitro-drop.xyz', 'defanged-scheme'],
    ['h__p://qq-safe-check.cn', 'qq-safe-check.cn', 'defanged-scheme'],
    ['go: promo-pass%252Ecom/claim', 'promo-pass.com', 'encoded-dot'],
    ['领取礼包 qq-safe，cn', 'qq-safe.cn', 'comma-dot'],
    ['free skins: steam-trade，ru/offer', 'steam-trade.ru', 'comma-dot'],
    ['奖品 prize-hub、xyz', 'prize-hub.xyz', 'comma-dot'],
    ['free nitro discord-gift.c0m/claim', 'discord-gift.com', 'tld-lookalike'],
    ['trade: steam-offer.corn/t', 'steam-offer.com', 'tld-lookalike'],
    ['Free Nitro: NITRO-DROP.T0P', 'nitro-drop.top', 'tld-lookalike'],
    ['领取 wallet-help.n3t', 'wallet-help.net', 'tld-lookalike'],
    ['airdrop-claim.0rg/x', 'airdrop-claim.org', 'tld-lookalike'],
  ];
  for (const [text, host, flag] of cases) {
    const u = extractUrls(text).urls;
    assert.deepEqual(
      u.map((x) => x.parsed.host),
      [host],
      text,
    );
    assert.ok(u[0]!.flags.includes(flag as never), `${text}: ${u[0]!.flags.join(',')}`);
    assert.ok(text.slice(u[0]!.start, u[0]!.end).length >= host.length - 2, 'span in the original');
  }
});

test('a link inside another link’s query (a redirect or a link-out page) is a link of the message, right after its carrier', () => {
  for (const [text, target] of [
    [
      '看看 https://www.google.com/url?q=https%3A%2F%2Fqq-verify.top%2Fa&sa=D 这个',
      'https://qq-verify.top/a',
    ],
    [
      'https://link.zhihu.com/?target=https%3A//steam-trade-check.ru/offer',
      'https://steam-trade-check.ru/offer',
    ],
    ['c.pc.qq.com/middlem.html?pfurl=http%3A%2F%2Fqq-safe.top%2Fv&level=3', 'http://qq-safe.top/v'],
    ['https://go.example.net/r?u=aHR0cHM6Ly9ob25nYmFvLWdldC5uZXQvcg==', 'https://hongbao-get.net/r'],
  ] as const) {
    const u = extractUrls(text).urls;
    assert.equal(u.length, 2, text);
    assert.equal(u[1]!.url, target, text);
    assert.deepEqual(u[1]!.flags, ['redirect'], text);
    assert.equal(u[1]!.raw, u[0]!.raw, 'the carrier’s span');
  }
  // a carrier written to hide passes its hiding on; a query with no link, a path and a relative next are
  // nothing more
  assert.deepEqual(extractUrls('www.google[.]com/url?q=https://qq-verify.top/a').urls[1]?.flags, [
    'bracket-dot',
    'redirect',
  ]);
  for (const t of [
    'https://example.com/?next=/home',
    'https://www.baidu.com/link?url=abcdef',
    'https://a.com/?u=https',
  ])
    assert.equal(extractUrls(t).urls.length, 1, t);
  // the targets count towards the cap on links per message
  const many = Array.from(
    { length: 150 },
    (_, i) => `https://www.google.com/url?q=https://lure${i}.top/x`,
  ).join(' ');
  assert.equal(extractUrls(many).urls.length, 200);
  // the lure is judged as itself: a look-alike behind Google's redirect stays a look-alike
  const brands = compileBrands([{ name: 'steam', domains: ['steamcommunity.com'], keywords: ['steam'] }]);
  const a = analyzeText('https://www.google.com/url?q=https://steamcommunlty.com/tradeoffer', { brands });
  assert.equal(a.urls[1]?.verdict, 'lookalike');
});

test('an app link’s page is its link: percent-encoded, base64 (QQ) or an Android intent’s fallback', () => {
  const cases: Array<[string, string]> = [
    [
      '点这里领红包 alipays://platformapi/startapp?appId=20000067&url=https%3A%2F%2Fpay-gift.top%2Fr',
      'pay-gift.top',
    ],
    [
      'mqqapi://forward/url?url_prefix=aHR0cHM6Ly9xcS1naWZ0LnRvcC9sb2dpbg==&version=1&src_type=web',
      'qq-gift.top',
    ],
    [
      'open: intent://scan/#Intent;scheme=zxing;S.browser_fallback_url=https%3A%2F%2Fdiscord-gift.xyz%2Fn;end',
      'discord-gift.xyz',
    ],
    ['weixin://dl/businessWebview/link?url=https%253A%252F%252Fwx-pay-help.cn%252Fa', 'wx-pay-help.cn'],
  ];
  for (const [text, host] of cases) {
    const u = extractUrls(text).urls;
    assert.deepEqual(
      u.map((x) => x.parsed.host),
      [host],
      text,
    );
    assert.ok(u[0]!.flags.includes('app-link'), `${text}: ${u[0]!.flags.join(',')}`);
    // the span is the app link as written
    assert.ok(text.slice(u[0]!.start, u[0]!.end).includes('://'), text);
  }
  // the hidden page is judged: a lookalike stays one, hiding it counts, the brand's own page stays clean
  const brands = compileBrands([{ name: 'discord', domains: ['discord.com'], keywords: ['discord'] }]);
  assert.equal(analyzeText(cases[2]![0], { brands }).urls[0]!.verdict, 'lookalike');
  assert.ok(analyzeText(cases[0]![0]).urls[0]!.reasons.some((r) => r.code === 'url.obfuscated'));
  const own = compileBrands([{ name: 'alipay', domains: ['alipay.com'] }]);
  assert.equal(
    analyzeText('alipays://platformapi/startapp?appId=1&url=https%3A%2F%2Frender.alipay.com%2Fp', {
      brands: own,
    }).urls[0]!.verdict,
    'clean',
  );
  // a messenger's own link to a channel, a group or a chat is the web link that opens the same one
  for (const [text, url] of [
    ['进群领资料 tg://resolve?domain=vip_signals_cn', 'https://t.me/vip_signals_cn'],
    ['tg://join?invite=Qx7_kLm2', 'https://t.me/+Qx7_kLm2'],
    ['whatsapp://send?phone=+447700900123&text=hi', 'https://wa.me/447700900123'],
    ['whatsapp://chat?code=HkT5pQ9zW2r', 'https://chat.whatsapp.com/HkT5pQ9zW2r'],
  ] as const) {
    const u = extractUrls(text).urls;
    assert.deepEqual(
      u.map((x) => x.parsed.url),
      [url],
      text,
    );
    assert.ok(u[0]!.flags.includes('app-link'), text);
  }
  // app links with no page inside (a WeChat mini program's ticket), a messenger's link to nothing
  // named, and words that only look like schemes, give nothing
  for (const t of [
    'weixin://dl/business/?t=abc123',
    'tg://resolve?domain=',
    'tg://settings',
    'whatsapp://send?text=hello',
    'ratio 1:2 and alipay:later',
  ])
    assert.deepEqual(hosts(t), [], t);
});

test('ordinary sentences with 点, decimals, times and abbreviations stay text', () => {
  const plain = [
    '我们下午3点半在门口见',
    '明天9点com会议改到10点',
    '给我点个赞吧 ok点赞',
    '这个点子不错，点com的时代过去了',
    'pi is about 3.14 and e is 2.72',
    'the train leaves at 3.5 past, i.e. soon',
    'version 1.2.3 is out, e.g. the fix',
    'Mr. Smith.\nComing tomorrow',
    'U.S. a b c',
    'gross,net and tare',
    'yes,cn is short for china',
    'Jean·Paul and 迈克尔·杰克逊',
    'price: 12.50, net 10',
    'a.m. c o m',
    '100%2 of us',
    'the dot com bubble',
    'I said it, com on',
    'v2.c0 is tagged',
    'see v1.0 and 2.01',
    '我们，com 是什么',
    '好的、cn 那边呢',
    'file.c01 and a.b3',
    'score 3.0rn',
  ];
  for (const t of plain) assert.deepEqual(hosts(t), [], t);
});

test('a link after the first 64 KiB is found and scored', () => {
  const filler = '今天天气不错，我们一起去公园散步吧。'.repeat(6000); // > 64 Ki units
  assert.ok(filler.length > 65536);
  const text = `${filler} 领取礼包加我薇信 discord-gift点com/nitro`;
  const ctx = {
    brands: compileBrands([{ name: 'discord', domains: ['discord.com'], keywords: ['discord'] }]),
  };
  const a = analyzeText(text, ctx);
  assert.equal(a.urls.length, 1);
  assert.equal(a.urls[0]!.host, 'discord-gift.com');
  assert.notEqual(a.urls[0]!.verdict, 'clean');
  // the text model sees the link's surroundings too, at a bounded size
  const c = compactText(text, 4096);
  assert.ok(c.text.length <= 4096);
  assert.ok(c.text.includes('discord-gift点com'));
  const at = c.text.indexOf('领取礼包');
  assert.equal(text.slice(toOriginalOffset(c, at), toOriginalOffset(c, at) + 4), '领取礼包');
  const model = loadDefaultTextModel();
  const s = scoreText(model, text);
  assert.equal(s.truncated, true);
  const late = s.intents.find((h) => h.start > 65536);
  assert.ok(late, 'an intent in the late part of the message');
  assert.equal(text.slice(late.start, late.end), late.original);
});

test('a link split across two messages of one sender is joined, ordinary pairs are not', () => {
  const joined: Array<[string, string, string]> = [
    ['快去 discord-gift', '.com/claim 领取', 'discord-gift.com'],
    ['steam-trade.', 'ru/offer', 'steam-trade.ru'],
    ['登录 qq-security点', 'cn 验证', 'qq-security.cn'],
    ['open nitro-pro', 'mo.xyz', 'nitro-promo.xyz'],
  ];
  for (const [a, b, host] of joined) {
    const l = linksAcross(a, b);
    assert.deepEqual(
      l.map((x) => x.host),
      [host],
      `${a} | ${b}`,
    );
    assert.ok(l[0]!.startInPrevious < a.length && l[0]!.endInNext > 0);
  }
  const apart: Array<[string, string]> = [
    ['check my', 'discord.com/channels'],
    ['see you at 5.', '30 then'],
    ['好的', '明天见 qq.com'],
    ['look at this: ', 'bbc.co.uk'],
    ['ok.', 'Com on now'],
  ];
  for (const [a, b] of apart) assert.deepEqual(linksAcross(a, b), [], `${a} | ${b}`);

  const buf = new SplitLinkBuffer({ maxKeys: 2, maxGapMs: 60_000 });
  assert.deepEqual(buf.take('u1', 'g1', 'try promo-', 1000), []);
  // another sender or another conversation in between does not join
  assert.deepEqual(buf.take('u2', 'g1', 'hi', 1500), []);
  assert.deepEqual(
    buf.take('u1', 'g1', 'gift.com now', 2000).map((l) => l.host),
    ['promo-gift.com'],
  );
  assert.deepEqual(buf.take('u1', 'g2', 'gift.com', 2100), []);
  // too late: no join
  buf.take('u1', 'g1', 'try promo-', 3000);
  assert.deepEqual(buf.take('u1', 'g1', 'gift.com', 100_000), []);
  assert.ok(buf.size <= 2);
});

test('"brand.com@evil.ru": the link goes to the host after the "@" and is read so; e-mail addresses stay text', () => {
  for (const [text, host] of [
    ['steam login: steamcommunity.com@steam-trade-check.ru/login', 'steam-trade-check.ru'],
    ['qq.com@203.0.113.9/verify 立即验证', '203.0.113.9'],
    ['https://steamcommunity.com@steam-trade-check.ru/login', 'steam-trade-check.ru'],
  ] as const) {
    const u = extractUrls(text).urls;
    assert.deepEqual(
      u.map((x) => x.parsed.host),
      [host],
      text,
    );
    const a = analyzeText(text).urls[0]!;
    assert.notEqual(a.verdict, 'clean', `${text}: ${JSON.stringify(a.reasons)}`);
  }
  for (const text of [
    'mail me at bob@gmail.com',
    'write to john.smith@example.co.uk or support@qq.com',
    '邮箱 zhang.san@163.com 收到了吗',
  ])
    assert.deepEqual(hosts(text), [], text);
});

test('dashes, and letters one space apart, that form no link stay text', () => {
  for (const text of [
    'a b c d e f g',
    'the https// prefix is missing',
    'oops h**ps:// is masked, and hi**ps too',
    'http// and https;// are typos',
    'h e l l o . c o m e on',
    'I . O . U',
    'plan A . B . C . done',
    'ok I . see u at 5 . n e x t time',
    'the 1990–1995 season',
    'Paris–Berlin train',
    'a — b',
    'pages 10–20.',
    '2024‐25 budget',
  ])
    assert.deepEqual(hosts(text), [], text);
});
