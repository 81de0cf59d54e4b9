import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { testGatehouse } from '../testing/index.ts';
import { ContentService } from './service.ts';

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;
let key: string;
before(async () => {
  ({ gh, cleanup } = await testGatehouse('sqlite'));
  url = await gh.listen();
  key = (await gh.keys.create('content ops', ['content:read', 'content:write'])).key;
});
after(async () => cleanup?.());

const post = (path: string, body: unknown, auth = key) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify(body),
  });

test('an explained score over HTTP: probability, features, intents with spans in the original text', async () => {
  const text = '兄弟，我在医院急需用钱，先转我2000，加我薇信 abc12345';
  const r = (await (await post('/v1/content/text/score', { text })).json()) as {
    probability: number;
    intents: Array<{ intent: string; start: number; end: number; term: string }>;
    topFeatures: unknown[];
  };
  assert.ok(r.probability >= 0 && r.probability <= 1);
  assert.ok(r.topFeatures.length > 0);
  const money = r.intents.find((i) => i.intent === 'money')!;
  assert.ok(money, JSON.stringify(r.intents));
  assert.ok(text.slice(money.start, money.end).length > 0);
});

test('operator labels teach the model at once, are recorded, and the model is persisted', async () => {
  const text = 'limited offer: claim your free game skin now at skins-drop.example';
  const first = (await (await post('/v1/content/text/labels', { text, verdict: 'spam' })).json()) as {
    before: number;
    after: number;
  };
  assert.ok(first.after > first.before, JSON.stringify(first));
  let last = first.after;
  for (let i = 0; i < 3; i++)
    last = (
      (await (await post('/v1/content/text/labels', { text, verdict: 'spam' })).json()) as { after: number }
    ).after;
  assert.ok(last > first.after);
  const ham = (await (
    await post('/v1/content/text/labels', { text: 'see you at dinner tonight', verdict: 'ham' })
  ).json()) as { before: number; after: number };
  assert.ok(ham.after < ham.before);
  const rows = await gh.store.db.selectFrom('content_labels').selectAll().execute();
  assert.equal(rows.length, 5);
  gh.content.save();
  const path = join(gh.config.dataDir, 'models', 'text.bin');
  assert.ok(existsSync(path));
  const reloaded = new ContentService({
    dataDir: gh.config.dataDir,
    textModelFile: '',
    brandsFile: '',
    blocklistFile: '',
    allowlistFile: '',
    imageBankFile: '',
    log: createLogger('silent'),
  });
  assert.equal(reloaded.explainText(text).probability, gh.content.explainText(text).probability);
  reloaded.close();
});

test('a one-time code asked of the reader is an intent of the text API, with its span; a code given is not', async () => {
  const score = async (text: string) =>
    (await (await post('/v1/content/text/score', { text })).json()) as {
      intents: Array<{ intent: string; start: number; end: number; label: string; labelZh: string }>;
    };
  const text = '我手机号停用了，验证码发到你手机上了，麻烦把6位数字告诉我一下';
  const cred = (await score(text)).intents.find((i) => i.intent === 'credential');
  assert.ok(cred, 'credential intent');
  assert.equal(text.slice(cred.start, cred.end), '验证码发到你手机上了，麻烦把6位数字告诉我');
  assert.match(cred.label, /one-time code/);
  assert.match(cred.labelZh, /验证码/);
  for (const t of ['你的取件码是6612', '别把验证码告诉任何人', 'send me the discount code'])
    assert.ok(!(await score(t)).intents.some((i) => i.intent === 'credential'), t);
});

test('URL analysis and image matching over HTTP; scopes and bad input', async () => {
  const u = (await (
    await post('/v1/content/urls/analyze', { text: '领取 Q币 👉 qq-login-game[.]com/free' })
  ).json()) as { urls: Array<{ verdict: string; brand?: string }> };
  assert.equal(u.urls[0]!.verdict, 'lookalike');
  assert.equal(u.urls[0]!.brand, 'qq');
  const m = (await (await post('/v1/content/images/match', { hash: 'a'.repeat(64) })).json()) as {
    match: unknown;
  };
  assert.equal(m.match, null);
  assert.equal((await post('/v1/content/images/match', { hash: 'xyz' })).status, 400);
  assert.equal((await post('/v1/content/text/score', { text: '' })).status, 400);
  const reader = (await gh.keys.create('reader', ['content:read'])).key;
  assert.equal((await post('/v1/content/text/labels', { text: 'x', verdict: 'spam' }, reader)).status, 403);
});

