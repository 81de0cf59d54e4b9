// Issue 12 item 3 over HTTP: QR codes inside images sent with messages are decoded (jsQR over
// sharp-decoded pixels); the platform's own QR-login URL in an image, in text or in links, and
// "scan to log in / 扫码登录" wording, carry the intent login_qr_shared, which the engine weighs —
// through the pre-send check and through event ingestion. Real PNG/JPEG QR codes are generated here
// with `qrcode`; benign images and a restaurant-menu QR code do not fire it.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import QRCode from 'qrcode';
import sharp from 'sharp';
import type { Gatehouse } from '../../gatehouse.ts';
import { testGatehouse } from '../../testing/index.ts';
import { until } from '../../testing/receiver.ts';
import { decodeQr } from './decode.ts';
import { LoginQrMatcher, loginQrPrefixes, nfkcStable, wordingForm } from './login.ts';

const LOGIN = 'https://chat.example/qr/';
const code = () => `ghq_${randomBytes(32).toString('base64url')}`;
const png = (text: string) => QRCode.toBuffer(text, { type: 'png', margin: 4, scale: 6 });
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const image = (bytes: Buffer) => ({ sha256: sha(bytes), mime: 'image/png', data: bytes.toString('base64') });
const client = { kind: 'mobile', name: 'Chat', version: '1.0' };

/** A photo-like benign image (noise and gradients, no code in it). */
async function benignPhoto(): Promise<Buffer> {
  const w = 320;
  const h = 240;
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    px[i * 3] = (i % w) & 255;
    px[i * 3 + 1] = Math.floor(i / w) & 255;
    px[i * 3 + 2] = (i * 7919) & 255;
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .jpeg()
    .toBuffer();
}

