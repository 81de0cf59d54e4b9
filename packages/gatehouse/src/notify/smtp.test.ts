// Notices over a real SMTP server (smtp-server, STARTTLS + AUTH, parsed with mailparser) on SQLite and
// PostgreSQL: the right notice in the right language at the right address, links followed over HTTP,
// "this wasn't me" used once (and not by a stranger), a failing server retried then marked, a burst of
// 40 sign-ins within the hourly limit, critical notices coalesced, codes by email, nothing secret logged.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { openStore } from '../store/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { testConfig } from '../testing/index.ts';
import { until, webhookReceiver } from '../testing/receiver.ts';
import { resolveSecretKey } from '../webhooks/index.ts';
import { NotifyService } from './service.ts';
import { testSmtp, type ReceivedMail, type TestSmtp } from './testing.ts';

const HOME = {
  ip: '198.51.100.7',
  ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36',
};
const AWAY = {
  ip: '203.0.113.50',
  ua: 'Mozilla/5.0 (Linux; Android 13; Pixel 7) Chrome/125.0 Mobile Safari/537.36',
};
const LIMIT = 5;
/** Sign-ins at once in the burst test: eight times the hourly limit. */
const BURST = 40;
const pw = (handle: string) => `quiet river ${handle.length}${handle.charCodeAt(0)} stones`;

