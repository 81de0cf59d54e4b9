// The pre-send check's hand-written JSON (check-json.ts) is exactly what the route's zod schema would
// serialize: same fields in the same order, extra keys on reasons, signals and warnings left out, the
// optional `signals` and `indexes` present only when set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { checkAnswerJson, type CheckReply } from './check-json.ts';
import { CheckAnswer } from './routes.ts';

const zodJson = serializerCompiler({ schema: CheckAnswer, method: 'POST', url: '/v1/check/message' }) as (
  data: unknown,
) => string;

const reason = { signal: 'text_scam', en: 'Looks like a scam', zh: '疑似诈骗' };
const answers: CheckReply[] = [
  {
    id: 'm1',
    verdict: 'allow',
    action: 'allow',
    risk: 0.01,
    reasons: [],
    campaigns: [],
    duplicate: false,
    warnings: [],
  },
  {
    id: 'm2 "quoted" \u2028',
    verdict: 'hold',
    action: 'challenge',
    risk: 0.87,
    reasons: [reason, { ...reason, signal: 'new_domain', internal: 'not for clients' } as typeof reason],
    signals: [
      { signal: 'text_scam', value: 0.93, logOdds: 2.41 },
      { signal: 'link_domain', value: 'bet-888.com', logOdds: 1.5, extra: 1 } as never,
    ],
    campaigns: ['cmp_1', 'cmp_2'],
    duplicate: true,
    warnings: [
      { code: 'unknown_account', account: 'u1', en: 'no account', zh: '没有账号' },
      { code: 'unknown_account', account: 'u2', indexes: [0, 3], en: 'no', zh: '没有', more: true } as never,
    ],
  },
  // a verdict the policy only rehearses (dry-run): allow, with the would-be verdict named
  {
    id: 'm3',
    verdict: 'allow',
    action: 'contain',
    risk: 0.999,
    reasons: [reason],
    signals: [{ signal: 'text_scam', value: 0.93, logOdds: 2.41 }],
    campaigns: [],
    duplicate: false,
    rehearsal: 'block',
    warnings: [],
  },
  {
    id: 'm4',
    verdict: 'allow',
    action: 'hold',
    risk: 0.9,
    reasons: [],
    campaigns: [],
    duplicate: false,
    rehearsal: 'hold',
    warnings: [],
  },
];

test('the check answer is written exactly as its schema would serialize it', () => {
  for (const a of answers) {
    assert.equal(checkAnswerJson(a), zodJson(a));
    assert.ok(!checkAnswerJson(a).includes('not for clients'));
  }
});

test('the common answer written from its template is what the schema would serialize', () => {
  const ids = ['m', 'm-"q"\\', '\u2028\u2029', '中文 id', '\ud83d\ude00', 'a\u007fb', 'x'.repeat(128)];
  const risks = [0, 1, 0.5, 1e-7, 0.123456789012345, 5e-324, 1 - 1e-16];
  const verdicts = [
    ['allow', 'allow'],
    ['hold', 'challenge'],
    ['block', 'contain'],
    ['hold', 'allow'],
  ] as const;
  let n = 0;
  for (const id of ids)
    for (const risk of risks)
      for (const [verdict, action] of verdicts)
        for (const duplicate of [false, true]) {
          const a: CheckReply = {
            id,
            verdict,
            action,
            risk,
            reasons: [],
            campaigns: [],
            duplicate,
            warnings: [],
          };
          assert.equal(checkAnswerJson(a), zodJson(a));
          assert.deepEqual(JSON.parse(checkAnswerJson(a)), a);
          n++;
        }
  assert.equal(n, ids.length * risks.length * verdicts.length * 2);
});
