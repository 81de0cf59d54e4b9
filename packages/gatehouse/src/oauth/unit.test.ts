/** Pure parts: scopes and claims, masking, the ceiling, platform facts, anomaly detection, pages, registry checks. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppAnomalyDetector } from './anomaly.ts';
import { consentPage, deviceConfirmPage, esc, pickLang } from './pages.ts';
import { foldPlatformEvents } from './platform.ts';
import { claimsConfig, claimsFor, effectiveCeiling, maskEmail, maskPhone, unmasked } from './scopes.ts';

describe('scopes and claims', () => {
  test('each field scope releases exactly its own claim; no profile bundle', () => {
    const c = claimsConfig();
    assert.deepEqual(c.nickname, ['nickname']);
    assert.deepEqual(c.phone, ['phone_number']);
    assert.deepEqual(c.friends, []);
    assert.equal(c.profile, undefined);
  });

  test('claimsFor returns only granted, known fields, contacts masked unless verified + reviewed', () => {
    const p = {
      nickname: '小明',
      avatar: 'https://x/a.png',
      phone: '+8613912345678',
      email: 'ming@qq.com',
      friendCount: 7,
    };
    const app = { verified: false, reviewed: ['phone'] };
    const r = claimsFor(['openid', 'nickname', 'phone', 'region', 'friends'], p, app);
    assert.deepEqual(r.claims, { nickname: '小明', phone_number: '+86 139****5678' });
    assert.deepEqual(r.fields.sort(), ['nickname', 'phone']);
    assert.deepEqual(claimsFor(['phone', 'email'], p, { verified: true, reviewed: ['phone'] }).claims, {
      phone_number: '+8613912345678',
      email: 'm***@qq.com',
    });
    assert.equal(unmasked('email', { verified: true, reviewed: [] }), false);
  });

  test('masking keeps little: phones and emails of several shapes', () => {
    assert.equal(maskPhone('+86 139 1234 5678'), '+86 139****5678');
    assert.equal(maskPhone('13912345678'), '139****5678');
    assert.equal(maskPhone('+4915112345678'), '+*********5678');
    assert.equal(maskPhone('123'), '***');
    assert.equal(maskEmail('a@b.cn'), 'a***@b.cn');
    assert.equal(maskEmail('not-an-email'), '***');
  });

  test('the ceiling drops unreviewed sensitive scopes and unknown ones, keeps openid', () => {
    assert.deepEqual(
      effectiveCeiling({ scopes: ['nickname', 'friends', 'bogus', 'offline_access'], reviewed: [] }),
      ['openid', 'nickname', 'offline_access'],
    );
    assert.ok(effectiveCeiling({ scopes: ['friends'], reviewed: ['friends'] }).includes('friends'));
  });
});

describe('platform facts', () => {
  test('latest profile values and current friends from events in any order', () => {
    const e = (type: string, time: number, x: Record<string, unknown>) => ({
      id: `${type}${time}`,
      type,
      time,
      account: 'a',
      ...x,
    });
    const r = foldPlatformEvents([
      e('friend.removed', 30, { friend: 'b' }),
      e('friend.added', 10, { friend: 'b' }),
      e('friend.added', 20, { friend: 'c' }),
      e('profile.changed', 5, { field: 'region', new: 'CN-11' }),
      e('profile.changed', 6, { field: 'region', new: 'CN-31' }),
      e('profile.changed', 7, { field: 'avatar', new: 'x' }),
      e('profile.changed', 8, { field: 'avatar', new: null }),
      e('profile.changed', 9, { field: 'password', new: 'secret' }),
    ]);
    assert.deepEqual(r.friends, ['c']);
    assert.deepEqual(r.profile, { region: 'CN-31' });
  });
});

describe('anomaly detection', () => {
  const read = (
    d: AppAnomalyDetector,
    account: string,
    at: number,
    o: Partial<{ resource: string; network: string; grant: string }> = {},
  ) =>
    d.observe({
      client: 'app_x',
      account,
      grant: o.grant ?? `g-${account}`,
      resource: o.resource ?? 'friends',
      network: o.network ?? '10.0.0.0/24',
      at,
    });

  test("a new app reading 30 users' friend lists in ten minutes is an incident; 29 is not", () => {
    const d = new AppAnomalyDetector();
    const t = 1_800_000_000_000;
    let out: ReturnType<AppAnomalyDetector['observe']> = [];
    for (let i = 0; i < 29; i++) out = out.concat(read(d, `u${i}`, t + i));
    assert.equal(out.length, 0);
    out = read(d, 'u29', t + 30);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.kind, 'app_reading_breadth');
    assert.deepEqual(out[0]!.signals.map((s) => s.name).sort(), ['app_friends_breadth', 'app_rate_jump']);
    assert.equal(read(d, 'u30', t + 31).length, 0, 'once per window');
  });

  test('a scrape across a clock-aligned ten-minute boundary is one window: an incident', () => {
    const d = new AppAnomalyDetector();
    const boundary = 1_800_000_000_000; // a multiple of ten minutes
    let out: ReturnType<AppAnomalyDetector['observe']> = [];
    // 15 users' friend lists in the last seconds before the boundary, 15 in the first after it
    for (let i = 0; i < 15; i++) out = out.concat(read(d, `u${i}`, boundary - 15_000 + i * 1000));
    for (let i = 15; i < 30; i++) out = out.concat(read(d, `u${i}`, boundary + (i - 15) * 1000));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.kind, 'app_reading_breadth');
    assert.equal(out[0]!.accounts.length, 30);
    // reads spread over more than ten minutes are not one window
    const slow = new AppAnomalyDetector();
    let slowOut = 0;
    for (let i = 0; i < 30; i++) slowOut += read(slow, `u${i}`, boundary + i * 25_000).length;
    assert.equal(slowOut, 0);
  });

  test('an app that always reads that many is its own usual: no jump, no incident', () => {
    const d = new AppAnomalyDetector({ windowMs: 1000 });
    let fired = 0;
    for (let w = 0; w < 12; w++) for (let i = 0; i < 40; i++) fired += read(d, `u${i}`, w * 1000 + i).length;
    // only the first windows, before the app has a usual, may fire
    const late = new AppAnomalyDetector({ windowMs: 1000 });
    let lateFired = 0;
    for (let w = 0; w < 12; w++)
      for (let i = 0; i < 40; i++) {
        const r = read(late, `u${i}`, w * 1000 + i);
        if (w >= 6) lateFired += r.length;
      }
    assert.equal(lateFired, 0);
    assert.ok(fired <= 3);
  });

  test('one grant used from four networks is an incident; from three it is not', () => {
    const d = new AppAnomalyDetector();
    const t = 1_800_000_000_000;
    assert.equal(read(d, 'a', t, { resource: 'profile', network: 'n1', grant: 'g' }).length, 0);
    assert.equal(read(d, 'a', t + 1, { resource: 'profile', network: 'n2', grant: 'g' }).length, 0);
    assert.equal(read(d, 'a', t + 2, { resource: 'profile', network: 'n3', grant: 'g' }).length, 0);
    const r = read(d, 'a', t + 3, { resource: 'profile', network: 'n4', grant: 'g' });
    assert.equal(r[0]?.kind, 'app_token_networks');
    assert.equal(r[0]?.grant, 'g');
    assert.equal(r[0]?.signals[0]?.name, 'grant_many_networks');
  });
});

describe('pages', () => {
  test('escaping, language choice and what the pages must say', () => {
    assert.equal(esc('<script>"x"&'), '&lt;script&gt;&quot;x&quot;&amp;');
    assert.equal(pickLang(undefined, 'zh-CN,zh;q=0.9,en;q=0.8'), 'zh');
    assert.equal(pickLang('en zh', 'zh-CN'), 'en');
    assert.equal(pickLang(undefined, undefined), 'en');
    const c = consentPage({
      lang: 'en',
      app: { name: { en: '<b>Evil</b>', zh: '恶' }, verified: true },
      action: '/x',
      csrf: 'c',
      fields: ['nickname', 'friends'],
      offline: false,
      handle: 'alice',
    });
    assert.match(c, /&lt;b&gt;Evil&lt;\/b&gt;/);
    assert.match(c, /id="app-verified"/);
    assert.match(c, /value="friends" checked/);
    const d = deviceConfirmPage({
      lang: 'zh',
      app: { name: { en: 'TV', zh: '电视' }, verified: false },
      form: '<form id="op.deviceConfirmForm"></form>',
      userCode: 'ABCD-EFGH',
      origin: { ip: '203.0.113.9', network: '203.0.113.0/24', device: 'SmartTV/1.0', at: 0 },
      differentNetwork: true,
    });
    assert.match(d, /这个请求是你在面前的设备上发起的吗/);
    assert.match(d, /id="device-far"/);
    assert.match(d, /SmartTV/);
  });
});
