// The wrong-answer counter under a concurrent burst, on SQLite and PostgreSQL, over HTTP: every answer
// is judged inside a transaction that holds the case's row, so 20 wrong codes at once record exactly
// maxWrongAnswers wrong answers and lock the case; none is judged against a stale count.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { postgresSkip, type Backend } from '../testing/index.ts';
import { appeal, harness, INTRUDER, ok, OWNER, settledOwner, type Harness } from './attack-harness.ts';

function suite(backend: Backend) {
  describe(`wrong answers on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend, {
        recoveryMaxWrongAnswers: 5,
        recoveryAttemptsPerAccount: 1000,
        recoveryAttemptsPerIp: 1000,
      });
    });
    after(async () => h?.cleanup());

    test('20 concurrent wrong codes: exactly 5 judged wrong, then the case is locked; the right code waits out the lock', async (tt) => {
      if (skip) return tt.skip(skip);
      const owner = await settledOwner(h, `burst.case.${backend}`);
      ok(
        await h.call('POST', `/v1/accounts/${owner.id}/freeze`, {
          key: h.op,
          body: { reason: 'hijack', kind: 'containment' },
        }),
      );
      const { token } = await appeal(h, owner.handle, INTRUDER, 'recovery_code');
      const burst = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          h.call('POST', '/v1/recovery/case/verification/answer', {
            token,
            from: INTRUDER,
            body: { code: `WRNG-CODE-${String(i).padStart(4, '0')}` },
          }),
        ),
      );
      const codes = burst.map((r) => r.json.code as string);
      assert.equal(codes.filter((c) => c === 'RECOVERY_CODE_INVALID').length, 4, codes.join(','));
      assert.equal(codes.filter((c) => c === 'RECOVERY_LOCKED').length, 16, codes.join(','));
      const caseId = (
        ok(await h.call('GET', `/v1/recovery/cases?account=${owner.id}`, { key: h.op })).json.cases as Array<{
          id: string;
        }>
      )[0]!.id;
      const steps = (await h.gh.recovery.history(caseId)).map((e) => e.step);
      assert.equal(steps.filter((s) => s === 'answer_wrong').length, 5);
      assert.equal(steps.filter((s) => s === 'locked').length, 1);
      // locked: even the right code is refused now
      const locked = await h.call('POST', '/v1/recovery/case/verification/answer', {
        token,
        from: OWNER,
        body: { code: owner.codes[0] },
      });
      assert.equal(locked.json.code, 'RECOVERY_LOCKED');
      // the owner's own appeal is a case of its own, not locked by the intruder's guesses
      const mine = await appeal(h, owner.handle, OWNER, 'recovery_code');
      const r = ok(
        await h.call('POST', '/v1/recovery/case/verification/answer', {
          token: mine.token,
          body: { code: owner.codes[0] },
        }),
      );
      assert.equal((r.json.case as { state: string }).state, 'verified');
    });
  });
}

suite('sqlite');
suite('postgres');
