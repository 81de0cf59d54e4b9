// SMS through a generic HTTP provider (a loopback server here): codes and notices in the account's
// language, the configured headers and body template, retries on 5xx, a permanent 4xx marks the number.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { postgresSkip, testGatehouse, type Backend } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { DevelopmentLogSms } from './channels/sms.ts';

interface SmsRequest {
  headers: Record<string, string | string[] | undefined>;
  body: { to: string; text: string; reference: string };
}

const pw = (h: string) => `tidal lantern ${h.length} moss`;

// asked once, before any suite runs (a busy event loop must not time the check out)
const pgSkip = await postgresSkip();

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  const skip = backend === 'postgres' ? pgSkip : undefined;
  describe(`notices by SMS (${backend})`, { skip }, () => {
    let gh: Gatehouse;
    let url: string;
    let cleanup: () => Promise<void>;
    let provider: Server;
    const got: SmsRequest[] = [];
    /** The provider's answer to the n-th message for a number. */
    let answer: (to: string, n: number) => number = () => 200;
    const perNumber = new Map<string, number>();

    before(async () => {
      provider = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const parsed = JSON.parse(body) as SmsRequest['body'];
          const n = (perNumber.get(parsed.to) ?? 0) + 1;
          perNumber.set(parsed.to, n);
          const status = answer(parsed.to, n);
          if (status === 200) got.push({ headers: req.headers, body: parsed });
          res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
      const port = (provider.address() as AddressInfo).port;
      ({ gh, cleanup } = await testGatehouse(backend, {
        smsProvider: 'http',
        smsHttpUrl: `http://127.0.0.1:${port}/send`,
        smsHttpHeaders: JSON.stringify({ 'x-api-key': 'sms-key-4417' }),
        recoveryCodeSender: 'sms',
        trustProxy: true,
        notifyRetryBaseMs: 20,
        notifyRetryCapMs: 40,
        notifyPollMs: 50,
        notifyDefaultLocale: 'en',
      }));
      url = await gh.listen();
    });
    after(async () => {
      await cleanup?.();
      provider?.close();
    });

    const call = async (path: string, body: unknown, token?: string, ip = '198.51.100.7') => {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': ip,
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const textsTo = (to: string) => got.filter((g) => g.body.to === to);

    async function owner(handle: string, phone: string, locale?: 'en' | 'zh-CN') {
      await call('/v1/accounts', { handle, password: pw(handle) });
      const token = String((await call('/v1/auth/signin', { handle, password: pw(handle) })).json.token);
      if (locale)
        await fetch(`${url}/v1/me/notifications`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ locale }),
        });
      const add = await call('/v1/me/recovery/channels', { kind: 'phone', address: phone }, token);
      assert.equal(add.status, 201, JSON.stringify(add.json));
      assert.equal(add.json.delivery, 'sms');
      const [sms] = await until(() => (textsTo(phone).length ? textsTo(phone) : undefined), 'code SMS');
      const code = /(\d{6})/.exec(sms!.body.text)![1]!;
      const id = (add.json.channel as { id: string }).id;
      assert.equal((await call(`/v1/me/recovery/channels/${id}/verify`, { code }, token)).status, 200);
      // the verified number is itself a recovery factor change, announced to it: let it arrive first
      await until(
        () => textsTo(phone).find((g) => /找回手机号|recovery phone number/.test(g.body.text)),
        'factor-change SMS',
      );
      return { token, id: String((await gh.identity.findByHandle(handle))!.id) };
    }

    test('codes and notices reach the provider with its headers, in the owner’s language; 5xx is retried', async () => {
      await owner('bo.sms', '+8613800138001', 'zh-CN');
      const code = textsTo('+8613800138001')[0]!;
      assert.equal(code.headers['x-api-key'], 'sms-key-4417');
      assert.match(code.body.text, /验证码/);
      assert.match(code.body.reference, /^code_/);
      // the provider fails twice, then takes it
      const sent = perNumber.get('+8613800138001') ?? 0;
      answer = (to, n) => (to === '+8613800138001' && n <= sent + 2 ? 503 : 200);
      await call('/v1/auth/signin', { handle: 'bo.sms', password: pw('bo.sms') }, undefined, '203.0.113.77');
      const [notice] = await until(() => {
        const t = textsTo('+8613800138001').filter((g) => /新的/.test(g.body.text));
        return t.length ? t : undefined;
      }, 'sign-in SMS');
      assert.match(notice!.body.text, /^Gatehouse: 你的账号 bo\.sms/);
      assert.match(notice!.body.text, new RegExp(`${url}/security/not-me\\?token=ghn_`));
      assert.equal(perNumber.get('+8613800138001')! - sent, 3, 'two 503s, then sent');
    });

    test('a number the provider refuses (4xx) is marked failing, not retried', async () => {
      answer = () => 200;
      const p = await owner('yu.sms', '+8613800138002');
      answer = (to) => (to === '+8613800138002' ? 400 : 200);
      const before = perNumber.get('+8613800138002') ?? 0;
      await call('/v1/auth/signin', { handle: 'yu.sms', password: pw('yu.sms') }, undefined, '203.0.113.78');
      const ch = await until(async () => {
        const c = (await gh.notify.channelStatus(p.id)).find((x) => x.channel === 'sms');
        return c?.state === 'failing' ? c : undefined;
      }, 'sms failing');
      assert.equal(ch.lastCode, '400');
      assert.equal(ch.address, '*** **** 8002');
      await gh.notify.flush();
      assert.equal((perNumber.get('+8613800138002') ?? 0) - before, 1, 'one attempt only');
    });
  });
}

test('the development SMS sender logs a masked number and no link token', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(c, _e, done) {
      lines.push(String(c));
      done();
    },
  });
  const ch = new DevelopmentLogSms(createLogger('info', sink));
  const r = await ch.send({
    id: 'ntf_1.1',
    account: 'acc_1',
    to: '+8613800138000',
    locale: 'en',
    email: { subject: '', text: '', html: '' },
    sms: 'Gatehouse: new sign-in http://x/security/not-me?token=ghn_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    inapp: {
      text: { en: '', 'zh-CN': '' },
      notice: { id: 'ntf_1', kind: 'signin.new', locale: 'en', title: '', body: '' },
    },
  });
  assert.equal(r.ok, true);
  const all = lines.join('');
  assert.match(all, /DEVELOPMENT SMS/);
  assert.match(all, /\*\*\* \*\*\*\* 8000/);
  assert.doesNotMatch(all, /8613800138000|ghn_A{10}/);
});
