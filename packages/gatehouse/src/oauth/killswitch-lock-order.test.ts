/**
 * The kill switch against a batched token save, interleaved on purpose at the point where the two
 * deadlocked on PostgreSQL (CI, suspend-race): the batch has done a first write (it holds a lock) and is
 * held open before its save of the app; the kill switch starts and goes as far as it can (the positive
 * signal: it waits for a lock the batch holds); then the batch goes on. Both take the app's lock before
 * anything else of the app's, so the kill switch waits for the batch and runs once: no deadlock victim on
 * either side, nothing run again. PostgreSQL only: SQLite has one writer, nothing there interleaves.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { postgresSkip } from '../testing/index.ts';
import { racing } from '../testing/interleave.ts';
import { BENCH_REDIRECT, mint } from './mint.ts';
import { addApp, fixture, type Fixture } from './test-fixture.ts';

const SCOPE = 'openid nickname offline_access';

describe('kill switch against a batched save: one lock order (postgres)', async () => {
  const skip = await postgresSkip();
  let f: Fixture;
  before(async () => {
    if (!skip) f = await fixture('postgres');
  });
  after(async () => {
    if (!skip) await f.cleanup();
  });

  const rowsOf = (client: string) =>
    f.gh.store.db
      .selectFrom('oauth_models')
      .select(['model', 'id'])
      .where('client_id', '=', client)
      .where('model', '!=', 'Session')
      .orderBy('model')
      .orderBy('id')
      .execute();

  /** A leaky app with a grant, a code and two tokens; a bystander app with a grant and two tokens. */
  async function apps() {
    const input = { redirectUris: [BENCH_REDIRECT], scopes: ['nickname', 'offline_access'] };
    const leaky = await addApp(f.gh, input);
    const bystander = await addApp(f.gh, input);
    const provider = await f.gh.oauth.provider();
    const accountId = f.account.id;
    const g = await mint(provider, { accountId, clientId: leaky.id, scope: SCOPE });
    const other = await mint(provider, { accountId, clientId: bystander.id, scope: SCOPE });
    const leak = {
      code: await g.code(randomBytes(32).toString('base64url')),
      at: await g.accessToken(),
      rt: await g.refreshToken(),
    };
    const kept = { at: await other.accessToken(), rt: await other.refreshToken() };
    return { leaky, bystander, provider, accountId, g, other, leak, kept };
  }

  /**
   * One batch (the writes of one event-loop turn, group-commit.ts): `first`, then a write that holds the
   * transaction open, then `then`. While it is held, the kill switch of `client` runs as far as it can;
   * then the batch goes on. Returns how each write of the batch and the kill switch ended.
   */
  async function batchAgainstKillSwitch(
    client: string,
    first: () => Promise<unknown>,
    then: () => Promise<unknown>,
  ) {
    const writes = f.gh.oauth.writes;
    const stats0 = { ...writes.stats };
    let held!: (pid: number) => void;
    const holding = new Promise<number>((r) => (held = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let holds = 0;
    const batch = [
      first(),
      writes.write(async (tx) => {
        holds++;
        const r = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
        held(r.rows[0]!.pid);
        await gate;
      }),
      then(),
    ];
    const batchPid = await holding;
    // the kill switch, up to the positive signal that it waits for a lock the batch holds
    const suspension = f.gh.oauth.suspend(client, 'leaked user data', 'operator');
    let finished = false;
    const raced = await racing(f.gh.store.db, batchPid, () => suspension.finally(() => (finished = true)));
    assert.ok(!finished, 'the kill switch finished while the batch held its transaction open');
    // the batch goes on: its save of the app's row, its commit
    release();
    const settled = await Promise.allSettled(batch);
    await raced.done;
    const result = await suspension;
    assert.equal(result.attempts, 1, 'the kill switch ran once (it was no deadlock victim)');
    assert.deepEqual(
      settled.map((s) => (s.status === 'rejected' ? String(s.reason) : s.status)),
      ['fulfilled', 'fulfilled', 'fulfilled'],
      'every write of the batch was acknowledged (the batch saved before the suspension)',
    );
    assert.equal(holds, 1, 'the batch ran once');
    assert.deepEqual(
      { commits: writes.stats.commits - stats0.commits, writes: writes.stats.writes - stats0.writes },
      { commits: 1, writes: 3 },
      'one commit carried the three writes (no deadlock victim, nothing run again alone)',
    );
    return result;
  }

  test(
    'a batch that consumed a code of the app and then saves a token of it: the kill switch waits for it and runs once',
    { skip },
    async () => {
      const { leaky, bystander, provider, accountId, g, other, leak, kept } = await apps();
      const bystanderRows = await rowsOf(bystander.id);
      assert.equal(bystanderRows.length, 3, 'the bystander has a grant and two tokens');
      const newAt = randomBytes(32).toString('base64url');
      const iat = Math.floor(Date.now() / 1000);
      const result = await batchAgainstKillSwitch(
        leaky.id,
        () => provider.AuthorizationCode.adapter.consume(leak.code),
        () =>
          provider.AccessToken.adapter.upsert(
            newAt,
            {
              kind: 'AccessToken',
              jti: newAt,
              accountId,
              clientId: leaky.id,
              grantId: g.grantId,
              scope: SCOPE,
              iat,
            },
            3600,
          ),
      );
      assert.ok(result.revoked >= 5, `the grant, the code and three tokens were revoked (${result.revoked})`);

      // every grant, code and token of the app is gone, the token saved in the batch too
      assert.deepEqual(await rowsOf(leaky.id), [], 'a row of the suspended app is left');
      assert.equal(await provider.AccessToken.find(leak.at), undefined);
      assert.equal(await provider.AccessToken.find(newAt), undefined);
      assert.equal(await provider.RefreshToken.find(leak.rt), undefined);
      assert.equal(await provider.AuthorizationCode.find(leak.code), undefined);
      assert.equal(await provider.Grant.find(g.grantId), undefined);
      // the other app's are untouched
      assert.deepEqual(await rowsOf(bystander.id), bystanderRows);
      assert.ok(await provider.AccessToken.find(kept.at), "the bystander's access token lives");
      assert.ok(await provider.RefreshToken.find(kept.rt), "the bystander's refresh token lives");
      assert.ok(await provider.Grant.find(other.grantId), "the bystander's grant lives");
    },
  );

  test(
    "a batch that saved another app's new grant (the outbox's append lock) and then saves a token of the app: the kill switch runs once",
    { skip },
    async () => {
      const { leaky, bystander, provider, accountId, g, leak, kept } = await apps();
      const newAt = randomBytes(32).toString('base64url');
      const newGrant = randomBytes(16).toString('base64url');
      const iat = Math.floor(Date.now() / 1000);
      const result = await batchAgainstKillSwitch(
        leaky.id,
        // a new grant of the bystander: its app.authorised event takes the outbox's append lock, which the
        // kill switch takes too (for its app.suspended events), after the app's row
        () =>
          provider.Grant.adapter.upsert(
            newGrant,
            {
              kind: 'Grant',
              jti: newGrant,
              accountId,
              clientId: bystander.id,
              openid: { scope: SCOPE },
              iat,
            },
            3600,
          ),
        () =>
          provider.AccessToken.adapter.upsert(
            newAt,
            {
              kind: 'AccessToken',
              jti: newAt,
              accountId,
              clientId: leaky.id,
              grantId: g.grantId,
              scope: SCOPE,
              iat,
            },
            3600,
          ),
      );
      assert.ok(result.revoked >= 5, `the grant, the code and three tokens were revoked (${result.revoked})`);
      assert.deepEqual(await rowsOf(leaky.id), [], 'a row of the suspended app is left');
      assert.equal(await provider.AccessToken.find(newAt), undefined);
      assert.equal(await provider.AccessToken.find(leak.at), undefined);
      assert.ok(await provider.Grant.find(newGrant), "the bystander's new grant was saved");
      assert.ok(await provider.AccessToken.find(kept.at), "the bystander's access token lives");
    },
  );
});
