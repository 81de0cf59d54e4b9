// Over HTTP, on SQLite and PostgreSQL: the live overview (its event stream and its polled fallback) is a
// background read that does not renew an operator's console session, so an operator who walks away from
// an open overview is signed out after the idle time; the operator's own reads and actions still renew it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hashToken } from '../crypto/index.ts';
import { harness, ok, refused, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { postgresSkip } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { addOperator, signInOperator, type ConsoleClient } from './test-operators.ts';

const MIN = 60_000;
const IDLE_MS = 60 * MIN; // the console's default idle time

describeBackends('console session idle time', (backend) => {
  let h: Harness;
  let skip: string | undefined;
  before(async () => {
    if (backend === 'postgres') skip = await postgresSkip();
    if (skip) return;
    h = await harness(backend);
  });
  after(async () => h?.cleanup());

  const tokenHash = (c: ConsoleClient) => hashToken(c.cookie.slice(c.cookie.indexOf('=') + 1));
  const lastSeen = async (c: ConsoleClient) =>
    Number(
      (
        await h.gh.store.db
          .selectFrom('console_sessions')
          .select('last_seen_at')
          .where('token_hash', '=', tokenHash(c))
          .executeTakeFirstOrThrow()
      ).last_seen_at,
    );
  /** The operator's last action was `ms` ago. */
  const idleFor = async (c: ConsoleClient, ms: number) => {
    const at = Date.now() - ms;
    await h.gh.store.db
      .updateTable('console_sessions')
      .set({ last_seen_at: at })
      .where('token_hash', '=', tokenHash(c))
      .execute();
    return at;
  };

  test('the overview stream and poll do not keep an idle session alive; an operator action does', async (tt) => {
    if (skip) return tt.skip(skip);
    const op = await addOperator(h.gh, `idle.admin.${backend}`, 'admin');
    const c = await signInOperator(h.url, op);

    // the operator walked away 10 minutes ago with the overview open
    const idleSince = await idleFor(c, 10 * MIN);
    ok(await c.call('GET', '/v1/console/overview'));
    const ac = new AbortController();
    const res = await fetch(`${h.url}/v1/console/overview/stream`, {
      headers: { cookie: c.cookie },
      signal: ac.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    // two overview events: the one sent at once and a later one (each after checking the session)
    await until(async () => {
      const { value, done } = await reader.read();
      if (value) text += dec.decode(value, { stream: true });
      return done || (text.match(/event: overview/g)?.length ?? 0) >= 2;
    }, 'two overview events');
    ac.abort();
    await reader.cancel().catch(() => undefined);
    assert.equal(await lastSeen(c), idleSince, 'background reads left the idle timer alone');

    // past the idle time the background reads are refused like anything else
    await idleFor(c, IDLE_MS + MIN);
    refused(await c.call('GET', '/v1/console/overview'), 401, 'UNAUTHENTICATED');

    // the owner's path: a real read renews the session
    const d = await signInOperator(h.url, await addOperator(h.gh, `idle.other.${backend}`, 'admin'));
    const before = await idleFor(d, 10 * MIN);
    ok(await d.call('GET', '/v1/console/session'));
    const renewed = await lastSeen(d);
    assert.ok(renewed > before + 9 * MIN, 'an operator read renewed the idle timer');
    // and so does an operator action (an admin adds an operator)
    await idleFor(d, 10 * MIN);
    ok(
      await d.call('POST', '/v1/console/operators', {
        body: { handle: `idle.new.${backend}`, role: 'viewer' },
      }),
      201,
    );
    assert.ok((await lastSeen(d)) > before + 9 * MIN, 'an operator action renewed the idle timer');
  });
});