test('link evasions over HTTP: dot words and look-alikes, a link after 64 KiB, a link split in two', async () => {
  const analyze = async (body: unknown) =>
    (await (await post('/v1/content/urls/analyze', body)).json()) as {
      urls: Array<{ host: string; verdict: string; brand?: string }>;
      split?: Array<{ host: string; verdict: string; brand?: string }>;
    };
  const dotWord = await analyze({ text: '账号异常，请到 qq-security点cn 验证' });
  assert.deepEqual(
    dotWord.urls.map((u) => [u.host, u.verdict, u.brand]),
    [['qq-security.cn', 'lookalike', 'qq']],
  );
  const middle = await analyze({ text: 'free nitro: discord-nitro·xyz' });
  assert.equal(middle.urls[0]!.brand, 'discord');
  const late = await analyze({ text: `${'聊聊天气和晚饭吃什么。'.repeat(7000)} steam-gift%2Ecom` });
  assert.deepEqual(
    late.urls.map((u) => u.host),
    ['steam-gift.com'],
  );
  const lateScore = (await (
    await post('/v1/content/text/score', { text: `${'x '.repeat(40_000)}加我薇信领红包` })
  ).json()) as { intents: Array<{ start: number }>; truncated: boolean };
  assert.equal(lateScore.truncated, true);
  assert.ok(lateScore.intents.some((i) => i.start > 65536));
  const split = await analyze({ previous: '快领 discord-nitro-', text: 'gift.com 限时' });
  assert.deepEqual(
    split.split!.map((u) => [u.host, u.brand]),
    [['discord-nitro-gift.com', 'discord']],
  );
  // a dash look-alike inside the name, 丶 for the dot, and the official name as the user part of a link
  // whose host comes after the "@"
  const dash = await analyze({ text: 'free nitro at discord–gift.com/claim' });
  assert.deepEqual(
    dash.urls.map((u) => [u.host, u.verdict, u.brand]),
    [['discord-gift.com', 'lookalike', 'discord']],
  );
  const dian = await analyze({ text: '账号异常 qq-security丶cn 验证' });
  assert.deepEqual(
    dian.urls.map((u) => u.host),
    ['qq-security.cn'],
  );
  const at = await analyze({ text: 'steam support: steamcommunity.com@steam-trade-check.ru/login' });
  assert.deepEqual(
    at.urls.map((u) => u.host),
    ['steam-trade-check.ru'],
  );
  assert.notEqual(at.urls[0]!.verdict, 'clean');
  // a scheme with its separator broken or its letters masked, and a host one character at a time
  const broken = await analyze({
    text: '免费皮肤 https//steam-skins-gift.ru/claim，或 w w w . b e t 6 6 8 . c o m ，h**ps://nitro-drop.xyz',
  });
  assert.deepEqual(
    broken.urls.map((u) => u.host),
    ['steam-skins-gift.ru', 'www.bet668.com', 'nitro-drop.xyz'],
  );
  // an e-mail address is no link; a date range with a dash is no link
  assert.deepEqual((await analyze({ text: '发到 zhang.san@163.com，1990–1995 年的资料' })).urls, []);
  // the owner's ordinary messages stay link-free
  const plain = await analyze({ previous: '我们3点', text: '半见，记得带3.5元' });
  assert.deepEqual(plain.urls, []);
  assert.deepEqual(plain.split, []);
});

test('lookalikes with several edits or lure blends, and learned scam intents, over HTTP', async () => {
  const analyze = async (text: string) =>
    (
      (await (await post('/v1/content/urls/analyze', { text })).json()) as {
        urls: Array<{
          host: string;
          verdict: string;
          brand?: string;
          reasons: Array<{ code: string; rule?: string }>;
        }>;
      }
    ).urls;
  const multi = await analyze('trade here: https://steamcomrnunnity.com/tradeoffer/new');
  assert.equal(multi[0]!.verdict, 'lookalike');
  assert.equal(multi[0]!.brand, 'steam');
  const blend = await analyze('claim nitrogiftt.com now');
  assert.equal(blend[0]!.brand, 'discord');
  assert.ok(blend[0]!.reasons.some((r) => r.code === 'url.lure'));
  // the owner's own links stay clean
  const own = await analyze('see https://steamcommunity.com/id/me and https://discord.com/channels/1');
  assert.deepEqual(
    own.map((u) => u.verdict),
    ['clean', 'clean'],
  );
  const score = async (text: string) =>
    (await (await post('/v1/content/text/score', { text })).json()) as {
      intents: Array<{ intent: string; term: string; start: number; end: number }>;
    };
  const scam = await score('二舅，我是小涛，手机掉了这是新号，在医院交押金还差四千，先转我，别告诉我妈');
  assert.ok(scam.intents.some((i) => i.intent === 'money'));
  const wish = await score('元宵节快乐，恭喜发财，红包多多');
  assert.deepEqual(
    wish.intents.filter((i) => ['money', 'impersonation', 'prize'].includes(i.intent)),
    [],
  );
  // words with an everyday sense are no gambling or porn wording alone; beside a word without one they are
  for (const text of [
    '上分了吗兄弟，带我打排位',
    'I bet he forgot again lol',
    '成人票多少钱，在官网买吗',
    '资源发我一下',
  ])
    assert.deepEqual(
      (await score(text)).intents.filter((i) => ['gambling', 'porn', 'prize'].includes(i.intent)),
      [],
      text,
    );
  const ad = await score('澳门首家线上赌场 首充送888');
  assert.deepEqual(
    ad.intents.filter((i) => i.intent === 'gambling').map((i) => i.term),
    ['澳门', '赌场'],
  );
});
