// Links on shared services, over HTTP on SQLite and PostgreSQL (THREAT_MODEL S35–S39): a page anyone
// publishes on a platform everyone uses — a messenger's channel or group, an H5 builder's page, a short
// link, a free host's tenant — and a lure behind a trusted site's redirect are the lure's own link. A
// lone intruder who sends one to friends from its own device is held on the first and contained by the
// third, even where the owner linked the same service before or the crowd is passing the service on
// tonight; the owner's own links from home are not held.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, INTRUDER, ok, OWNER, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { accountAtHome, type AccountAtHome, type CheckAnswerJson as Answer } from '../testing/engine-http.ts';

const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);

/** A harness for one test, cleaned up after it. */
async function withHarness(backend: Parameters<typeof harness>[0], fn: (h: Harness) => Promise<void>) {
  const h = await harness(backend);
  try {
    await fn(h);
  } finally {
    await h.cleanup();
  }
}

/** The owner's own messages from home on its own device, each to `n` friends: every one delivered. */
async function ownerSends(acct: AccountAtHome, texts: ReadonlyArray<readonly [string, number]>) {
  const home = await acct.signIn(OWNER, true);
  for (const [text, n] of texts) assert.equal((await acct.check(home, text, n)).verdict, 'allow', text);
}

/**
 * The intruder (the password, its own device and network) sends `texts` in turn to friends f3, f4 and
 * f5: the first is held with the session's link spread among its signals, the third contains the account.
 */
async function heldThenContained(acct: AccountAtHome, texts: readonly [string, string, string]) {
  const x = await acct.signIn(INTRUDER);
  const first = await acct.check(x, texts[0], [`${acct.handle}-f3`]);
  assert.notEqual(first.verdict, 'allow', JSON.stringify(first));
  assert.ok(names(first).includes('session_link_spread'), JSON.stringify(first));
  await acct.check(x, texts[1], [`${acct.handle}-f4`]);
  const third = await acct.check(x, texts[2], [`${acct.handle}-f5`]);
  assert.equal(third.action, 'contain', JSON.stringify(third));
}

type UrlsJson = {
  urls: Array<{ host: string; site?: string; reasons: Array<{ code: string; flags?: string[] }> }>;
};
const analyze = async (h: Harness, text: string) =>
  ok(await h.call('POST', '/v1/content/urls/analyze', { key: h.op, body: { text } })).json as UrlsJson;

describeBackends('links on shared services (HTTP)', (backend) => {
  test('a lone intruder moving friends to a Telegram channel, by web link or by tg:// app link, is held and contained though the owner shared another channel before', () =>
    withHarness(backend, async (h) => {
      const acct = await accountAtHome(h, `tg.${backend}`, 20);
      await ownerSends(acct, [
        ['我们跑团的频道 https://t.me/hiking_club_sz 欢迎来玩', 2],
        ['频道更新了周末路线 https://t.me/hiking_club_sz', 3],
      ]);
      // each channel is a site of its own (t.me is everyone's); Telegram's own app link is the same page
      const app = '这个频道挺好的，进来看看 tg://resolve?domain=daily_picks_88';
      await heldThenContained(acct, ['这个频道挺好的，进来看看 https://t.me/daily_picks_88', app, app]);
      const u = (await analyze(h, app)).urls[0];
      assert.equal(u?.site, 't.me/daily_picks_88');
      assert.deepEqual(u?.reasons.find((r) => r.code === 'url.obfuscated')?.flags, ['app-link']);
    }));

  test('while couples send their own invitation pages on one H5 builder, an intruder’s page on it is still a link of its own; the couples’ invitations go out', () =>
    withHarness(backend, async (h) => {
      const friends = (handle: string) => Array.from({ length: 12 }, (_, k) => `${handle}-old${k}`);
      // five couples at home on their own phones, each with a page of their own on the builder
      for (let i = 0; i < 5; i++) {
        const o = await accountAtHome(h, `couple${i}.${backend}`);
        const home = await o.signIn(OWNER, true);
        const d = await o.check(
          home,
          `我们要结婚啦，请帖在这 https://h5.eqxiu.com/s/Wedd1ng${i}x`,
          friends(o.handle),
        );
        assert.equal(d.verdict, 'allow', JSON.stringify(d));
      }
      // the builder's domain is everywhere tonight; the intruder's page is not the crowd's
      const lure = '我们的婚礼请帖，点开看看，记得回复出席哦 https://h5.eqxiu.com/s/Ph1shRsvp';
      await heldThenContained(await accountAtHome(h, `h5.${backend}`, 20), [lure, lure, lure]);
    }));

  test('a lone intruder inviting friends into a group of its own with a QQ or WeChat group link (the platform’s own domains) is held and contained; the owner sharing the family group’s link is not', () =>
    withHarness(backend, async (h) => {
      const acct = await accountAtHome(h, `grp.${backend}`, 20);
      const family = '家族群换新群了，点这个进 https://jq.qq.com/?_wv=1027&k=Fam1lyGrp';
      await ownerSends(acct, [
        [family, 2],
        [family, 3],
      ]);
      // another group on the same domain is a page of its own: the intruder's group is a first link
      const wx = '我建了个群，大家都在，点这个进 https://weixin.qq.com/g/AbCdEf12345678';
      await heldThenContained(acct, [
        '拉你进我们小区业主群，点链接进就行 https://jq.qq.com/?_wv=1027&k=Xb7kQ2mZ',
        wx,
        wx,
      ]);
    }));

  test('a lone intruder’s short link, or its page on a free host, is a link of its own though the owner linked the same shortener and host before', () =>
    withHarness(backend, async (h) => {
      const acct = await accountAtHome(h, `short.${backend}`, 20);
      await ownerSends(acct, [
        ['周末拍的照片都在这 https://t.cn/A6hK2mQ9', 2],
        ['我的小站更新了 https://lily-notes.000webhostapp.com/blog/7', 3],
      ]);
      const page = '你看看这个是不是你 https://photos-2026.000webhostapp.com/album';
      await heldThenContained(acct, ['你看看这个是不是你 https://t.cn/B9xQ7wE2', page, page]);
    }));

  test('a lone intruder’s lure behind a Google or QQ redirect is the lure’s own link: held and contained; the text API names where the reader lands', () =>
    withHarness(backend, async (h) => {
      const acct = await accountAtHome(h, `redir.${backend}`, 20);
      const google =
        '你看看这个是不是你 https://www.google.com/url?q=https%3A%2F%2Fphoto-album-view.net%2Fp%2F7&sa=D';
      const qq =
        '你看看这个是不是你 https://c.pc.qq.com/middlem.html?pfurl=http%3A%2F%2Fphoto-album-view.net%2Fp%2F7';
      await heldThenContained(acct, [google, qq, qq]);
      const hosts = (await analyze(h, google)).urls.map((u) => u.host);
      assert.deepEqual(hosts, ['www.google.com', 'photo-album-view.net']);
    }));
});
