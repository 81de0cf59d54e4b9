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
  assert.ok(m.intruderMessages > 0 && m.recipientsWarned > 0, table);
  assert.ok(m.chat, table);
  // every intruder message the chat accepted is shown to its recipients as retracted
  assert.equal(m.chat.retractedForRecipients, m.chat.intruderMessagesAccepted, table);
  assert.equal(m.chat.stillVisible, 0, table);
  assert.match(table, /qq-incident \(chat\)/);
  assert.ok(res.cast.victims.length > 0 && res.cast.victims[0]!.friends.length > 0);
});
