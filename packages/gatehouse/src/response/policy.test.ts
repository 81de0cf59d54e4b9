import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { enforcesContainment, evaluatePolicy, parsePolicy, PolicyError, rehearses } from './policy.ts';

const DEFAULT = readFileSync(new URL('../../config/policy.default.yaml', import.meta.url), 'utf8');

function problems(text: string) {
  try {
    parsePolicy(text, 'test.yaml');
  } catch (e) {
    assert.ok(e instanceof PolicyError, String(e));
    return e.problems;
  }
  assert.fail('expected a PolicyError');
}

test('the shipped default policy loads and contains a hijack with the full set of actions', () => {
  const p = parsePolicy(DEFAULT);
  assert.equal(p.version, 1);
  assert.equal(p.hash.length, 64);
  const r = evaluatePolicy(p, {
    action: 'contain',
    risk: 0.999,
    eventType: 'message.sent',
    signals: [{ name: 'signin_qr' }, { name: 'url_lookalike' }],
  });
  assert.deepEqual(r.matched, ['contain-hijack']);
  assert.deepEqual(
    r.steps.map((s) => s.action.kind),
    [
      'freeze_account',
      'revoke_sessions',
      'revoke_grants',
      'retract_messages',
      'warn_recipients',
      'quarantine_content',
      'notify_owner',
    ],
  );
  const q = r.steps.find((s) => s.action.kind === 'quarantine_content')!;
  assert.deepEqual(q.action.params, { ttl: 86_400_000, kinds: ['text', 'domain', 'image'] });
  assert.ok(r.steps.every((s) => s.mode === 'enforce'));
});

test('whether a policy contains in earnest: an enforced rule with actions that a contain decision can match', () => {
  assert.equal(enforcesContainment(parsePolicy(DEFAULT)), true);
  assert.equal(
    enforcesContainment(parsePolicy(DEFAULT.replace('  mode: enforce', '  mode: dry-run'))),
    false,
  );
  const only = (when: string, mode = 'enforce') =>
    enforcesContainment(
      parsePolicy(
        `version: 1\ndefaults:\n  mode: ${mode}\nrules:\n  - id: r\n    when: ${when}\n    actions:\n      - hold_message\n`,
      ),
    );
  assert.equal(only('{ decision: [hold] }'), false, 'a rule for other decisions');
  assert.equal(only('{ decision: [hold, contain] }'), true);
  assert.equal(only('{ minRisk: 0.9 }'), true, 'no decision filter: it can match a contain');
  assert.equal(only('{ decision: [contain] }', 'dry-run'), false);
});

test('a containment in earnest forgets the intruder’s device: forget_device is implied when no enforced step forgets it', () => {
  const policy = (actions: string[], mode = 'enforce') =>
    parsePolicy(
      `version: 1\ndefaults:\n  mode: ${mode}\nrules:\n  - id: r\n    when: { decision: [contain, hold] }\n    actions:\n${actions.map((a) => `      - ${a}\n`).join('')}`,
    );
  const kinds = (p: ReturnType<typeof parsePolicy>, d: object = {}) =>
    evaluatePolicy(p, {
      action: 'contain',
      risk: 0.999,
      eventType: 'message.sent',
      signals: [],
      session: 'ses_1',
      ...d,
    }).steps.map((s) => `${s.action.kind}:${s.mode}:${s.rule}`);
  const holds = policy(['hold_message', 'throttle_account']);
  assert.deepEqual(kinds(holds), [
    'hold_message:enforce:r',
    'throttle_account:enforce:r',
    'forget_device:enforce:r',
  ]);
  assert.deepEqual(kinds(holds, { session: undefined }), [
    'hold_message:enforce:r',
    'throttle_account:enforce:r',
  ]);
  assert.deepEqual(kinds(holds, { action: 'hold' }), [
    'hold_message:enforce:r',
    'throttle_account:enforce:r',
  ]);
  assert.deepEqual(
    kinds(policy(['hold_message'], 'dry-run')),
    ['hold_message:dry-run:r'],
    'a rehearsal forgets nothing',
  );
  assert.deepEqual(kinds(policy(['revoke_sessions'])), ['revoke_sessions:enforce:r']);
  assert.deepEqual(kinds(policy(['freeze_account'])), ['freeze_account:enforce:r']);
  assert.deepEqual(kinds(policy(['forget_device', 'hold_message'])), [
    'forget_device:enforce:r',
    'hold_message:enforce:r',
  ]);
  assert.deepEqual(
    kinds(policy(['freeze_account: { kind: sanction }'])),
    ['freeze_account:enforce:r', 'forget_device:enforce:r'],
    'a sanction is about the owner: it forgets nothing, so the containment does',
  );
  // the default policy revokes and freezes: nothing implied
  assert.ok(!kinds(parsePolicy(DEFAULT)).some((k) => k.startsWith('forget_device')));
});

