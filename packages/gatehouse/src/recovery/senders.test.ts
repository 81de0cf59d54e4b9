import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../log/index.ts';
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
