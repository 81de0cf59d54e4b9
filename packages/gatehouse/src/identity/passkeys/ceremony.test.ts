// The sealed passkey sign-in ceremony (passkeys/ceremony.ts): it cannot be forged, extended or taken by a
// server with another key, and it is spent once, on SQLite and PostgreSQL, even by two answers at once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { GatehouseError } from '../../errors/index.ts';
import { postgresSkip, testStore, type Backend } from '../../testing/index.ts';
import { SecretBox } from '../../webhooks/index.ts';
import type { Store } from '../../store/index.ts';
import { passkeyStatements } from '../mfa/store.ts';
import { openCeremony, refuseSpent, sealCeremony, spendCeremony } from './ceremony.ts';

const CHALLENGE = randomBytes(32).toString('base64url');
const box = new SecretBox(randomBytes(32));
const invalid = (e: unknown) => e instanceof GatehouseError && e.code === 'SIGNIN_CHALLENGE_INVALID';

test('a ceremony opens with its key before its expiry, and not otherwise', () => {
  const t = 1_800_000_000_000;
  const token = sealCeremony(box, CHALLENGE, t + 60_000);
  assert.deepEqual(openCeremony(box, token, t), { challenge: CHALLENGE, expiresAt: t + 60_000 });
  // expired
  assert.throws(() => openCeremony(box, token, t + 60_000), invalid);
  // another server's key
  assert.throws(() => openCeremony(new SecretBox(randomBytes(32)), token, t), invalid);
  // any changed character (the expiry cannot be extended, the challenge not swapped)
  for (let i = 'ghp_v1.'.length; i < token.length; i += 7) {
    const c = token[i] === 'A' ? 'B' : 'A';
    const bad = token.slice(0, i) + c + token.slice(i + 1);
    assert.throws(() => openCeremony(box, bad, t), invalid);
  }
  // not a ceremony at all
  for (const bad of ['', 'ghc_' + 'a'.repeat(43), 'ghp_v1.', token + '.', 'ghp_v2.' + token.slice(7)])
    assert.throws(() => openCeremony(box, bad, t), invalid);
});

function suite(backend: Backend) {
  describe(`spending a passkey ceremony on ${backend}`, () => {
    let s: { store: Store; cleanup: () => Promise<void> } | undefined;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (!skip) s = await testStore(backend);
    });
    after(async () => s?.cleanup());

    test('once: a second answer, later or at the same time, is refused and rolls back', async (tt) => {
      if (skip) return tt.skip(skip);
      const db = s!.store.db;
      const now = Date.now();
      const at = { accountId: 'acc_ceremony', ip: '192.0.2.1', now };
      const c = openCeremony(box, sealCeremony(box, CHALLENGE, now + 60_000), now);
      await refuseSpent(db, c);
      await db.transaction().execute((tx) => spendCeremony(tx, c, at));
      await assert.rejects(refuseSpent(db, c), invalid);
      await assert.rejects(
        db.transaction().execute((tx) => spendCeremony(tx, c, at)),
        invalid,
      );
      // two answers of a fresh ceremony at once: exactly one transaction commits
      const d = openCeremony(
        box,
        sealCeremony(box, randomBytes(32).toString('base64url'), now + 60_000),
        now,
      );
      const results = await Promise.allSettled(
        [0, 1].map(() => db.transaction().execute((tx) => spendCeremony(tx, d, at))),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.ok(invalid(lost.reason), String(lost.reason));
      // the spend and its check run statements compiled once (store/compiled.ts)
      assert.equal(passkeyStatements.insertSpentChallenge.fixedShapes(db), 1);
      assert.equal(passkeyStatements.challengeByHash.fixedShapes(db), 1);
    });
  });
}

suite('sqlite');
suite('postgres');
