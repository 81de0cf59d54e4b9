// The attempt counters behind every credential limit, one contract run against each store: the database
// (SQLite and PostgreSQL: the embedded default) and Redis (`redisUrl`): fixed windows, progressive
// delays, several rules at once (all or nothing), concurrent bursts, release and clear. Keys are stored
// only as hashes. Each test uses keys of its own (and Redis a prefix of its own per run).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { describeBackends } from '../testing/backends.ts';
import { testStore } from '../testing/index.ts';
import { REDIS_URL, redisSkip } from '../testing/redis.ts';
import {
  AttemptCounters,
  delayBefore,
  MemoryCounters,
  RedisCounters,
  type CounterRule,
  type CounterStore,
} from './index.ts';

const redisSkipped = await redisSkip();

interface Harness {
  counters: CounterStore;
  /** The keys stored (as the store holds them), to check no logical key leaks. */
  storedKeys(): Promise<string[]>;
}

function contract(open: (now: () => number) => Promise<{ h: Harness; cleanup: () => Promise<void> }>) {
  let h: Harness;
  let cleanup: () => Promise<void>;
  let now = 1_900_000_000_000;
  let counters: CounterStore;
  before(async () => {
    ({ h, cleanup } = await open(() => now));
    counters = h.counters;
  });
  after(async () => cleanup?.());

  const rule = (
    key: string,
    limit: number,
    windowMs = 60_000,
    delay?: CounterRule['delay'],
  ): CounterRule => ({
    key,
    limit,
    windowMs,
    ...(delay ? { delay } : {}),
  });

  test('a fixed window allows `limit` attempts, then refuses with the time left; the next window starts afresh', async () => {
    const r = rule('window|203.0.113.0/24', 3);
    for (let i = 0; i < 3; i++) assert.deepEqual(await counters.reserve([r]), { allowed: true });
    now += 20_000;
    assert.deepEqual(await counters.reserve([r]), {
      allowed: false,
      key: r.key,
      retryAfterSeconds: 40,
      reason: 'limit',
    });
    assert.equal(await counters.count(r.key, r.windowMs), 3, 'a refused attempt is not counted');
    now += 40_000;
    assert.deepEqual(await counters.reserve([r]), { allowed: true });
    assert.equal(await counters.count(r.key, r.windowMs), 1);
  });

  test('a progressive delay: free attempts, then waits that double up to the cap', async () => {
    const delay = { free: 2, baseMs: 1_000, capMs: 4_000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 60].map((n) => delayBefore(n, delay)),
      [0, 0, 1_000, 2_000, 4_000, 4_000, 4_000],
    );
    const r = rule('delay|zhang.wei', 100, 3_600_000, delay);
    assert.equal((await counters.reserve([r])).allowed, true);
    assert.equal((await counters.reserve([r])).allowed, true);
    const early = await counters.reserve([r]);
    assert.deepEqual(early, { allowed: false, key: r.key, retryAfterSeconds: 1, reason: 'delay' });
    now += 1_000;
    assert.equal((await counters.reserve([r])).allowed, true);
    now += 1_999;
    const wait = await counters.reserve([r]);
    assert.equal(wait.allowed, false);
    assert.equal(!wait.allowed && wait.reason, 'delay');
    now += 1;
    assert.equal((await counters.reserve([r])).allowed, true);
    now += 3_999;
    assert.equal((await counters.reserve([r])).allowed, false, 'capped at 4 s, still waiting');
    now += 1;
    assert.equal((await counters.reserve([r])).allowed, true);
  });

  test('several rules: one refusal counts the attempt against none of them', async () => {
    const account = rule('multi|account', 2);
    const ip = rule('multi|ip', 10);
    assert.equal((await counters.reserve([account, ip])).allowed, true);
    assert.equal((await counters.reserve([account, ip])).allowed, true);
    const r = await counters.reserve([ip, account]);
    assert.equal(r.allowed, false);
    assert.equal(!r.allowed && r.key, account.key, 'the refusing rule is named');
    assert.equal(
      await counters.count(ip.key, ip.windowMs),
      2,
      'the IP rule did not count the refused attempt',
    );
    // the IP rule alone still has room
    assert.equal((await counters.reserve([ip])).allowed, true);
  });

  test('a concurrent burst is serialised: exactly `limit` of 30 simultaneous attempts get through', async () => {
    const r = rule('burst|acct', 5);
    const results = await Promise.all(Array.from({ length: 30 }, () => counters.reserve([r])));
    assert.equal(results.filter((x) => x.allowed).length, 5);
    assert.equal(await counters.count(r.key, r.windowMs), 5);
  });

  test('release gives an attempt back, clear forgets the counter; keys are stored only as SHA-256', async () => {
    const r = rule('release|li.na|198.51.100.0/24', 2);
    await counters.reserve([r]);
    await counters.reserve([r]);
    assert.equal((await counters.reserve([r])).allowed, false);
    await counters.release([r.key]);
    assert.equal(await counters.count(r.key, r.windowMs), 1);
    assert.equal((await counters.reserve([r])).allowed, true);
    await counters.release([r.key, r.key, r.key]);
    await counters.release([r.key]);
    assert.equal(await counters.count(r.key, r.windowMs), 0, 'never below zero');
    await counters.reserve([r]);
    await counters.clear([r.key]);
    assert.equal(await counters.count(r.key, r.windowMs), 0);
    await counters.reserve([r]);
    const keys = await h.storedKeys();
    assert.ok(keys.length > 0);
    for (const key of keys) {
      assert.match(key, /[0-9a-f]{64}$/);
      assert.ok(!key.includes('li.na'));
    }
  });

  test('no rules: always allowed, nothing stored', async () => {
    const before = (await h.storedKeys()).length;
    assert.deepEqual(await counters.reserve([]), { allowed: true });
    assert.equal((await h.storedKeys()).length, before);
  });
}