describe('QR codes in images: decoding', () => {
  test('a generated QR code is read from PNG and JPEG, inverted, and inside a larger picture', async () => {
    const url = `${LOGIN}${code()}`;
    const p = await png(url);
    assert.equal(await decodeQr(p), url);
    assert.equal(await decodeQr(await sharp(p).jpeg({ quality: 80 }).toBuffer()), url);
    assert.equal(await decodeQr(await sharp(p).negate({ alpha: false }).png().toBuffer()), url);
    // a screenshot: the code pasted on a bigger, busy canvas
    const canvas = await sharp(await benignPhoto())
      .resize(1600, 1200)
      .composite([{ input: p, left: 500, top: 400 }])
      .png()
      .toBuffer();
    assert.equal(await decodeQr(canvas), url);
    assert.equal(await decodeQr(await benignPhoto()), undefined);
  });

  test('bad bytes are typed image errors', async () => {
    await assert.rejects(decodeQr(Buffer.from('not an image at all')), { code: 'IMAGE_UNSUPPORTED' });
    await assert.rejects(decodeQr(new Uint8Array()), { code: 'IMAGE_EMPTY' });
    const p = await png('https://example.com/');
    await assert.rejects(decodeQr(p.subarray(0, 200)), (e: { code: string }) => /^IMAGE_/.test(e.code));
  });

  test('the login-URL matcher: configured prefixes, the default from the own origins, wording in zh and en', () => {
    assert.deepEqual(loginQrPrefixes('', ['https://chat.example', 'http://127.0.0.1:8080']), [
      'https://chat.example/qr/',
      'http://127.0.0.1:8080/qr/',
    ]);
    assert.deepEqual(loginQrPrefixes(' https://a.example/login/qr , https://b.example/x', []), [
      'https://a.example/login/qr',
      'https://b.example/x',
    ]);
    const m = new LoginQrMatcher(() => [LOGIN]);
    const c = code();
    assert.equal(m.match('', [], [`${LOGIN}${c}`])?.source, 'image');
    assert.equal(m.match(`点这个 chat.example/qr/${c} 领皮肤`, [], [])?.source, 'link');
    assert.equal(m.match('', [`HTTPS://Chat.Example/qr/${c}`], [])?.source, 'link');
    // the finding names the prefix, never the live code
    assert.ok(!JSON.stringify(m.match('', [], [`${LOGIN}${c}`])).includes(c));
    for (const t of [
      '扫码登录就送永久皮肤',
      '兄弟帮我扫一扫登录一下',
      '扫码免费领点券，限时',
      'Scan this QR code to log in and claim your reward',
      'scan to sign in',
      'scan the code for free skins!!',
    ])
      assert.equal(m.match(t, [], [])?.source, 'wording', t);
    for (const t of [
      '扫码点餐，菜单在桌上',
      'scan the QR code to see the menu',
      '我今天登录不上了',
      'the scanner is broken, sign in manually',
    ])
      assert.equal(m.match(t, [], []), undefined, t);
    // another site's /qr/ path is not the platform's login
    assert.equal(
      m.match('https://evil.example/qr/ghq_x', ['https://evil.example/qr/'], ['https://evil.example/qr/1']),
      undefined,
    );
    // compatibility forms are read as what they stand for (full-width letters, the ideographic space)
    for (const t of ['ＳＣＡＮ　ｔｏ　ｌｏｇ　ｉｎ', 'Scan\u3000to sign in', '扫码　登录'.replace('　', '')])
      assert.equal(m.match(t, [], [])?.source, 'wording', t);
    // the settings asked again with equal values: the same list (no parsing per message)
    const a = loginQrPrefixes('', ['https://chat.example', 'http://127.0.0.1:8080']);
    assert.equal(loginQrPrefixes('', ['https://chat.example', 'http://127.0.0.1:8080']), a);
    assert.notEqual(loginQrPrefixes('', ['https://chat.example', 'http://127.0.0.1:8081']), a);
  });

  test('the wording is read as NFKC in lower case; the code points it skips normalising for are NFKC-stable', () => {
    // every code point of the fast path: NFKC keeps it, alone and after a letter (no composition); a
    // text with anything else (a combining mark too) is normalised
    for (let c = 0; c < 0x10000; c++) {
      if (!nfkcStable(c)) continue;
      const ch = String.fromCharCode(c);
      assert.equal(ch.normalize('NFKC'), ch, `U+${c.toString(16)}`);
      assert.equal(`a${ch}`.normalize('NFKC'), `a${ch}`, `a + U+${c.toString(16)}`);
    }
    for (const t of [
      'Hello 世界，扫码登录。',
      'ＳＣＡＮ　ｔｏ　ｌｏｇ　ｉｎ',
      'ﬁnd ⑴ ㎏',
      'scan\u3000to',
      'e\u0301',
      '',
    ])
      assert.equal(wordingForm(t), t.normalize('NFKC').toLowerCase(), t);
  });
});

