// Owners away from home, over HTTP on SQLite and PostgreSQL (THREAT_MODEL S26, S29): the owner signs in on
// their own phone (its device token) from a hotel network and greets friends with a card link never
// sent before; the pre-send check weighs none of the new-session rules. The intruder with the password
// on its own device sending a card of its own is held by them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, INTRUDER, ok, OWNER, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { accountAtHome, type CheckAnswerJson as Answer } from '../testing/engine-http.ts';

const CARD = '新年快乐！送你一张贺卡 https://www.hometown-cards.cn/c/5e1';

describeBackends('owners away from home (HTTP)', (backend) => {
  test('the owner’s own phone on a hotel network: no new-session rule fires; the intruder on its own device: held by them', async () => {
    const h: Harness = await harness(backend);
    try {
      const acct = await accountAtHome(h, `away.${backend}`, 40);
      const check = (session: string, text = CARD, to: number | string[] = 5) =>
        acct.check(session, text, to);
      const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);
      const ruled = (x: Answer) =>
        names(x).some((s) => ['session_link_spread', 'new_session_burst', 'new_session_money'].includes(s));

      // the owner's own phone at the hotel: a new network, the known device
      const hotel = await acct.signIn({ ip: '192.0.2.77', ua: OWNER.ua }, true);
      const owner = await check(hotel);
      assert.ok(!ruled(owner), JSON.stringify(owner));
      // delivered: the hotel's network is no sign-in risk for the owner's own phone (THREAT_MODEL S29) —
      // also a greeting to a dozen friends never messaged before, with a card link never sent before
      assert.equal(owner.verdict, 'allow', JSON.stringify(owner));
      const everyone = Array.from({ length: 12 }, (_, k) => `${acct.handle}-old-friend${k}`);
      const greeting = await check(
        hotel,
        '新年快乐！给你们做了一张贺卡 https://www.hometown-greetings.cn/c/7',
        everyone,
      );
      assert.equal(greeting.verdict, 'allow', JSON.stringify(greeting));

      // the intruder: the password, its own device and network, a card link of its own (the owner's
      // card is a site the account has linked now)
      const intruder = await acct.signIn(INTRUDER);
      const lure = await check(intruder, '新年快乐！送你一张贺卡 https://www.newyear-card-gift.cc/c/9');
      assert.notEqual(lure.verdict, 'allow', JSON.stringify(lure));
      assert.ok(names(lure).includes('session_link_spread'), JSON.stringify(lure));

      // another account: its owner at the same hotel on their own phone, then an intruder with the
      // password but not the phone, on that very network, greeting the same dozen friends: held
      const other = await accountAtHome(h, `away2.${backend}`, 40);
      await other.signIn({ ip: '192.0.2.90', ua: OWNER.ua }, true);
      const sameNet = await other.signIn({ ip: '192.0.2.91', ua: INTRUDER.ua });
      const friends = Array.from({ length: 12 }, (_, k) => `${other.handle}-old-friend${k}`);
      const copy = await other.check(
        sameNet,
        '新年快乐！给你们做了一张贺卡 https://www.hometown-greetings.cn/c/7',
        friends,
      );
      assert.notEqual(copy.verdict, 'allow', JSON.stringify(copy));
    } finally {
      await h.cleanup();
    }
  });

  test('a share of a split cost asked from a new phone is held, not contained; a one-off need from one is contained', async () => {
    const h: Harness = await harness(backend);
    try {
      const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);
      // the owner back from a trip on the phone bought there, on the resort's network: no device token
      const trip = await accountAtHome(h, `aa.${backend}`);
      const phone = await trip.signIn({ ip: '192.0.2.140', ua: INTRUDER.ua });
      for (const text of [
        '滑雪场门票和租板钱我先垫了，你们每人转我218',
        'can you send me your half of the hotel, 140, I paid it all',
      ]) {
        const d = await trip.check(phone, text, 3);
        assert.ok(names(d).includes('new_session_money'), JSON.stringify(d));
        assert.notEqual(d.action, 'contain', JSON.stringify(d));
        // held: not delivered until the owner confirms (an intruder who words its ask so gains nothing)
        assert.notEqual(d.verdict, 'allow', JSON.stringify(d));
      }
      // the same kind of session asking for a one-off need of its own: contained
      const other = await accountAtHome(h, `need.${backend}`);
      const s = await other.signIn({ ip: '192.0.2.141', ua: INTRUDER.ua });
      const need = await other.check(s, '我手机丢了换了新号，急需两千交押金，你先转我，明天还你', 3);
      assert.ok(names(need).includes('new_session_money'), JSON.stringify(need));
      assert.equal(need.action, 'contain', JSON.stringify(need));
    } finally {
      await h.cleanup();
    }
  });

  test('a lone intruder sending friends a form on Tencent Docs, or its lure’s link only in a QR code image, is held at once and contained by the third friend; the owner sharing a document is not', async () => {
    const h: Harness = await harness(backend);
    try {
      const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);
      const acct = await accountAtHome(h, `form.${backend}`, 20);
      const home = await acct.signIn(OWNER, true);
      const own = await acct.check(home, '周报在这 https://docs.qq.com/doc/DRkVabc123', 2);
      assert.equal(own.verdict, 'allow', JSON.stringify(own));
      const intruder = await acct.signIn(INTRUDER);
      const form = '班级通知，请大家填一下这个表 https://docs.qq.com/form/page/DUkFaVm9xYz';
      const first = await acct.check(intruder, form, [`${acct.handle}-f3`]);
      assert.notEqual(first.verdict, 'allow', JSON.stringify(first));
      assert.ok(names(first).includes('session_link_spread'), JSON.stringify(first));
      await acct.check(intruder, form, [`${acct.handle}-f4`]);
      const third = await acct.check(intruder, form, [`${acct.handle}-f5`]);
      assert.equal(third.action, 'contain', JSON.stringify(third));
      // the text API says what the link is
      const text = ok(await h.call('POST', '/v1/content/urls/analyze', { key: h.op, body: { text: form } }))
        .json as { urls: Array<{ site?: string; reasons: Array<{ code: string }> }> };
      assert.equal(text.urls[0]?.site, 'docs.qq.com/form/page/DUkFaVm9xYz');
      assert.ok(text.urls[0]?.reasons.some((r) => r.code === 'url.user-content'));
      assert.ok(!text.urls[0]?.reasons.some((r) => r.code === 'url.official'));
      // links written to slip past a filter are read over HTTP too: inside an app link (base64), a TLD in
      // look-alike characters, a full-width comma for the dot — each found, each marked as hidden
      const hidden = ok(
        await h.call('POST', '/v1/content/urls/analyze', {
          key: h.op,
          body: {
            text: '领红包 mqqapi://forward/url?url_prefix=aHR0cHM6Ly9ob25nYmFvLWdldC5uZXQvcg==&version=1 或 discord-gift.c0m/n 或 qq-safe，cn',
          },
        }),
      ).json as { urls: Array<{ host: string; reasons: Array<{ code: string; flags?: string[] }> }> };
      assert.deepEqual(
        hidden.urls.map((u) => u.host),
        ['hongbao-get.net', 'discord-gift.com', 'qq-safe.cn'],
      );
      const flags = hidden.urls.map((u) => u.reasons.find((r) => r.code === 'url.obfuscated')?.flags);
      assert.deepEqual(flags, [['app-link'], ['tld-lookalike'], ['comma-dot']]);

      // the same lure with its link only in a QR code image: the QR code's link is the message's link
      const other = await accountAtHome(h, `qrlure.${backend}`, 20);
      const x = await other.signIn(INTRUDER);
      const withQr = (n: number) =>
        h.call('POST', '/v1/check/message', {
          key: h.op,
          body: {
            id: `${other.handle}-qr${n}`,
            account: other.id,
            session: x,
            recipients: [`${other.handle}-f${n}`],
            text: '扫码领新春红包，限时',
            attachments: [
              { sha256: `${n}`.padStart(64, 'a'), mime: 'image/png', qr: ['https://hongbao-get.net/r/88'] },
            ],
            client: { kind: 'mobile', name: 'QQ', version: '9.0' },
          },
        });
      const q1 = ok(await withQr(1)).json as Answer;
      assert.notEqual(q1.verdict, 'allow', JSON.stringify(q1));
      assert.ok(names(q1).includes('session_link_spread'), JSON.stringify(q1));
      await withQr(2);
      const q3 = ok(await withQr(3)).json as Answer;
      assert.equal(q3.action, 'contain', JSON.stringify(q3));
    } finally {
      await h.cleanup();
    }
  });

  test('a lone intruder asking friends for the code that reached their phone is held, then contained by the second friend; the owner asking family from home is not held', async () => {
    const h: Harness = await harness(backend);
    try {
      const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);
      const acct = await accountAtHome(h, `code.${backend}`, 20);
      const ask = '我手机号停用了，验证码发到你手机上了，麻烦把6位数字告诉我一下';
      const home = await acct.signIn(OWNER, true);
      const mine = await acct.check(home, ask, [`${acct.handle}-f1`]);
      assert.equal(mine.verdict, 'allow', JSON.stringify(mine));
      const intruder = await acct.signIn(INTRUDER);
      const first = await acct.check(intruder, ask, [`${acct.handle}-f3`]);
      assert.notEqual(first.verdict, 'allow', JSON.stringify(first));
      assert.ok(names(first).includes('new_session_code_ask'), JSON.stringify(first));
      const second = await acct.check(intruder, ask, [`${acct.handle}-f4`]);
      assert.equal(second.action, 'contain', JSON.stringify(second));
    } finally {
      await h.cleanup();
    }
  });

  test('the card the whole town sends, from a phone bought on the trip: delivered as organic content; an intruder who sends it first gains nothing for its lure', async () => {
    const h: Harness = await harness(backend);
    try {
      const names = (x: Answer) => (x.signals ?? []).map((s) => s.signal);
      const card = '送你一张新年贺卡，打开有惊喜 https://www.town-cards.cn/c/88';
      const friends = (handle: string) => Array.from({ length: 12 }, (_, k) => `${handle}-old${k}`);
      // five owners at home on their own phones pass the card on: organic by the time the others send it
      for (let i = 0; i < 5; i++) {
        const o = await accountAtHome(h, `town${i}.${backend}`);
        const home = await o.signIn(OWNER, true);
        const d = await o.check(home, card, friends(o.handle));
        assert.ok(!names(d).includes('organic_content') || d.verdict === 'allow', JSON.stringify(d));
      }
      // the owner on the phone bought on the trip, on the hometown network: the card to a dozen friends
      const trip = await accountAtHome(h, `newphone.${backend}`);
      const phone = await trip.signIn({ ip: '192.0.2.160', ua: INTRUDER.ua });
      const profile = async (id: string) =>
        ok(await h.call('GET', `/v1/accounts/${id}/risk`, { key: h.op })).json.profile as {
          messages: number;
          knownRecipients: number;
          linkDomains: string[];
        };
      const before = await profile(trip.id);
      const d = await trip.check(phone, card, friends(trip.handle));
      // delivered, and (a message let through on organic content is not learned) the profile unchanged
      assert.equal(d.verdict, 'allow', JSON.stringify(d));
      assert.deepEqual(await profile(trip.id), before);
      // the card with a site of the sender's own is not the crowd's: held
      const own = await trip.check(phone, '送你一张新年贺卡，打开有惊喜 https://www.my-card-gift.cc/c/1', 3);
      assert.notEqual(own.verdict, 'allow', JSON.stringify(own));
      assert.ok(!names(own).includes('organic_content'), JSON.stringify(own));

      // the intruder: the password, its own phone and network; the crowd's card first, then its lure
      const victim = await accountAtHome(h, `warm.${backend}`);
      const x = await victim.signIn(INTRUDER);
      const warm = await victim.check(x, card, friends(victim.handle));
      assert.equal(warm.verdict, 'allow', JSON.stringify(warm));
      const lure = await victim.check(x, '这是你吗？照片都传到网上了 http://photo-album-share.net/p/7', 1);
      assert.notEqual(lure.verdict, 'allow', JSON.stringify(lure));
      assert.ok(names(lure).includes('session_link_spread'), JSON.stringify(lure));
      const again = await victim.check(x, '这是你吗？照片都传到网上了 http://photo-album-share.net/p/7', [
        `${victim.handle}-f2`,
        `${victim.handle}-f3`,
      ]);
      assert.equal(again.action, 'contain', JSON.stringify(again));
    } finally {
      await h.cleanup();
    }
  });
});