describeBackends('attempt counters in the database', (backend) => {
  contract(async (now) => {
    const { store, cleanup } = await testStore(backend);
    const h: Harness = {
      counters: new AttemptCounters(store.db, now),
      storedKeys: async () =>
        (await store.db.selectFrom('rate_counters').select('key').execute()).map((r) => r.key),
    };
    return { h, cleanup };
  });
});

describe('attempt counters in memory (the embedded default)', () => {
  contract(async (now) => {
    const counters = new MemoryCounters({ now });
    return { h: { counters, storedKeys: async () => counters.keys() }, cleanup: async () => undefined };
  });
  test('bounded: at maxKeys, expired counters go first, then those nearest their end', async () => {
    let now = 1_000;
    const counters = new MemoryCounters({ now: () => now, maxKeys: 10 });
    for (let i = 0; i < 10; i++)
      await counters.reserve([{ key: `short${i}`, limit: 5, windowMs: 1_000 + i }]);
    await counters.reserve([{ key: 'long', limit: 5, windowMs: 3_600_000 }]);
    assert.ok(counters.size <= 10);
    assert.equal(await counters.count('long', 3_600_000), 1);
    now += 2_000;
    for (let i = 0; i < 5; i++) await counters.reserve([{ key: `late${i}`, limit: 5, windowMs: 60_000 }]);
    assert.equal(await counters.count('long', 3_600_000), 1, 'the long window survives the sweep');
    assert.ok(counters.size <= 10);
  });
});

describe('attempt counters in Redis', { skip: redisSkipped }, () => {
  contract(async (now) => {
    const prefix = `gh:test:${randomBytes(6).toString('hex')}:`;
    const counters = new RedisCounters({ url: REDIS_URL, now, prefix });
    await counters.ready();
    const h: Harness = { counters, storedKeys: () => counters.client.keys(`${prefix}*`) };
    return {
      h,
      cleanup: async () => {
        const keys = await counters.client.keys(`${prefix}*`);
        if (keys.length) await counters.client.del(...keys);
        await counters.close();
      },
    };
  });
});

describe('attempt counters in Redis, when Redis is down', () => {
  test(
    'reserve and count fail closed at once with RATE_LIMIT_UNAVAILABLE; release and clear do not throw',
    { timeout: 10_000 },
    async () => {
      // nothing listens on port 1: the client never connects
      const errors: string[] = [];
      const counters = new RedisCounters({
        url: 'redis://127.0.0.1:1',
        commandTimeoutMs: 200,
        onError: (_e, what) => errors.push(what),
      });
      try {
        const rule = { key: 'down|zhang.wei', limit: 5, windowMs: 60_000 };
        await assert.rejects(counters.reserve([rule]), (e: unknown) => {
          const err = e as { code: string; status: number; headers?: Record<string, string> };
          assert.equal(err.code, 'RATE_LIMIT_UNAVAILABLE');
          assert.equal(err.status, 503);
          return true;
        });
        await assert.rejects(counters.count(rule.key, 60_000), /unreachable/);
        await counters.release([rule.key]);
        await counters.clear([rule.key]);
        assert.deepEqual(errors, ['release', 'clear']);
      } finally {
        await counters.close();
      }
    },
  );
});