describe('QR login shared in chat, over HTTP (check and events)', () => {
  let gh: Gatehouse;
  let url: string;
  let key: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ gh, cleanup } = await testGatehouse('sqlite', { loginQrUrls: LOGIN, engineSnapshotSeconds: 0 }));
    url = await gh.listen();
    key = (await gh.keys.create('qr chat test', ['events:write', 'accounts:read'])).key;
  });
  after(async () => {
    await cleanup?.();
  });

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }
  type Check = { verdict: string; reasons: Array<{ signal: string; en: string; zh: string }> };
  const check = async (id: string, account: string, extra: Record<string, unknown>) => {
    const r = await call('POST', '/v1/check/message', {
      id,
      account,
      recipients: [`${account}-f`],
      client,
      ...extra,
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json as unknown as Check;
  };
  const signal = (c: Check) => c.reasons.find((r) => r.signal === 'login_qr_shared');

  test('an image holding the platform login QR is held with login_qr_shared (zh/en); the image is not stored', async () => {
    const c = code();
    const bytes = await png(`${LOGIN}${c}`);
    const r = await check('qr-img-1', 'qa', { text: '帮我扫一下，送你皮肤', attachments: [image(bytes)] });
    assert.equal(r.verdict, 'hold');
    const s = signal(r);
    assert.ok(s, JSON.stringify(r.reasons));
    assert.match(s.en, /QR code that signs in to this platform/);
    assert.match(s.zh, /扫码登录/);
    // the decision in the risk timeline names the source; the stored event holds no image and no code
    const risk = await until(async () => {
      const v = await call('GET', '/v1/accounts/qa/risk');
      return v.status === 200 && (v.json.events as unknown[]).length > 0 ? v.json : undefined;
    }, 'the checked message in the event log');
    const d = (risk.decisions as Array<{ signals: Array<{ name: string; value: unknown }> }>)[0]!;
    assert.deepEqual(
      d.signals.filter((x) => x.name === 'login_qr_shared').map((x) => x.value),
      ['image'],
    );
    const stored = JSON.stringify(risk.events);
    assert.ok(!stored.includes(bytes.toString('base64').slice(0, 64)), 'image bytes are not kept');
    assert.ok(!stored.includes('"data"'));
    assert.ok(stored.includes(`${LOGIN}…`), stored);
    assert.ok(!stored.includes(c) && !JSON.stringify(d).includes(c), 'the live code is not kept');
  });

  test('the same QR through /v1/events: the decision carries login_qr_shared', async () => {
    const bytes = await png(`${LOGIN}${code()}`);
    const r = await call('POST', '/v1/events', {
      events: [
        {
          id: 'qr-ev-1',
          type: 'message.sent',
          time: Date.now(),
          account: 'qb',
          recipients: ['qb-f'],
          text: '',
          attachments: [image(bytes)],
          client,
        },
      ],
    });
    assert.equal(r.status, 200);
    assert.equal(r.json.accepted, 1);
    const risk = await until(async () => {
      const v = await call('GET', '/v1/accounts/qb/risk');
      return v.status === 200 && (v.json.decisions as unknown[]).length > 0 ? v.json : undefined;
    }, 'the decision on the ingested message');
    const d = (risk.decisions as Array<{ action: string; signals: Array<{ name: string }> }>)[0]!;
    assert.ok(d.signals.some((x) => x.name === 'login_qr_shared'));
    assert.notEqual(d.action, 'allow');
  });

  test('login links in text and "scan to log in" wording are weighed; benign images and a menu QR are not', async () => {
    const link = await check('qr-link-1', 'qc', { text: `快来 ${LOGIN}${code()} 扫码领皮肤` });
    assert.equal(link.verdict, 'hold');
    assert.ok(signal(link));
    const words = await check('qr-words-1', 'qd', { text: 'Scan this QR code to log in and get free skins' });
    assert.ok(signal(words), JSON.stringify(words));

    const menu = await png('https://restaurant.example/menu?table=12');
    const benign = await check('qr-menu-1', 'qe', {
      text: '菜单在这里，扫码点餐',
      attachments: [image(menu)],
    });
    assert.equal(benign.verdict, 'allow');
    assert.equal(signal(benign), undefined);
    const photo = await benignPhoto();
    const p = await check('qr-photo-1', 'qe', {
      text: '今天的晚霞',
      attachments: [{ sha256: sha(photo), mime: 'image/jpeg', data: photo.toString('base64') }],
    });
    assert.equal(p.verdict, 'allow');
    assert.equal(signal(p), undefined);
  });

  test('an attachment that is not an image is a typed error; a platform may send the QR text itself', async () => {
    const junk = Buffer.from('plain text pretending to be a picture');
    const r = await call('POST', '/v1/check/message', {
      id: 'qr-bad-1',
      account: 'qf',
      recipients: ['qf-f'],
      client,
      attachments: [{ sha256: sha(junk), data: junk.toString('base64') }],
    });
    assert.equal(r.status, 415);
    assert.equal(r.json.code, 'IMAGE_UNSUPPORTED');
    const decoded = await check('qr-pre-1', 'qg', {
      attachments: [{ sha256: sha(junk), qr: [`${LOGIN}${code()}`] }],
    });
    assert.ok(signal(decoded));
  });
});
