// The notify outbox's guarantees (dedup under concurrency, typed parameters), start-up checks of the
// settings, DKIM signing, `gatehouse notify test`, and the rate limit on "this wasn't me" links.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { GatehouseError } from '../errors/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import type { Store } from '../store/index.ts';
import { postgresSkip, testConfig, testGatehouse, testStore, type Backend } from '../testing/index.ts';
import { runCli } from '../testing/cli.ts';
import { until } from '../testing/receiver.ts';
import { randomBytes } from 'node:crypto';
import { parseChannelMap } from './catalogue.ts';
import { enqueueNoticeInTx } from './enqueue.ts';
import { LinkTokens } from './links.ts';
import { planNotice } from './planner.ts';
import { noticeStatements, notifyStore } from './store.ts';
import { sendTestMessage } from './testmessage.ts';
import { testSmtp, writeKeyFile, type TestSmtp } from './testing.ts';

const notice = (key: string) => ({
  kind: 'password.changed' as const,
  account: 'acc_dedup',
  key,
  params: { at: 1_800_000_000_000, via: 'settings' as const, sessionsEnded: 0 },
});

// asked once, before any suite runs (a busy event loop must not time the check out)
const pgSkip = await postgresSkip();

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  const skip = backend === 'postgres' ? pgSkip : undefined;
  describe(`notify outbox (${backend})`, { skip }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await testStore(backend));
    });
    after(async () => cleanup?.());

    test('the same notice enqueued by 20 concurrent transactions is one notice; other keys are not merged', async () => {
      const same = await Promise.all(
        Array.from({ length: 20 }, () =>
          store.db.transaction().execute((tx) => enqueueNoticeInTx(tx, notice('password:1'))),
        ),
      );
      assert.equal(same.filter((r) => r.created).length, 1);
      assert.equal(new Set(same.map((r) => r.id)).size, 1, 'every caller gets the one notice id');
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          store.db.transaction().execute((tx) => enqueueNoticeInTx(tx, notice(`password:${i + 2}`))),
        ),
      );
      const rows = await store.db
        .selectFrom('notify_notices')
        .select('id')
        .where('account_id', '=', 'acc_dedup')
        .execute();
      assert.equal(rows.length, 6);
    });

    test('pruning deletes finished notices and deliveries, never one still being delivered', async () => {
      const mk = (key: string) =>
        store.db.transaction().execute((tx) => enqueueNoticeInTx(tx, notice(key), 1000));
      const done = await mk('prune-done');
      const busy = await mk('prune-busy');
      for (const [n, state] of [
        [done.id, 'sent'],
        [busy.id, 'pending'],
      ] as const) {
        await notifyStore.setNotice(store.db, n, { state: 'planned', planned_at: 1000 });
        await notifyStore.insertDeliveries(store.db, [
          {
            notice_id: n,
            account_id: 'acc_dedup',
            channel: 'email',
            address: 'x@example.test',
            state,
            attempts: 1,
            next_attempt_at: 1000,
            lease_until: null,
            created_at: 1000,
            done_at: state === 'sent' ? 1000 : null,
            last_code: null,
            last_error: null,
          },
        ]);
      }
      const r = await store.db.transaction().execute((tx) => notifyStore.prune(tx, 2000));
      assert.deepEqual(r, { notices: 1, deliveries: 1 });
      assert.equal(await notifyStore.notice(store.db, done.id), undefined);
      assert.ok(await notifyStore.notice(store.db, busy.id));
    });

    test('notifyChannels decides where a notice goes: none sends nothing, a list keeps only its channels', async () => {
      const plan = async (account: string, spec: string) => {
        const { id } = await store.db
          .transaction()
          .execute((tx) => enqueueNoticeInTx(tx, { ...notice(`channels:${account}`), account }));
        const r = await planNotice(
          {
            db: store.db,
            available: new Set(['email', 'sms', 'inapp'] as const),
            channelMap: parseChannelMap(spec),
            contacts: async () => [
              { channel: 'email', address: 'owner@example.test' },
              { channel: 'sms', address: '+8613800000000' },
            ],
            links: new LinkTokens(randomBytes(32)),
            defaultLocale: 'en',
            maxPerHour: 10,
            coalesceMs: 0,
            linkTtlMs: 86_400_000,
            now: () => Date.now(),
          },
          id,
        );
        assert.equal(r, 'planned');
        const rows = await store.db
          .selectFrom('notify_deliveries')
          .select('channel')
          .where('notice_id', '=', id)
          .execute();
        return rows.map((x) => x.channel).sort();
      };
      assert.deepEqual(await plan('acc_ch_default', ''), ['email', 'inapp', 'sms']);
      assert.deepEqual(await plan('acc_ch_none', 'password.changed=none'), []);
      assert.deepEqual(await plan('acc_ch_email', 'password.changed=email; *=inapp'), ['email']);
      assert.deepEqual(await plan('acc_ch_star', '*=inapp'), ['inapp']);
    });

    test('enqueueing and planning a notice run statements compiled once, never per account or value', async () => {
      const opts = {
        db: store.db,
        available: new Set(['inapp'] as const),
        channelMap: parseChannelMap(''),
        contacts: async () => [],
        links: new LinkTokens(randomBytes(32)),
        defaultLocale: 'en' as const,
        maxPerHour: 10,
        coalesceMs: 0,
        linkTtlMs: 86_400_000,
        now: () => Date.now(),
      };
      const round = async (n: number) => {
        for (let i = 0; i < 3; i++) {
          const account = `acc_shape_${n}_${i}`;
          const { id } = await store.db
            .transaction()
            .execute((tx) => enqueueNoticeInTx(tx, { ...notice(`shape:${n}:${i}`), account }));
          assert.equal(await planNotice(opts, id), 'planned');
          const d = await notifyStore.deliveriesOf(store.db, [id]);
          assert.deepEqual(
            d.map((x) => [x.channel, x.address]),
            [['inapp', account]],
          );
        }
      };
      const shapes = () => Object.entries(noticeStatements).map(([k, st]) => [k, st.fixedShapes(store.db)]);
      await round(1);
      const once = shapes();
      for (const k of [
        'insertNoticeRow',
        'noticeById',
        'setNoticeFields',
        'lockAccountRow',
        'insertDelivery',
      ])
        assert.ok(Number(once.find(([n]) => n === k)![1]) >= 1, `${k} compiled: ${JSON.stringify(once)}`);
      await round(2);
      assert.deepEqual(shapes(), once, 'other accounts and notices: no new shape');
    });

    test('a notice commits or rolls back with the change that causes it; parameters are checked', async () => {
      await assert.rejects(
        store.db.transaction().execute(async (tx) => {
          await enqueueNoticeInTx(tx, notice('rolled-back'));
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      const n = await store.db
        .selectFrom('notify_notices')
        .select('id')
        .where('dedup_key', 'like', '%rolled-back')
        .execute();
      assert.equal(n.length, 0);
      await assert.rejects(
        store.db
          .transaction()
          .execute((tx) =>
            enqueueNoticeInTx(tx, { ...notice('bad'), params: { at: -1, via: 'telepathy' } } as never),
          ),
        (e: GatehouseError) => e.code === 'VALIDATION_FAILED' && /password\.changed/.test(e.message),
      );
      await assert.rejects(
        store.db
          .transaction()
          .execute((tx) => enqueueNoticeInTx(tx, { ...notice('k'), kind: 'nope' } as never)),
        (e: GatehouseError) => e.code === 'VALIDATION_FAILED',
      );
    });
  });
}

