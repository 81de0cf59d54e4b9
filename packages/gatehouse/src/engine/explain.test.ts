// The plain-words catalogue: every signal and decision has an English and a Chinese sentence that
// carries the signal's values, and a decision's reasons are those sentences (never codes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SIGNAL_NAMES, type SignalName } from './config.ts';
import {
  DECISION_EXPLANATIONS,
  SIGNAL_EXPLANATIONS,
  explainDecision,
  explainSignal,
  joinExplanations,
} from './explain.ts';
import { DAY, HOUR, Sim, T0 } from './simulate.ts';
import { ACTIONS, type Decision } from './types.ts';

const CJK = /[\u4e00-\u9fff]/;

/** A value of the right kind for each signal, distinctive enough to find in the sentence. */
const SAMPLE: Record<SignalName, number | string | null> = {
  new_hour: 3,
  new_client: 'web/firefox-77',
  new_script: 'Cyrillic',
  first_link: 'first-link.example',
  new_link_domain: 'never-before.example',
  new_recipients: 17,
  velocity: 143,
  rate_1m: 61,
  fanout: 88,
  first_contact_burst: 23,
  group_blast: 12,
  repeated_content: 37,
  friend_removal_burst: 19,
  session_new: 7,
  session_unknown: null,
  signin_qr: null,
  signin_device_code: null,
  signin_passkey: null,
  familiar_context: 'ios/chat-9',
  organic_content: null,
  device_new: 'Pixel 8',
  network_new: '203.0.113.0/24',
  country_new: 'BR',
  signin_risk: 0.83,
  new_session_money: 4,
  new_session_code_ask: 2,
  repeated_ask: 4,
  session_link_spread: 6,
  new_session_burst: 11,
  login_wave: null,
  password_changed_new_session: null,
  profile_changed_new_session: 'displayName',
  text_score: 0.93,
  intent_money: '转我2000',
  intent_abuse: 'gambling',
  url_blocked: 'blocked-site.example',
  url_lookalike: 'steamcomunety.com',
  url_suspicious: 'free-gift.top',
  image_bank: 'porn-bank',
  content_quarantined: null,
  campaign_member: 'cmp_42',
  campaign_forming: 4,
  campaign_quarantined: 't:3k9x2',
  reports: 5,
  blocked_by_contacts: 3,
  victim_contact: null,
  owner_denied: null,
  account_contained: null,
  signin_qr_relay: 'qr_network_mismatch',
  session_confirmed: null,
  // a category (image, link, wording) said in words
  login_qr_shared: null,
  app_friends_breadth: 41,
  app_profile_breadth: 263,
  app_rate_jump: 8.5,
  grant_many_networks: 9,
  app_networks_jump: 27,
};