// the two databases at once (each with its own Gatehouse, SMTP server and receiver): most of each suite
// is waiting on mail, retries and the coalescing window; the tests within one suite run in order
describeBackends(
  'notices by email',
  (backend) => {
    let gh: Gatehouse;
    let url: string;
    let smtp: TestSmtp;
    let cleanup: () => Promise<void>;
    let opKey: string;
    const logs: string[] = [];
    const secrets: string[] = [];
    let hook: Awaited<ReturnType<typeof webhookReceiver>>;

    before(async () => {
      smtp = await testSmtp();
      hook = await webhookReceiver();
      const t = await testConfig(backend, {
        ...smtp.settings(),
        recoveryCodeSender: 'smtp',
        trustProxy: true,
        logLevel: 'info',
        notifyMaxPerHour: LIMIT,
        notifyCoalesceSeconds: 2,
        notifyRetryBaseMs: 20,
        notifyRetryCapMs: 40,
        notifyMaxAttempts: 4,
        notifyPollMs: 50,
        webhookPollMs: 50,
        notifyTimeZone: 'Asia/Shanghai',
        // the burst below is the owner's own password from 40 new networks at once: room for all of it
        loginMaxUnknownFailuresPerAccount: 200,
        loginMaxFailuresPerIp: 200,
        signinStuffingHandleFailures: 1000,
        signinStuffingNetworkFailures: 1000,
      });
      cleanup = t.cleanup;
      const sink = new Writable({
        write(chunk, _e, done) {
          logs.push(String(chunk));
          done();
        },
      });
      gh = await createGatehouse(t.config, { log: createLogger('info', sink) });
      url = await gh.listen();
      opKey = (await gh.keys.create('ops', ['admin'])).key;
      const ep = await gh.webhooks.addEndpoint({ url: hook.url, types: ['owner.notify'] });
      hook.setSecret(ep.secret);
      secrets.push(smtp.pass);
    });
    after(async () => {
      await gh?.close();
      await smtp?.close();
      hook?.close();
      await cleanup?.();
    });

    async function call(
      method: string,
      path: string,
      o: { token?: string; body?: unknown; from?: { ip: string; ua: string }; form?: string } = {},
    ) {
      const headers: Record<string, string> = {
        'x-forwarded-for': (o.from ?? HOME).ip,
        'user-agent': (o.from ?? HOME).ua,
      };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (o.body !== undefined) headers['content-type'] = 'application/json';
      if (o.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(path.startsWith('http') ? path : `${url}${path}`, {
        method,
        headers,
        body: o.form ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        /* HTML */
      }
      return { status: res.status, json, text, headers: res.headers };
    }

    // delivery is at least once: a message whose acceptance was lost (a reply slower than the timeout on
    // a loaded machine) is sent again with the same Message-ID, which is how a mailbox drops the copy
    const mailsTo = (addr: string) => {
      const seen = new Set<string>();
      return smtp.received.filter((m) => {
        if (!m.to.includes(addr)) return false;
        const id = m.mail.messageId ?? m.raw;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    };
    const waitMail = (addr: string, subject: RegExp, n = 1) =>
      until(() => {
        const got = mailsTo(addr).filter((m) => subject.test(m.mail.subject ?? ''));
        return got.length >= n ? got : undefined;
      }, `${n} mail(s) "${subject}" to ${addr}`);
    const signIn = async (handle: string, from: { ip: string; ua: string }) => {
      const r = await call('POST', '/v1/auth/signin', {
        body: { handle, password: pw(handle) },
        from,
      });
      assert.equal(r.status, 200, r.text);
      return { token: String(r.json.token), session: (r.json.session as { id: string }).id };
    };

    /** An account with a chosen language and a verified email, its code read from the real mailbox. */
    async function owner(handle: string, locale: 'en' | 'zh-CN', email: string) {
      const acc = await call('POST', '/v1/accounts', { body: { handle, password: pw(handle) } });
      assert.equal(acc.status, 201, acc.text);
      const { token } = await signIn(handle, HOME);
      assert.equal((await call('PUT', '/v1/me/notifications', { token, body: { locale } })).status, 200);
      const add = await call('POST', '/v1/me/recovery/channels', {
        token,
        body: { kind: 'email', address: email },
      });
      assert.equal(add.status, 201, add.text);
      assert.equal(add.json.delivery, 'smtp');
      const [mail] = await waitMail(email, locale === 'en' ? /verification code/ : /验证码/);
      assert.doesNotMatch(mail!.mail.subject ?? '', /\d{4,}/, 'never a code in the subject');
      const code = /(\d{6})/.exec(mail!.mail.text ?? '')![1]!;
      secrets.push(code);
      const id = (add.json.channel as { id: string }).id;
      assert.equal(
        (await call('POST', `/v1/me/recovery/channels/${id}/verify`, { token, body: { code } })).status,
        200,
      );
      // verifying the channel is a recovery factor change, announced to it: let it arrive first
      await waitMail(email, locale === 'en' ? /^Your recovery email address was added/ : /找回邮箱/);
      return { id: String(acc.json.id), token };
    }

    const linkIn = (m: ReceivedMail) => {
      const link = /(http:\/\/\S+\/security\/not-me\?token=(ghn_[A-Za-z0-9_-]{43}))/.exec(m.mail.text ?? '');
      assert.ok(link, 'the notice carries a "this wasn\'t me" link');
      secrets.push(link[2]!);
      return { href: link[1]!, token: link[2]! };
    };

    test('a new sign-in reaches the right address in the owner’s language; "this wasn’t me" contains, once', async () => {
      const mei = await owner('mei.en', 'en', 'mei@example.test');
      const wen = await owner('wen.zh', 'zh-CN', 'wen@example.test');
      const intruder = await signIn('mei.en', AWAY);
      await signIn('wen.zh', AWAY);
      const [en] = await waitMail('mei@example.test', /^New sign-in to your account mei\.en$/);
      const [zh] = await waitMail('wen@example.test', /^你的账号 wen\.zh 有新的登录$/);
      for (const [m, lang, other] of [
        [en!, 'en', 'wen'],
        [zh!, 'zh-CN', 'mei'],
      ] as const) {
        assert.equal(m.mail.headers.get('content-language'), lang);
        assert.match(String(m.mail.html), new RegExp(`<html lang="${lang}"`));
        assert.equal(m.mail.from?.value[0]?.address, 'security@gatehouse.test');
        assert.equal(m.mail.replyTo?.value[0]?.address, 'help@gatehouse.test');
        assert.equal(m.mail.headers.get('auto-submitted'), 'auto-generated');
        assert.doesNotMatch(m.mail.text ?? '', new RegExp(other), 'nothing of the other account');
        assert.match(m.mail.text ?? '', /203\.0\.113\.0\/24/);
      }
      assert.match(en!.mail.text ?? '', /Android/);
      assert.match(zh!.mail.text ?? '', /如果不是你本人操作/);
      assert.equal(mailsTo('mei@example.test').filter((m) => /sign-in/.test(m.mail.subject ?? '')).length, 1);

      // the security-centre links are under the server's address
      const link = linkIn(en!);
      assert.ok(link.href.startsWith(`${url}/security/not-me?token=`));
      assert.match(en!.mail.text ?? '', new RegExp(`${url}/security/activity`));

      // following the link shows what it is about and changes nothing (mail scanners open links)
      const page = await call('GET', link.href);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      assert.match(page.text, /New sign-in to mei\.en/);
      assert.match(page.text, /<form method="post" action="not-me">/);
      assert.equal((await call('GET', '/v1/me', { token: intruder.token })).status, 200, 'still active');

      // a stranger without the link: a made-up token, a token of another shape, a changed token
      const forged = `ghn_${'A'.repeat(43)}`;
      const tampered = link.token.slice(0, -1) + (link.token.endsWith('A') ? 'B' : 'A');
      for (const token of [forged, 'ghn_short', tampered]) {
        const r = await call('POST', '/v1/notify/not-me', { body: { token } });
        assert.equal(r.status, 404, r.text);
        assert.equal(r.json.code, 'NOTIFY_LINK_INVALID');
      }
      const bogusForm = await call('POST', '/security/not-me', { form: `token=${forged}` });
      assert.equal(bogusForm.status, 404);
      assert.equal((await call('GET', '/v1/me', { token: intruder.token })).status, 200, 'nothing happened');

      // the owner presses the button (a form post, as the page does)
      const done = await call('POST', '/security/not-me', {
        form: `token=${encodeURIComponent(link.token)}`,
      });
      assert.equal(done.status, 200, done.text);
      assert.match(done.text, /Your account is locked/);
      const acc = await call('GET', `/v1/accounts/${mei.id}`, { token: opKey });
      assert.equal(acc.json.state, 'frozen');
      const me = await call('GET', '/v1/me', { token: intruder.token });
      assert.equal(me.status === 401 || me.status === 403, true, 'the intruder is out');

      // used twice: a clear error, on the page and in the API
      const again = await call('POST', '/v1/notify/not-me', { body: { token: link.token } });
      assert.equal(again.status, 410);
      assert.equal(again.json.code, 'NOTIFY_LINK_USED');
      const againPage = await call('GET', link.href);
      assert.equal(againPage.status, 410);
      assert.match(againPage.text, /already used/);

      // the containment itself is announced by email (from the response part's notify_owner on the bus)
      const [contained] = await waitMail('mei@example.test', /was frozen to protect it/);
      assert.match(contained!.mail.text ?? '', new RegExp(`${url}/security/appeal`));

      // in-app went through the platform as owner.notify, in both languages, without the link
      const signInNotice = (m: (typeof hook.received)[number]) =>
        m.type === 'owner.notify' &&
        m.data.account === mei.id &&
        /New sign-in/.test((m.data.text as { en: string }).en);
      const n = await until(() => hook.received.find(signInNotice), 'owner.notify');
      const text = n.data.text as { en: string; zh: string };
      assert.match(text.en, /New sign-in to mei\.en/);
      assert.match(text.zh, /mei\.en/);
      assert.doesNotMatch(JSON.stringify(n.data), /ghn_/);

      // the owner's view: the notice and where it went
      const view = await call('GET', `/v1/accounts/${mei.id}/notifications`, { token: opKey });
      assert.equal(view.status, 200);
      const notices = view.json.notices as Array<{
        kind: string;
        state: string;
        deliveries: Array<{ channel: string; state: string; to: string }>;
      }>;
      const signin = notices.find((x) => x.kind === 'signin.new')!;
      assert.equal(signin.state, 'planned');
      assert.deepEqual(signin.deliveries.map((d) => `${d.channel}:${d.state}:${d.to}`).sort(), [
        'email:sent:m***@example.test',
        `inapp:sent:${mei.id}`,
      ]);
      assert.ok(wen.id);
    });

    test('a password change is announced in Chinese with a link; the appeal steps and the code arrive by email', async () => {
      const lan = await owner('lan.zh', 'zh-CN', 'lan@example.test');
      const r = await call('POST', '/v1/me/password', {
        token: lan.token,
        body: { currentPassword: pw('lan.zh'), newPassword: 'a brand new passphrase 77' },
      });
      assert.equal(r.status, 200, r.text);
      const [pwMail] = await waitMail('lan@example.test', /^账号 lan\.zh 的密码已更改$/);
      linkIn(pwMail!);

      // an operator freeze: the platform's enforcement, with where to appeal
      assert.equal(
        (
          await call('POST', `/v1/accounts/${lan.id}/freeze`, {
            token: opKey,
            body: { reason: '发送垃圾广告' },
          })
        ).status,
        200,
      );
      const [frozen] = await waitMail('lan@example.test', /已被平台冻结/);
      assert.match(frozen!.mail.text ?? '', /发送垃圾广告/);
      assert.match(frozen!.mail.text ?? '', /\/security\/appeal/);

      // an appeal against the platform's own freeze goes to the operators' queue, and the owner is told
      const queued = await call('POST', '/v1/recovery/appeals', { body: { handle: 'lan.zh' } });
      assert.equal(queued.status, 202, queued.text);
      assert.equal((queued.json.queued as { state: string }).state, 'pending');

      // a containment freeze: the owner proves it is them with a code sent by email (never in the subject)
      await call('POST', `/v1/accounts/${lan.id}/unfreeze`, { token: opKey, body: { reason: 'test' } });
      const frz = await call('POST', `/v1/accounts/${lan.id}/freeze`, {
        token: opKey,
        body: { reason: '疑似被盗', kind: 'containment' },
      });
      assert.equal(frz.status, 200, frz.text);
      const open = await call('POST', '/v1/recovery/appeals', { body: { handle: 'lan.zh' } });
      assert.equal(open.status, 201, open.text);
      const caseToken = String(open.json.token);
      await waitMail('lan@example.test', /找回申诉已提交/);
      const start = await call('POST', '/v1/recovery/case/verification', {
        token: caseToken,
        body: { method: 'email_code' },
      });
      assert.equal(start.status, 200, start.text);
      assert.equal(start.json.delivery, 'smtp');
      const codes = await waitMail('lan@example.test', /验证码/, 2);
      const codeMail = codes[1]!;
      assert.doesNotMatch(codeMail.mail.subject ?? '', /\d/);
      const code = /(\d{6})/.exec(codeMail.mail.text ?? '')![1]!;
      secrets.push(code);
      const ans = await call('POST', '/v1/recovery/case/verification/answer', {
        token: caseToken,
        body: { code },
      });
      assert.equal(ans.json.outcome, 'verified', ans.text);
      await waitMail('lan@example.test', /申诉已通过验证/);
    });

    test('a recovery factor change reaches the owner with "this wasn\'t me"; the link ends the session that made it', async () => {
      const ana = await owner('ana.en', 'en', 'ana@example.test');
      // verifying the email channel was itself a change, announced to that address
      const [added] = await waitMail(
        'ana@example.test',
        /^Your recovery email address was added on ana\.en$/,
      );
      assert.match(added!.mail.text ?? '', /a\*+@example\.test/);
      const it = await signIn('ana.en', AWAY);
      const gen = await call('POST', '/v1/me/recovery/codes', { token: it.token });
      assert.equal(gen.status, 200, gen.text);
      secrets.push(...(gen.json.codes as string[]));
      const [changed] = await waitMail('ana@example.test', /^Your recovery codes were changed on ana\.en$/);
      const link = linkIn(changed!);
      const used = await call('POST', '/v1/notify/not-me', { body: { token: link.token } });
      assert.equal(used.status, 200, used.text);
      assert.equal((await call('GET', `/v1/accounts/${ana.id}`, { token: opKey })).json.state, 'frozen');
      await until(async () => {
        const me = await call('GET', '/v1/me', { token: it.token });
        return me.status === 401 || me.status === 403 ? me : undefined;
      }, 'the session that made the change is ended');
    });

    test('"sign out everywhere" and a rejected appeal each reach the owner by email, with the appeal page', async () => {
      const rui = await owner('rui.en', 'en', 'rui@example.test');
      const out = await call('POST', '/v1/me/sessions/revoke-all', { token: rui.token });
      assert.equal(out.status, 200, out.text);
      const [ended] = await waitMail('rui@example.test', /^Sessions of rui\.en were signed out$/);
      assert.match(ended!.mail.text ?? '', /signed out everywhere/);

      // contained, an appeal opened, and the operators reject it: the owner hears how it ended and where
      // to appeal again
      const frz = await call('POST', `/v1/accounts/${rui.id}/freeze`, {
        token: opKey,
        body: { reason: 'suspected takeover', kind: 'containment' },
      });
      assert.equal(frz.status, 200, frz.text);
      const open = await call('POST', '/v1/recovery/appeals', { body: { handle: 'rui.en' } });
      assert.equal(open.status, 201, open.text);
      const caseId = (open.json.case as { id: string }).id;
      const rej = await call('POST', `/v1/recovery/cases/${caseId}/reject`, {
        token: opKey,
        body: { reason: 'could not verify' },
      });
      assert.equal(rej.status, 200, rej.text);
      const [done] = await waitMail('rui@example.test', /^The appeal for rui\.en was rejected$/);
      assert.match(done!.mail.text ?? '', /could not verify/);
      assert.ok((done!.mail.text ?? '').includes(`${url}/security/appeal`), done!.mail.text);
    });

    test('a failing SMTP server is retried, then the address is marked failing (and cleared by a success)', async () => {
      const tao = await owner('tao.en', 'en', 'tao@example.test');
      const ivy = await owner('ivy.en', 'en', 'ivy@example.test');
      // tao's mailbox: two temporary refusals, then "no such user"; ivy's: temporary refusals for ever
      smtp.refuse = (addr, n) =>
        addr === 'tao@example.test'
          ? n <= 2
            ? { code: 451, message: 'mailbox busy, try later' }
            : { code: 550, message: 'no such user here' }
          : addr === 'ivy@example.test'
            ? { code: 452, message: 'insufficient storage' }
            : undefined;
      smtp.attempts.clear();
      await signIn('tao.en', AWAY);
      await signIn('ivy.en', AWAY);
      const failing = async (id: string) => {
        const v = await call('GET', `/v1/accounts/${id}/notifications`, { token: opKey });
        const ch = (
          v.json.channels as Array<{ channel: string; state: string; lastCode: string | null }>
        ).find((c) => c.channel === 'email');
        return ch?.state === 'failing' ? { ch, v } : undefined;
      };
      const tf = await until(() => failing(tao.id), 'tao failing');
      assert.equal(tf.ch.lastCode, '550');
      assert.equal(
        smtp.attempts.get('tao@example.test'),
        3,
        'two retries, then the permanent refusal ends it',
      );
      const td = (
        tf.v.json.notices as Array<{
          kind: string;
          deliveries: Array<{ channel: string; state: string; attempts: number }>;
        }>
      )
        .find((n) => n.kind === 'signin.new')!
        .deliveries.find((d) => d.channel === 'email')!;
      assert.deepEqual([td.state, td.attempts], ['failed', 3]);
      const iv = await until(() => failing(ivy.id), 'ivy failing');
      assert.equal(iv.ch.lastCode, '452');
      assert.equal(
        smtp.attempts.get('ivy@example.test'),
        4,
        'retried up to notifyMaxAttempts, then given up',
      );
      assert.equal(mailsTo('tao@example.test').filter((m) => /sign-in/.test(m.mail.subject ?? '')).length, 0);

      // visible in metrics
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /gatehouse_notify_addresses_failing\{channel="email"\} [1-9]/);
      assert.match(metrics, /gatehouse_notify_attempts_total\{channel="email",outcome="retry"\} [1-9]/);
      assert.match(metrics, /gatehouse_notify_attempts_total\{channel="email",outcome="failed"\} [1-9]/);
      assert.match(metrics, /gatehouse_notify_attempts_total\{channel="email",outcome="dead"\} [1-9]/);
      // the planner counts each notice by the kind its claim returned
      assert.match(metrics, /gatehouse_notify_notices_total\{kind="signin\.new",outcome="planned"\} [1-9]/);

      // the owner sees it in their own view too; a later success clears it
      const mine = await call('GET', '/v1/me/notifications', { token: tao.token });
      assert.equal(
        (mine.json.channels as Array<{ state: string }>).find((c) => c.state === 'failing') !== undefined,
        true,
      );
      smtp.refuse = () => undefined;
      await call('POST', '/v1/me/password', {
        token: tao.token,
        body: { currentPassword: pw('tao.en'), newPassword: 'another long passphrase 12' },
      });
      await waitMail('tao@example.test', /password of tao\.en was changed/);
      await until(async () => !(await failing(tao.id)), 'tao cleared');
    });

    test('a burst of 40 sign-ins from new networks: at most the hourly limit of notices, the rest suppressed', async () => {
      // 40 at once, eight times the hourly limit, over two planners (was 100: each sign-in costs a password
      // hash and a planned notice, and 35 suppressed prove the limit as well as 95)
      const kai = await owner('kai.en', 'en', 'kai@example.test');
      // a second planner on its own connection, as a second process would have
      const second = openStore(gh.config.database, { sqliteSynchronous: 'NORMAL' });
      const other = new NotifyService({
        db: second.db,
        config: gh.config,
        secretKey: resolveSecretKey(gh.config),
        log: createLogger('silent'),
        enqueueWebhook: async () => undefined,
        contacts: async () => [{ channel: 'email', address: 'kai@example.test' }],
        handleOf: async () => 'kai.en',
        accountByHandle: async () => undefined,
        publicUrl: () => url,
      });
      other.start();
      try {
        const burst = await Promise.all(
          Array.from({ length: BURST }, (_, i) =>
            call('POST', '/v1/auth/signin', {
              body: { handle: 'kai.en', password: pw('kai.en') },
              from: { ip: `100.64.${i}.9`, ua: HOME.ua },
            }),
          ),
        );
        assert.ok(
          burst.every((r) => r.status === 200),
          JSON.stringify(burst.filter((r) => r.status !== 200).map((r) => r.text)),
        );
        const settled = await until(async () => {
          const v = await call('GET', `/v1/accounts/${kai.id}/notifications?limit=200`, { token: opKey });
          const ns = (v.json.notices as Array<{ kind: string; state: string }>).filter(
            (n) => n.kind === 'signin.new',
          );
          return ns.length === BURST && ns.every((n) => n.state === 'planned' || n.state === 'suppressed')
            ? ns
            : undefined;
        }, `${BURST} sign-in notices settled`);
        const planned = settled.filter((n) => n.state === 'planned').length;
        assert.equal(planned, LIMIT, `planned ${planned}`);
        assert.equal(settled.filter((n) => n.state === 'suppressed').length, BURST - LIMIT);
        await gh.notify.flush();
        await other.flush();
        const mails = mailsTo('kai@example.test').filter((m) => /New sign-in/.test(m.mail.subject ?? ''));
        assert.ok(mails.length <= LIMIT && mails.length >= 1, `${mails.length} sign-in mails`);
      } finally {
        await other.stop();
        await second.close();
      }
    });

    test('security-critical notices are never dropped: the first of a burst goes at once, the rest are coalesced into follow-ups', async () => {
      const ada = await owner('ada.en', 'en', 'ada@example.test');
      let current = pw('ada.en');
      for (let i = 0; i < 6; i++) {
        const next = `rotating passphrase number ${i} xyz`;
        const r = await call('POST', '/v1/me/password', {
          token: ada.token,
          body: { currentPassword: current, newPassword: next },
        });
        assert.equal(r.status, 200, r.text);
        current = next;
      }
      const view = await until(async () => {
        const v = await call('GET', `/v1/accounts/${ada.id}/notifications`, { token: opKey });
        const ns = (v.json.notices as Array<{ kind: string; state: string }>).filter(
          (n) => n.kind === 'password.changed',
        );
        return ns.length === 6 && ns.every((n) => n.state === 'planned' || n.state === 'coalesced')
          ? ns
          : undefined;
      }, 'password notices settled');
      // none dropped: each of the six went out on its own or inside a follow-up. How many coalescing
      // windows six changes span depends on how fast the machine makes them (two on a quiet one), so the
      // count of messages is whatever was planned, and what they list adds up to the rest.
      const planned = view.filter((n) => n.state === 'planned').length;
      const coalesced = view.filter((n) => n.state === 'coalesced').length;
      assert.ok(planned >= 2 && coalesced >= 1, `planned ${planned}, coalesced ${coalesced}`);
      const mails = await waitMail('ada@example.test', /password of ada\.en was changed/, planned);
      await gh.notify.flush();
      const all = mailsTo('ada@example.test').filter((m) =>
        /password of ada\.en was changed/.test(m.mail.subject ?? ''),
      );
      assert.equal(all.length, planned, 'one message per planned notice');
      assert.doesNotMatch(mails[0]!.mail.text ?? '', /Also in the last few minutes:/, 'the first at once');
      const listed = mails
        .slice(1)
        .map((m) => (m.mail.text ?? '').match(/^- .*password of ada\.en was changed/gm)?.length ?? 0);
      assert.ok(
        mails.slice(1).some((m) => /Also in the last few minutes:/.test(m.mail.text ?? '')),
        'a follow-up lists what it folded',
      );
      assert.equal(
        listed.reduce((a, b) => a + b, 0),
        coalesced,
        'every folded notice is listed once',
      );
    });

    test('nothing secret reached the log', async () => {
      await gh.notify.flush();
      const all = logs.join('\n');
      assert.ok(logs.length > 0);
      // a six-digit code may stand inside a longer number by chance (a timestamp, a byte count): only a
      // code on its own is the code
      for (const s of secrets)
        assert.ok(
          /^\d+$/.test(s) ? !new RegExp(`(?<!\\d)${s}(?!\\d)`).test(all) : !all.includes(s),
          `a secret (${s.slice(0, 4)}…) is in the log`,
        );
      assert.doesNotMatch(all, /ghn_[A-Za-z0-9_-]{20,}/);
      assert.doesNotMatch(all, /token=ghn_/);
    });
  },
  { atOnce: true },
);