test('which decisions the policy only rehearses (the pre-send check then lets the message go)', () => {
  const d = (action: 'hold' | 'block' | 'contain', signals: string[] = []) => ({
    action,
    risk: 0.99,
    eventType: 'message.sent',
    signals: signals.map((name) => ({ name })),
  });
  const enforcing = parsePolicy(DEFAULT);
  const dry = parsePolicy(DEFAULT.replace('  mode: enforce', '  mode: dry-run'));
  for (const a of ['hold', 'block', 'contain'] as const) {
    assert.equal(rehearses(enforcing, d(a)), false, a);
    assert.equal(rehearses(dry, d(a)), true, a);
    // the default's dry-run login-wave rule beside an enforcing rule: enforced
    assert.equal(rehearses(enforcing, d(a, ['login_wave'])), false, a);
  }
  const mixed = parsePolicy(`version: 1
defaults:
  mode: enforce
rules:
  - id: contain
    when: { decision: [contain] }
    actions: [freeze_account]
  - id: try-blocking
    mode: dry-run
    when: { decision: [block] }
    actions: [challenge_owner]
`);
  assert.equal(rehearses(mixed, d('contain')), false);
  assert.equal(rehearses(mixed, d('block')), true, 'only a dry-run rule matches');
  assert.equal(
    rehearses(mixed, d('hold')),
    false,
    'no rule matches, and the policy enforces: the verdict stands',
  );
  const stopped = parsePolicy(`version: 1
defaults:
  mode: dry-run
rules:
  - id: first
    when: { decision: [block] }
    actions: [challenge_owner]
    stop: true
  - id: never-reached
    mode: enforce
    when: { decision: [block] }
    actions: [throttle_account]
`);
  assert.equal(rehearses(stopped, d('block')), true, 'a stop before the enforcing rule');
  assert.equal(rehearses(stopped, d('hold')), false);
  // the same answer as "no step of evaluatePolicy is enforced" wherever some rule matches
  for (const p of [enforcing, dry, mixed, stopped])
    for (const a of ['hold', 'block', 'contain'] as const) {
      const { steps } = evaluatePolicy(p, d(a));
      if (steps.length > 0) assert.equal(rehearses(p, d(a)), !steps.some((x) => x.mode === 'enforce'));
    }
});

test('hold and challenge decisions hold the message and challenge; allow does nothing', () => {
  const p = parsePolicy(DEFAULT);
  assert.deepEqual(
    evaluatePolicy(p, { action: 'hold', risk: 0.9, eventType: 'message.sent', signals: [] }).steps.map(
      (s) => s.action.kind,
    ),
    ['hold_message', 'challenge_owner'],
  );
  assert.deepEqual(
    evaluatePolicy(p, { action: 'allow', risk: 0.01, eventType: 'message.sent', signals: [] }).steps,
    [],
  );
});

test('dry-run rules plan their actions in dry-run; an enforcing rule for the same action wins', () => {
  const p = parsePolicy(DEFAULT);
  const wave = evaluatePolicy(p, {
    action: 'allow',
    risk: 0.3,
    eventType: 'identity.login.succeeded',
    signals: [{ name: 'login_wave' }],
  });
  assert.deepEqual(wave.steps, [
    {
      rule: 'login-wave-watch',
      mode: 'dry-run',
      action: { kind: 'challenge_owner', params: { channel: 'any' } },
    },
  ]);
  const both = evaluatePolicy(p, {
    action: 'hold',
    risk: 0.9,
    eventType: 'message.sent',
    signals: [{ name: 'login_wave' }],
  });
  assert.equal(both.steps.find((s) => s.action.kind === 'challenge_owner')!.mode, 'enforce');
});

test('signal conditions: all, any, none; campaign; minRisk; eventType', () => {
  const p = parsePolicy(`version: 2
rules:
  - id: r1
    when:
      minRisk: 0.5
      eventType: [message.sent]
      campaign: false
      signals: { all: [new_client, fanout], any: [url_blocked, image_bank], none: [login_wave] }
    actions: [notify_owner]
`);
  const base = {
    action: 'block' as const,
    risk: 0.6,
    eventType: 'message.sent',
    signals: [{ name: 'new_client' }, { name: 'fanout' }, { name: 'image_bank' }],
  };
  assert.deepEqual(evaluatePolicy(p, base).matched, ['r1']);
  assert.deepEqual(evaluatePolicy(p, { ...base, risk: 0.4 }).matched, []);
  assert.deepEqual(evaluatePolicy(p, { ...base, eventType: 'friend.added' }).matched, []);
  assert.deepEqual(evaluatePolicy(p, { ...base, campaigns: ['c1'] }).matched, []);
  assert.deepEqual(
    evaluatePolicy(p, { ...base, signals: [{ name: 'new_client' }, { name: 'image_bank' }] }).matched,
    [],
  );
  assert.deepEqual(
    evaluatePolicy(p, { ...base, signals: [{ name: 'new_client' }, { name: 'fanout' }] }).matched,
    [],
  );
  assert.deepEqual(
    evaluatePolicy(p, { ...base, signals: [...base.signals, { name: 'login_wave' }] }).matched,
    [],
  );
});

