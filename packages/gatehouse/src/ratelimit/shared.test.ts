// Issue 16 item 3, over HTTP: two Gatehouse processes (two instances, each with its own HTTP server) on
// one PostgreSQL share their sign-in counters through Redis (`redisUrl`), so a credential-stuffing
// attacker who spreads guesses across both is held to ONE limit, while the owner signs in on either.
// With Redis unreachable, a sign-in is refused with 503 RATE_LIMIT_UNAVAILABLE at once (fail closed,
// never a 500 or a hang) and /readyz says not ready.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import {
  harness,
  ok,
  OWNER,
  PASSWORD,
  refused,
  signUp,
  type Harness,
  type Reply,
} from '../recovery/attack-harness.ts';
import { postgresSkip, tempDir } from '../testing/index.ts';
import { REDIS_URL, redisSkip } from '../testing/redis.ts';

const skip = (await postgresSkip()) ?? (await redisSkip());

async function callAt(url: string, path: string, body: unknown, from: { ip: string; ua: string }) {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'x-forwarded-for': from.ip, 'user-agent': from.ua, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text, headers: res.headers } satisfies Reply;
}

describe('two processes, one PostgreSQL, one Redis: one sign-in limit', { skip }, () => {
  let h: Harness;
  let second: Gatehouse;
  let secondUrl: string;
  const dir = tempDir();
  // a network of this run's own: counters in the shared Redis outlive a run
  const attacker = {
    ip: `203.${randomInt(1, 250)}.${randomInt(1, 250)}.66`,
    ua: 'Mozilla/5.0 (X11; Linux x86_64) python-requests/2.32',
  };
  before(async () => {
    h = await harness('postgres', {
      redisUrl: REDIS_URL,
      loginMaxFailuresPerIp: 10,
      loginMaxFailuresPerAccount: 5,
    });
    second = await createGatehouse({ ...h.gh.config, dataDir: dir.dir }, { log: createLogger('silent') });
    secondUrl = await second.listen();
  });
  after(async () => {
    await second?.close();
    await h?.cleanup();
    dir.cleanup();
  });

  test('a stuffing attacker alternating between both processes is refused after ONE per-network limit; the owner signs in on both', async () => {
    const tag = randomBytes(3).toString('hex');
    const owners = await Promise.all(Array.from({ length: 4 }, (_, i) => signUp(h, `stuffed${i}.${tag}`)));
    // every guess at a different account, odd ones through the second process
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      const url = i % 2 === 0 ? h.url : secondUrl;
      const r = await callAt(
        url,
        '/v1/auth/signin',
        { handle: owners[i % owners.length]!.handle, password: `leaked password ${i}` },
        attacker,
      );
      statuses.push(r.status);
      if (r.status === 429) assert.equal(r.json.code, 'RATE_LIMITED');
    }
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401), statuses.join(','));
    assert.deepEqual(statuses.slice(10), Array(14).fill(429), 'both processes refuse past the one limit');
    // the counters live in Redis, not in the database both processes share
    const rows = await h.gh.store.db.selectFrom('rate_counters').select('key').execute();
    assert.equal(rows.length, 0, 'no counter row in PostgreSQL');
    // the owners, on their own network, sign in through either process
    ok(await callAt(h.url, '/v1/auth/signin', { handle: owners[0]!.handle, password: PASSWORD }, OWNER));
    ok(await callAt(secondUrl, '/v1/auth/signin', { handle: owners[1]!.handle, password: PASSWORD }, OWNER));
  });

  test('a concurrent burst on one account split over both processes evaluates at most the account limit', async () => {
    const owner = await signUp(h, `burst.${randomBytes(3).toString('hex')}`);
    // the owner's usual network
    ok(await callAt(h.url, '/v1/auth/signin', { handle: owner.handle, password: PASSWORD }, OWNER));
    const from = { ip: `198.${randomInt(1, 250)}.${randomInt(1, 250)}.9`, ua: attacker.ua };
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        callAt(
          i % 2 ? secondUrl : h.url,
          '/v1/auth/signin',
          { handle: owner.handle, password: `burst guess ${i}` },
          from,
        ),
      ),
    );
    const statuses = burst.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 25);
    ok(await callAt(secondUrl, '/v1/auth/signin', { handle: owner.handle, password: PASSWORD }, OWNER));
  });
});

describe('Redis unreachable', () => {
  let h: Harness;
  before(async () => {
    // nothing listens on port 1
    h = await harness('sqlite', { redisUrl: 'redis://127.0.0.1:1' });
  });
  after(async () => h?.cleanup());

  test('a sign-in is refused with 503 RATE_LIMIT_UNAVAILABLE and Retry-After (fail closed), and /readyz is not ready', async () => {
    const r = refused(
      await h.call('POST', '/v1/auth/signin', {
        body: { handle: 'nobody.here', password: 'some password 123' },
      }),
      503,
      'RATE_LIMIT_UNAVAILABLE',
    );
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    const ready = await fetch(`${h.url}/readyz`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as {
      code: string;
      checks: Record<string, { ok: boolean; kind: string }>;
    };
    assert.equal(body.code, 'NOT_READY');
    assert.deepEqual(body.checks.counters, { ok: false, kind: 'redis' }, 'the report names Redis as down');
    assert.equal(body.checks.database!.ok, true);
  });
});
