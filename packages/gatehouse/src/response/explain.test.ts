// The response part's plain sentences: every action kind and response signal has one in both
// languages, with the numbers from the action's record; dry-run says it was not done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTION_KINDS } from './actions/index.ts';
import { RESPONSE_SIGNAL_EXPLANATIONS, explainAction, isActionKind } from './explain.ts';
import { RESPONSE_SIGNALS } from './policy.ts';

const CJK = /[\u4e00-\u9fff]/;

test('every action kind reads as a sentence in both languages, with its numbers', () => {
  const detail = {
    perMinute: 7,
    messages: 12,
    recipients: 9,
    groups: 2,
    keys: ['t:1', 'd:x'],
    scope: 'all',
    kind: 'containment',
  };
  for (const k of ACTION_KINDS) {
    assert.ok(isActionKind(k));
    const e = explainAction(k, 'enforce', detail);
    assert.ok(e.en.length > 10 && /\.$/.test(e.en), `${k}: ${e.en}`);
    assert.match(e.zh, CJK, k);
    assert.doesNotMatch(e.en + e.zh, /undefined|NaN|\{/, k);
    assert.ok(!e.en.includes(k), `${k} names its code`);
    const dry = explainAction(k, 'dry-run', detail);
    assert.match(dry.en, /^Dry run — would have done: /);
    assert.match(dry.zh, /演练模式/);
  }
  assert.match(explainAction('retract_messages', 'enforce', detail).en, /12 message/);
  assert.match(explainAction('warn_recipients', 'enforce', detail).zh, /9 人和 2 个群/);
  assert.match(explainAction('throttle_account', 'enforce', detail).en, /7 messages a minute/);
  assert.match(explainAction('freeze_account', 'enforce', { kind: 'sanction' }).en, /penalty/);
  assert.ok(!isActionKind('toString') && !isActionKind('freeze'));
});

test('every response signal has a sentence', () => {
  assert.deepEqual(Object.keys(RESPONSE_SIGNAL_EXPLANATIONS).sort(), [...RESPONSE_SIGNALS].sort());
});