test('errors name the line and the problem', () => {
  assert.deepEqual(
    problems(
      'version: 1\nrules:\n  - id: a\n    when: { decision: [contain] }\n    actions:\n      - freeze_acount\n',
    ).map((p) => [p.line, p.message.slice(0, 30)]),
    [[6, 'unknown action "freeze_acount"']],
  );
  const bad = problems(
    'version: 1\nrules:\n  - id: a\n    when:\n      decision: [contane]\n    actions: [notify_owner]\n',
  );
  assert.equal(bad[0]!.line, 5);
  assert.equal(bad[0]!.path, 'rules.0.when.decision.0');
  const dur = problems(
    'version: 1\nrules:\n  - id: a\n    when: {}\n    actions:\n      - quarantine_content: { ttl: forever }\n',
  );
  assert.equal(dur[0]!.line, 6);
  assert.match(dur[0]!.message, /duration/);
  const unknownKey = problems(
    'version: 1\nrules:\n  - id: a\n    when: {}\n    actions: [notify_owner]\n    eval: "process.exit()"\n',
  );
  assert.equal(unknownKey[0]!.line, 3);
  assert.match(unknownKey[0]!.message, /eval/);
  const syntax = problems('version: 1\nrules:\n  - id: a\n   when: {}\n');
  assert.ok(syntax[0]!.line >= 3);
  assert.match(problems('version: 1\nrules: []\n')[0]!.message, /at least 1|>=1|too small/i);
  const dup = problems(
    'version: 1\nrules:\n  - id: a\n    when: {}\n    actions: [notify_owner]\n  - id: a\n    when: {}\n    actions: [notify_owner]\n',
  );
  assert.equal(dup[0]!.line, 6);
  assert.match(dup[0]!.message, /duplicate rule id/);
  assert.match(problems('- just a list\n')[0]!.message, /mapping/);
  assert.match(
    problems(
      'version: 1\nrules:\n  - id: a\n    when: { decision: [allow] }\n    actions: [freeze_account]\n',
    )[0]!.message,
    /may not freeze/,
  );
});

test('a misspelt signal, action or parameter does not load: the error names its line', () => {
  const sig = problems(
    'version: 1\nrules:\n  - id: a\n    when:\n      decision: [hold]\n      signals:\n        any: [login_wave, url_lokalike]\n    actions: [notify_owner]\n',
  );
  assert.equal(sig.length, 1);
  assert.equal(sig[0]!.line, 7);
  assert.equal(sig[0]!.path, 'rules.0.when.signals.any.1');
  assert.match(sig[0]!.message, /unknown signal "url_lokalike"; did you mean "url_lookalike"/);
  const none = problems(
    'version: 1\nrules:\n  - id: a\n    when:\n      signals: { none: [owner_denied, zzz_not_a_signal] }\n    actions: [notify_owner]\n',
  );
  assert.deepEqual(
    none.map((p) => [p.line, p.message]),
    [[5, 'unknown signal "zzz_not_a_signal"']],
  );
  const act = problems(
    'version: 1\nrules:\n  - id: a\n    when: {}\n    actions:\n      - notify_owner\n      - revoke_sesions: { scope: all }\n',
  );
  assert.deepEqual(
    act.map((p) => [p.line, p.message.slice(0, 32)]),
    [[7, 'unknown action "revoke_sesions";']],
  );
  const param = problems(
    'version: 1\nrules:\n  - id: a\n    when: {}\n    actions:\n      - throttle_account:\n          messagesPerMinute: 3\n          duraton: 1h\n',
  );
  assert.equal(param.length, 1);
  assert.equal(param[0]!.line, 8);
  assert.match(param[0]!.message, /duraton/);
  // every signal the engine's detectors may emit, and the response part's own, is accepted
  parsePolicy(
    'version: 1\nrules:\n  - id: a\n    when:\n      signals: { any: [account_contained, owner_denied, throttled, text_score] }\n    actions: [notify_owner]\n',
  );
});

test('the file cannot run code: tags and anchors bombs are refused', () => {
  assert.ok(problems('version: !!js/function "function(){}"\nrules: []\n').length > 0);
  const bomb =
    'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\nversion: 1\nrules: []\n';
  assert.throws(() => parsePolicy(bomb));
});
