import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../config/index.ts';
import type { GatehouseError } from '../errors/index.ts';
import { CATALOGUE, NOTICE_KINDS, parseChannelMap, type NoticeKind } from './catalogue.ts';
import { pageUrl } from './compose.ts';
import type { BusEventOf } from '../bus/index.ts';
import { contextsToForget, deviceKey, noticesFromBus } from './producers.ts';
import { email, noticeContent, safeParams, sms, timeFormatter, untrusted } from './templates/index.ts';

const AT = Date.UTC(2026, 4, 1, 4, 3);
/** One realistic parameter set per kind (each checked against the kind's schema below). */
const SAMPLES: Record<NoticeKind, unknown> = {
  'signin.new': {
    at: AT,
    method: 'qr',
    device: 'Chrome 125 on Android 13',
    ip: '203.0.113.50',
    network: '203.0.113.0/24',
    country: 'VN',
    novel: ['device', 'country'],
  },
  'signin.cross_device_approved': {
    at: AT,
    device: 'Edge 120 on Windows 11',
    approvedOn: 'QQ 9.0 on iOS 17',
    ip: '198.51.100.9',
    probation: true,
  },
  'recovery.factor_changed': {
    at: AT,
    change: 'removed',
    factor: 'phone',
    detail: '*** **** 8000',
    coolingOffUntil: AT + 86_400_000,
  },
  'password.changed': { at: AT, via: 'settings', sessionsEnded: 3 },
  'sessions.ended': { at: AT, reason: 'everywhere' },
  'account.contained': {
    at: AT,
    summary: {
      en: 'Your account was frozen because someone else took it over.',
      zh: '你的账号因被他人盗用已被冻结。',
    },
    decision: 'dec_1',
  },
  'account.sanctioned': { at: AT, reason: 'spam ads' },
  'appeal.opened': { at: AT, case: 'case_1', openedBy: 'owner' },
  'appeal.verified': { at: AT, case: 'case_1', method: 'email_code' },
  'appeal.finished': { at: AT, case: 'case_1', outcome: 'rejected', reason: 'could not verify' },
  'app.authorised': { at: AT, app: 'Skin Market', scopes: ['profile', 'friends.read'] },
  'app.suspended': { at: AT, app: 'Skin Market', reason: 'leaked user data' },
};

const ctx = (locale: 'en' | 'zh-CN', notMe = true) => ({
  locale,
  handle: 'li.lei',
  time: timeFormatter(locale, 'Asia/Shanghai'),
  page: 'https://gh.example/security/activity',
  appeal: 'https://gh.example/security/appeal',
  ...(notMe ? { notMe: 'https://gh.example/security/not-me?token=ghn_x' } : {}),
});