test('every signal name has a sentence in both languages that carries its value', () => {
  assert.deepEqual(Object.keys(SIGNAL_EXPLANATIONS).sort(), [...SIGNAL_NAMES].sort());
  for (const name of SIGNAL_NAMES) {
    const sample = SAMPLE[name];
    const e = explainSignal({ name, value: sample ?? 1 });
    for (const text of [e.en, e.zh]) {
      assert.ok(text.length > 10, `${name}: ${text}`);
      assert.doesNotMatch(text, /undefined|NaN|\{|\}|\[object/, `${name}: ${text}`);
      // a sentence, never the code
      assert.ok(!text.includes(name), `${name} names its code: ${text}`);
    }
    assert.match(e.en, /^[A-Z0-9"]/, `${name}: ${e.en}`);
    assert.match(e.en, /\.$/, `${name}: ${e.en}`);
    assert.match(e.zh, CJK, `${name}: ${e.zh}`);
    assert.match(e.zh, /。$/, `${name}: ${e.zh}`);
    if (sample !== null) {
      const shown =
        name === 'signin_risk' || name === 'text_score'
          ? `${Math.round(Number(sample) * 100)}%`
          : String(sample);
      if (name !== 'intent_abuse') {
        assert.ok(e.en.includes(shown), `${name}: ${e.en} lacks ${shown}`);
        assert.ok(e.zh.includes(shown), `${name}: ${e.zh} lacks ${shown}`);
      }
    }
  }
});

test('the facts a detector adds reach the sentence: a lookalike names the brand it imitates', () => {
  const e = explainSignal({
    name: 'url_lookalike',
    value: 'steamcomunety.com',
    facts: { brand: 'steamcommunity.com' },
  });
  assert.equal(
    e.en,
    'This message links to a site made to look like steamcommunity.com (steamcomunety.com).',
  );
  assert.equal(e.zh, '这条消息中的链接模仿了 steamcommunity.com（steamcomunety.com）。');
  const abuse = explainSignal({ name: 'intent_abuse', value: 'gambling', facts: { term: '百家乐' } });
  assert.equal(abuse.en, 'The message uses gambling wording ("百家乐").');
  assert.equal(abuse.zh, '这条消息含有赌博相关的用语（“百家乐”）。');
  const rcpt = explainSignal({ name: 'new_recipients', value: 9, facts: { recipients: 10 } });
  assert.match(rcpt.en, /^9 of the 10 people/);
  assert.match(rcpt.zh, /10 人中，有 9 人/);
  // English plurals follow the number
  assert.match(explainSignal({ name: 'reports', value: 1 }).en, /^1 person reported/);
  assert.match(explainSignal({ name: 'reports', value: 3 }).en, /^3 people reported/);
});

test('every decision action has a plain sentence', () => {
  assert.deepEqual(Object.keys(DECISION_EXPLANATIONS).sort(), [...ACTIONS].sort());
  for (const a of ACTIONS) {
    assert.ok(DECISION_EXPLANATIONS[a].en.length > 10);
    assert.match(DECISION_EXPLANATIONS[a].zh, CJK);
  }
});

test("a hijack's decision gives its reasons as sentences with the values, not codes", () => {
  const sim = new Sim();
  sim.history('s', { days: 10 });
  sim.t = T0 + 10 * DAY + 3 * HOUR;
  sim.login('s', { session: 'x', method: 'qr', device: 'pc', ip: '203.0.113.5' });
  const d = sim.send('s', {
    to: Array.from({ length: 10 }, (_, i) => `s-f${i}`),
    text: '澳门赌场 百家乐 急需用钱 转我 http://steam-gift.top/free',
    session: 'x',
  });
  assert.notEqual(d.action, 'allow');
  assert.ok(d.reasons.length > 0);
  for (const r of d.reasons) {
    const s = d.signals.find((x) => x.name === r.signal)!;
    assert.deepEqual({ en: r.en, zh: r.zh }, explainSignal(s), r.signal);
    assert.ok(!r.en.includes(r.signal) && !r.zh.includes(r.signal));
  }
  const look = d.signals.find((s) => s.name === 'url_lookalike');
  assert.ok(look, 'the lexicon analyzer calls steam-gift.top a lookalike');
  assert.equal(look.facts?.brand, 'steampowered.com');
  assert.equal(
    explainSignal(look).en,
    'This message links to a site made to look like steampowered.com (steam-gift.top).',
  );

  // the operator's and owner's view: every signal explained, the summary, and reasons from the
  // catalogue even for a decision stored with other words
  const stored: Decision = { ...d, reasons: d.reasons.map((r) => ({ ...r, en: r.signal, zh: r.signal })) };
  const v = explainDecision(stored);
  assert.deepEqual(v.reasons, d.reasons);
  assert.deepEqual(v.summary, DECISION_EXPLANATIONS[d.action]);
  for (const s of v.signals) assert.deepEqual(s.explanation, explainSignal(s));
});

test('joinExplanations: one text per language', () => {
  const j = joinExplanations([
    { en: 'A.', zh: '甲。' },
    { en: 'B.', zh: '乙。' },
  ]);
  assert.deepEqual(j, { en: 'A. B.', zh: '甲。乙。' });
});