describe('settings, DKIM and the test command', () => {
  let smtp: TestSmtp;
  before(async () => {
    smtp = await testSmtp();
  });
  after(async () => smtp?.close());

  test('email settings that cannot work stop start-up with a clear message', async () => {
    for (const [extra, re] of [
      [{ smtpHost: '127.0.0.1' }, /smtpFrom/],
      [{ recoveryCodeSender: 'smtp' }, /recoveryCodeSender=smtp needs smtpHost/],
      [{ recoveryCodeSender: 'sms' }, /needs smsProvider/],
      [{ smsProvider: 'http' }, /smsHttpUrl/],
      [{ smsProvider: 'http', smsHttpUrl: 'http://127.0.0.1:9/x', smsHttpHeaders: '[1]' }, /smsHttpHeaders/],
      [{ ...smtp.settings(), smtpDkimKeyFile: '/nonexistent/dkim.pem' }, /smtpDkimDomain/],
    ] as Array<[Record<string, unknown>, RegExp]>) {
      const { config, cleanup } = await testConfig('sqlite', extra);
      try {
        await assert.rejects(
          createGatehouse(config, { log: createLogger('silent') }),
          (e: GatehouseError) => e.code === 'CONFIG_INVALID' && re.test(e.message),
        );
      } finally {
        await cleanup();
      }
    }
  });

  test('with a DKIM key, messages are signed for the configured domain and selector', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const key = writeKeyFile(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    try {
      const { config, cleanup } = await testConfig('sqlite', {
        ...smtp.settings(),
        smtpDkimDomain: 'gatehouse.test',
        smtpDkimSelector: 'notices2026',
        smtpDkimKeyFile: key.file,
      });
      try {
        const r = await sendTestMessage(config, 'dkim@example.test', {
          locale: 'en',
          log: createLogger('silent'),
        });
        assert.equal(r.channel, 'email');
        const m = await until(
          () => smtp.received.find((x) => x.to.includes('dkim@example.test')),
          'dkim mail',
        );
        const sig = /^DKIM-Signature:[^\n]*(\n[ \t][^\n]*)*/im.exec(m.raw)?.[0] ?? '';
        assert.ok(sig, 'the message carries a DKIM-Signature header');
        assert.match(sig, /d=gatehouse\.test/);
        assert.match(sig, /s=notices2026/);
        assert.match(sig, /bh=[A-Za-z0-9+/=]+/);
        assert.equal(m.mail.subject, 'Gatehouse test message');
      } finally {
        await cleanup();
      }
    } finally {
      key.cleanup();
    }
  });

  // the command's parsing and output in-process (the same main as the binary); cli/cli.test.ts spawns it
  const run = (args: string[], env: Record<string, string>) => runCli(args, env);
  const smtpEnv = () =>
    Object.fromEntries(
      Object.entries(smtp.settings()).map(([k, v]) => [
        `GATEHOUSE_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`,
        String(v),
      ]),
    );

  test('gatehouse notify test --to sends a test message, and says clearly when it cannot', async () => {
    const ok = await run(['notify', 'test', '--to', 'ops@example.test', '--locale', 'zh-CN'], smtpEnv());
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /sent: email to o\*\*\*@example\.test via smtp 127\.0\.0\.1:\d+/);
    const m = await until(() => smtp.received.find((x) => x.to.includes('ops@example.test')), 'test mail');
    assert.equal(m.mail.subject, 'Gatehouse 测试消息');
    assert.doesNotMatch(ok.stdout + ok.stderr, new RegExp(smtp.pass));

    const wrongPassword = await run(['notify', 'test', '--to', 'ops@example.test'], {
      ...smtpEnv(),
      GATEHOUSE_SMTP_PASSWORD: 'not-the-password',
    });
    assert.equal(wrongPassword.status, 2);
    assert.match(wrongPassword.stderr, /NOTIFY_SEND_FAILED: 535/);
    assert.doesNotMatch(wrongPassword.stderr, /not-the-password/);

    const none = await run(['notify', 'test', '--to', 'ops@example.test'], {});
    assert.equal(none.status, 2);
    assert.match(none.stderr, /NOTIFY_CHANNEL_UNAVAILABLE/);
    const bad = await run(['notify', 'test', '--to', 'not an address'], smtpEnv());
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /VALIDATION_FAILED/);
  });
});

test('"this wasn\'t me" links: guessing from one address is cut off with 429', async () => {
  const { gh, cleanup } = await testGatehouse('sqlite', { trustProxy: true });
  try {
    const url = await gh.listen();
    const post = (token: string, ip: string) =>
      fetch(`${url}/v1/notify/not-me`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ token }),
      });
    const guess = () =>
      `ghn_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')}`;
    for (let i = 0; i < 20; i++) assert.equal((await post(guess(), '192.0.2.66')).status, 404);
    const cut = await post(guess(), '192.0.2.66');
    assert.equal(cut.status, 429);
    assert.ok(Number(cut.headers.get('retry-after')) > 0);
    assert.equal(((await cut.json()) as { code: string }).code, 'RATE_LIMITED');
    // another address is not affected
    assert.equal((await post(guess(), '192.0.2.67')).status, 404);
  } finally {
    await cleanup();
  }
});