test('every kind has an English and a Chinese template with subject, summary, facts and a link', () => {
  for (const kind of NOTICE_KINDS) {
    const params = CATALOGUE[kind].params.parse(SAMPLES[kind]);
    for (const locale of ['en', 'zh-CN'] as const) {
      const c = noticeContent(kind, params as never, ctx(locale));
      assert.ok(c.subject.length > 5 && c.summary.length > 10, `${kind} ${locale}`);
      assert.ok(c.facts.length >= 1 && c.actions.length >= 1, `${kind} ${locale}`);
      const e = email(c, locale, {
        handle: 'li.lei',
        settingsUrl: 'https://gh.example/security/notifications',
      });
      for (const s of [e.subject, e.text, e.html, sms(c, locale)]) {
        assert.doesNotMatch(s, /\$\{|undefined|\[object|NaN/, `${kind} ${locale}: ${s.slice(0, 80)}`);
      }
      const cjk = /[\u4e00-\u9fff]/.test(c.subject + c.summary);
      assert.equal(cjk, locale === 'zh-CN', `${kind} ${locale} is in its language`);
      assert.match(e.text, /https:\/\/gh\.example\/security\//);
      assert.match(e.html, /<a href="https:\/\/gh\.example\/security\//);
      // the not-me link is offered exactly where the catalogue says
      assert.equal(e.text.includes('not-me'), CATALOGUE[kind].notMe, `${kind} not-me link`);
    }
  }
  // times are written in the configured zone, in the language
  const zh = noticeContent('password.changed', SAMPLES['password.changed'] as never, ctx('zh-CN'));
  assert.match(zh.summary, /2026年5月1日.*12:03.*Asia\/Shanghai/);
});

test('text someone else chose cannot inject markup or become a link', () => {
  const hostile = safeParams({
    ...(SAMPLES['signin.new'] as object),
    device: 'Update at https://paypal.com.secure-login.cn now <a href="https://evil.cn">here</a>\u202e',
  }) as never;
  for (const locale of ['en', 'zh-CN'] as const) {
    const e = email(noticeContent('signin.new', hostile, ctx(locale)), locale, { handle: 'li.lei' });
    assert.doesNotMatch(e.html, /<a href="https:\/\/evil/);
    assert.match(e.html, /&lt;a href=/);
    assert.doesNotMatch(e.text + e.html, /paypal\.com|secure-login\.cn|https:\/\/evil/);
    assert.match(e.text, /paypal\[\.\]com\[\.\]secure-login\[\.\]cn/);
    assert.doesNotMatch(e.text, /\u202e/);
  }
  assert.equal(untrusted('li.lei'), 'li.lei', 'a handle that is not a domain stays as it is');
  assert.equal(untrusted('www.x.test'), 'www[.]x[.]test');
  assert.equal(untrusted('x'.repeat(500), 20).length, 20);
});

test('notifyChannels: names are checked, * and none work, a kind keeps only channels it may use', () => {
  const m = parseChannelMap('signin.new=email; *=email+sms; password.changed=none');
  assert.deepEqual(m['signin.new'], ['email']);
  assert.deepEqual(m['password.changed'], []);
  assert.deepEqual(m['account.contained'], ['email', 'sms']);
  assert.deepEqual(m['appeal.opened'], ['email', 'sms']);
  assert.deepEqual(parseChannelMap('')['signin.new'], ['email', 'sms', 'inapp']);
  assert.throws(() => parseChannelMap('signin.nwe=email'), /unknown notice kind "signin\.nwe"/);
  assert.throws(() => parseChannelMap('signin.new=pigeon'), /unknown channel "pigeon"/);
  assert.throws(() => parseChannelMap('account.contained=inapp'), /cannot use inapp.*notify_owner/);
  assert.throws(() => parseChannelMap('signin.new'), /kind=channel/);
  assert.throws(
    () => loadConfig({ env: { GATEHOUSE_NOTIFY_CHANNELS: 'password.chagned=email' } }),
    (e: GatehouseError) =>
      e.code === 'CONFIG_INVALID' && /notifyChannels/.test(e.message) && /password\.chagned/.test(e.message),
  );
  assert.throws(() => loadConfig({ env: { GATEHOUSE_NOTIFY_TIME_ZONE: 'Mars/Olympus' } }), /notifyTimeZone/);
});

test('bus facts: the containment notice (enforced notify_owner only), the intruder sessions whose contexts a containment forgets, and bulk sign-outs, keyed for redelivery', () => {
  // typed by the bus catalogue: the response part's action.taken, exactly as it is published
  const action = (over: Partial<BusEventOf<'action.taken'>['action']>): BusEventOf<'action.taken'> => ({
    id: 'action:a1',
    type: 'action.taken',
    time: AT,
    account: 'acc_1',
    action: {
      id: 'a1',
      kind: 'notify_owner',
      mode: 'enforce',
      status: 'done',
      rule: 'contain',
      decision: 'dec_9',
      detail: { text: { en: 'frozen', zh: '已冻结' } },
      sinceDecisionMs: 5,
      ms: 1,
      ...over,
    },
  });
  // a containment's session revocation names the intruder device's sessions: their contexts are forgotten
  const revoke = (over: Partial<BusEventOf<'action.taken'>['action']>) =>
    contextsToForget(
      action({ kind: 'revoke_sessions', detail: { deviceSessions: ['ses_1', 'ses_2'] }, ...over }),
    );
  assert.deepEqual(revoke({}), { account: 'acc_1', sessions: ['ses_1', 'ses_2'] });
  assert.equal(revoke({ mode: 'dry-run' }), undefined, 'dry-run forgets nothing');
  assert.equal(revoke({ status: 'failed' }), undefined);
  assert.equal(revoke({ kind: 'notify_owner' }), undefined);
  assert.deepEqual(revoke({ detail: { deviceSessions: ['ses_3', 7, '', 'x'.repeat(65)] } })?.sessions, [
    'ses_3',
  ]);
  assert.equal(revoke({ detail: { deviceSessions: 'ses_1' } }), undefined, 'not a list: nothing');
  const [n] = noticesFromBus(action({}));
  assert.equal(n?.kind, 'account.contained');
  assert.equal(n?.key, 'decision:dec_9');
  assert.equal(noticesFromBus(action({ mode: 'dry-run' })).length, 0);
  assert.equal(noticesFromBus(action({ kind: 'freeze_account' })).length, 0);
  assert.equal(
    noticesFromBus({ id: 'x', type: 'action.taken', time: 1 }).length,
    0,
    'a bad shape is ignored',
  );
  const revoked = (reason: string) => ({
    id: 'e',
    type: 'session.revoked',
    time: AT,
    account: 'acc_1',
    session: 's',
    reason,
  });
  assert.equal(noticesFromBus(revoked('everywhere'))[0]?.key, `everywhere:${AT}`);
  assert.equal(noticesFromBus(revoked('password_changed')).length, 0);
  assert.equal(noticesFromBus(revoked('frozen')).length, 0);
});

test('a browser or OS update is not a new device', () => {
  const a = deviceKey({
    label: 'Chrome 125 on Windows 10',
    browser: 'Chrome 125',
    os: 'Windows 10',
    deviceType: 'desktop',
  });
  const b = deviceKey({
    label: 'Chrome 126 on Windows 10',
    browser: 'Chrome 126',
    os: 'Windows 10',
    deviceType: 'desktop',
  });
  const c = deviceKey({
    label: 'Chrome 126 on Android 14',
    browser: 'Chrome 126',
    os: 'Android 14',
    deviceType: 'mobile',
  });
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('links are under the public URL, its path kept', () => {
  assert.equal(
    pageUrl('https://safe.example.cn', '/security/sessions'),
    'https://safe.example.cn/security/sessions',
  );
  assert.equal(
    pageUrl('https://www.example.cn/account/', '/security/not-me', { token: 'ghn_a+b' }),
    'https://www.example.cn/account/security/not-me?token=ghn_a%2Bb',
  );
  assert.equal(pageUrl('http://127.0.0.1:8080', '/security/appeal'), 'http://127.0.0.1:8080/security/appeal');
});

test('bus facts: an app authorised or suspended becomes the owner’s notice, keyed by grant and incident', () => {
  const authorised = {
    id: 'evt_1',
    type: 'app.authorised',
    time: AT,
    account: 'acc_1',
    client: 'app_game',
    app: { en: 'Mini Game', zh: '小游戏' },
    verified: false,
    grant: 'grant_7',
    scopes: ['openid', 'profile'],
    declined: ['friends'],
  };
  const [a] = noticesFromBus(authorised);
  assert.equal(a?.kind, 'app.authorised');
  assert.equal(a?.key, 'grant:grant_7:evt_1');
  assert.deepEqual((a?.params as { scopes: string[] }).scopes, ['openid', 'profile']);
  const zh = noticeContent(
    'app.authorised',
    CATALOGUE['app.authorised'].params.parse(a!.params),
    ctx('zh-CN'),
  );
  assert.match(JSON.stringify(zh), /Mini Game/);
  const suspended = {
    id: 'evt_2',
    type: 'app.suspended',
    time: AT,
    account: 'acc_1',
    client: 'app_game',
    app: { en: 'Mini Game', zh: '小游戏' },
    reason: 'leaked user data',
    incident: 'inc_3',
    fieldsRead: ['email'],
    notice: { en: 'Mini Game was switched off', zh: '小游戏已被停用' },
  };
  const [s] = noticesFromBus(suspended);
  assert.equal(s?.kind, 'app.suspended');
  assert.equal(s?.key, 'suspended:inc_3');
  assert.equal(noticesFromBus({ ...suspended, app: 'Mini Game' }).length, 0, 'a bad shape is ignored');
});
