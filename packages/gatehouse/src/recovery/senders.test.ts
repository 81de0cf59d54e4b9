import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { testConfig } from '../testing/index.ts';
import { codeText, DevelopmentLogSender, maskAddress } from './senders.ts';

test('the development sender only logs, and says so', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const sender = new DevelopmentLogSender(createLogger('info', sink));
  assert.equal(sender.delivery, 'development-log');
  await sender.send({
    kind: 'phone',
    address: '+8613800138000',
    code: '493817',
    purpose: 'appeal',
    handle: 'li',
  });
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(entry.development, true);
  assert.equal(entry.developmentCode, '493817');
  assert.match(String(entry.msg), /DEVELOPMENT.*nothing was sent.*no SMS/);
});

test('code texts are bilingual and addresses are masked', () => {
  const t = codeText({ kind: 'email', address: 'a@b.cn', code: '123456', purpose: 'appeal', handle: 'li' });
  assert.match(t.en, /123456/);
  assert.match(t.zh, /123456/);
  assert.equal(maskAddress('email', 'li.lei@example.com'), 'l***@example.com');
  assert.equal(maskAddress('phone', '+8613800138000'), '*** **** 8000');
});

test('recoveryCodeSender=development-log: an email appeal verified with the code read from the log', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const { config, cleanup } = await testConfig('sqlite', {
    recoveryCodeSender: 'development-log',
    recoveryFactorCoolingOffHours: 0,
  });
  const gh = await createGatehouse(config, { log: createLogger('warn', sink) });
  const codeFromLog = () => {
    const e = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((x) => x.development);
    return String(e[e.length - 1]!.developmentCode);
  };
  try {
    const ctx = { ip: '203.0.113.9', userAgent: 'test' };
    const acc = await gh.identity.createAccount({ handle: 'sun.li', password: 'winter plum 2026' }, ctx);
    const ch = await gh.recovery.addChannel(acc.id, 'email', 'sun.li@example.cn');
    assert.equal(ch.delivery, 'development-log');
    await gh.recovery.verifyChannel(acc.id, ch.channel.id, codeFromLog());
    await gh.identity.freeze(acc.id, 'hijack');
    const { token } = await gh.recovery.openAppeal('sun.li', ctx);
    const started = await gh.recovery.startVerification(
      await gh.recovery.caseForToken(token),
      'email_code',
      {},
      ctx,
    );
    assert.equal(started.delivery, 'development-log');
    const r = await gh.recovery.answer(await gh.recovery.caseForToken(token), codeFromLog(), ctx);
    assert.equal(r.outcome, 'verified');
  } finally {
    await gh.close();
    await cleanup();
  }
});
