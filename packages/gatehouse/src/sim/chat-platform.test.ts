import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { metricsTable } from './metrics.ts';
import { replay } from './runner.ts';
import { loadScenario } from './scenario.ts';

const dir = join(import.meta.dirname, '../../../../scenarios');

test('replay --via chat: the society uses the reference chat; intruders are contained and their messages retracted in the chat', async () => {
  const sc = loadScenario(join(dir, 'qq-incident.yaml'));
  const res = await replay({ scenario: sc, seed: 2, accounts: 80, liveSeconds: 3, via: 'chat' });
  const m = res.metrics;
  const table = metricsTable([m]);
  assert.equal(m.transport, 'chat');
  assert.equal(m.accounts, 80);
  assert.ok(m.hijacked > 0 && m.detected > 0, table);
  assert.equal(m.benignFrozen, 0, table);
  assert.ok(m.intruderMessages > 0, table);
  // nothing the intruders sent stays delivered; friends are warned only about messages that reached them
  // (the pre-send check stops most, and a stopped message is never warned about)
  assert.equal(m.intruderMessagesLeftDelivered, 0, table);
  assert.ok(m.chat, table);
  // every intruder message the chat accepted is shown to its recipients as retracted
  assert.equal(m.chat.retractedForRecipients, m.chat.intruderMessagesAccepted, table);
  assert.equal(m.chat.stillVisible, 0, table);
  assert.match(table, /qq-incident \(chat\)/);
  assert.ok(res.cast.victims.length > 0 && res.cast.victims[0]!.friends.length > 0);
});

test('without the reference chat installed, the chat stack fails with CHAT_NOT_INSTALLED in both languages; other import errors pass through', async () => {
  const { loadChat } = await import('./chat-stack.ts');
  const { isGatehouseError } = await import('../errors/index.ts');
  const missing = Object.assign(new Error("Cannot find package '@gatehouse/example-chat'"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
  await assert.rejects(
    loadChat(() => Promise.reject(missing)),
    (e: unknown) =>
      isGatehouseError(e) && e.code === 'CHAT_NOT_INSTALLED' && /[\u4e00-\u9fff]/.test(e.message),
  );
  await assert.rejects(
    loadChat(() => Promise.reject(new SyntaxError('broken chat'))),
    /broken chat/,
  );
  assert.equal(typeof (await loadChat()).createChatServer, 'function');
});
