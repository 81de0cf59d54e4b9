// Issue 10, attack 5, over HTTP on SQLite and PostgreSQL: a concurrent burst of wrong passwords is
// counted before any password is checked (at most the limit is evaluated), guesses from other networks
// never lock the owner out where they sign in, and X-Forwarded-For is believed only from the configured
// proxies or from a platform back end with an accounts:forward key.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  harness,
  INTRUDER,
  ok,
  OWNER,
  PASSWORD,
  refused,
  signUp,
  type Harness,
} from '../recovery/attack-harness.ts';
import { postgresSkip, type Backend } from '../testing/index.ts';

async function reasons(h: Harness, accountId: string): Promise<Record<string, number>> {
  const rows = await h.gh.store.db
    .selectFrom('signins')
    .select(['reason'])
    .where('account_id', '=', accountId)
    .execute();
  const out: Record<string, number> = {};
  for (const r of rows) out[r.reason] = (out[r.reason] ?? 0) + 1;
  return out;
}

function suite(backend: Backend) {
  describe(`sign-in limits on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend, { loginMaxFailuresPerAccount: 5, loginMaxUnknownFailuresPerAccount: 8 });
    });
    after(async () => h?.cleanup());

    test('attack 5: 40 concurrent wrong passwords are evaluated at most the limit; the owner still signs in where they always do', async (tt) => {
      if (skip) return tt.skip(skip);
      const owner = await signUp(h, `burst.${backend}`);
      const first = ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: owner.handle, password: PASSWORD },
          from: OWNER,
        }),
      );
      const device = first.json.deviceToken as string;
      assert.match(device, /^ghd_/);
      // count every Argon2id verification Gatehouse runs (test-only wrapper around the real one)
      const hasher = h.gh.identity.hasher;
      const verify = hasher.verify.bind(hasher);
      let evaluated = 0;
      hasher.verify = async (hash, pw) => {
        evaluated++;
        return verify(hash, pw);
      };
      try {
        const burst = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            h.call('POST', '/v1/auth/signin', {
              body: { handle: owner.handle, password: `guess number ${i} wrong` },
              from: INTRUDER,
            }),
          ),
        );
        const statuses = burst.map((r) => r.status);
        assert.equal(statuses.filter((s) => s === 401).length, 5, statuses.join(','));
        assert.equal(statuses.filter((s) => s === 429).length, 35);
        assert.ok(
          burst.filter((r) => r.status === 429).every((r) => Number(r.headers.get('retry-after')) >= 1),
        );
        assert.equal(evaluated, 5, 'no more passwords checked than the limit');
        const counted = await reasons(h, owner.id);
        assert.equal(counted.wrong_password, 5);
        assert.equal(counted.rate_limited, 35);

        // The owner, on their own network, and with their device on a new network, signs in at once.
        ok(
          await h.call('POST', '/v1/auth/signin', {
            body: { handle: owner.handle, password: PASSWORD },
            from: OWNER,
          }),
        );
        const travel = { ip: '100.100.7.9', ua: OWNER.ua };
        ok(
          await h.call('POST', '/v1/auth/signin', {
            body: { handle: owner.handle, password: PASSWORD, deviceToken: device },
            from: travel,
          }),
        );
      } finally {
        hasher.verify = verify;
      }
    });

    test('guesses spread over many networks exhaust only the unknown-network allowance, never the owner’s', async (tt) => {
      if (skip) return tt.skip(skip);
      const owner = await signUp(h, `spread.${backend}`);
      const first = ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: owner.handle, password: PASSWORD },
          from: OWNER,
        }),
      );
      const device = first.json.deviceToken as string;
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push(
          (
            await h.call('POST', '/v1/auth/signin', {
              body: { handle: owner.handle, password: `spread guess ${i}` },
              from: { ip: `203.0.${10 + i}.5`, ua: INTRUDER.ua },
            })
          ).status,
        );
      assert.deepEqual(statuses.slice(0, 8), Array(8).fill(401));
      assert.deepEqual(statuses.slice(8), Array(4).fill(429));
      // the owner's known network and known device are untouched
      ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: owner.handle, password: PASSWORD },
          from: OWNER,
        }),
      );
      ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: owner.handle, password: PASSWORD, deviceToken: device },
          from: { ip: '203.0.99.1', ua: OWNER.ua },
        }),
      );
      // (a new network without the device's token shares the strangers' allowance: that is the price)
      refused(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: owner.handle, password: PASSWORD },
          from: { ip: '203.0.98.1', ua: OWNER.ua },
        }),
        429,
        'RATE_LIMITED',
      );
    });
  });
}

suite('sqlite');
suite('postgres');

describe('forwarded addresses', () => {
  let h: Harness;
  before(async () => {
    // Gatehouse is reached directly (no proxy of ours in front): loopback is not a trusted proxy here
    h = await harness('sqlite', { trustedProxies: '10.1.0.0/16', loginMaxFailuresPerIp: 10 });
  });
  after(async () => h?.cleanup());

  test('rotating X-Forwarded-For dodges no per-network limit, and the history shows the real peer', async () => {
    const victim = await signUp(h, 'rotation.victim');
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++)
      statuses.push(
        (
          await h.call('POST', '/v1/auth/signin', {
            body: { handle: `rotation.target${i % 3}`, password: `x guess ${i}` },
            from: { ip: `198.18.${i}.${i + 1}`, ua: INTRUDER.ua },
          })
        ).status,
      );
    assert.equal(statuses.filter((s) => s === 401).length, 10, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 429).length, 4);
    await h.call('POST', '/v1/auth/signin', {
      body: { handle: victim.handle, password: 'not it' },
      from: { ip: '198.18.200.1', ua: INTRUDER.ua },
    });
    const ips = (await h.gh.identity.signins(victim.id, 10)).map((s) => s.ip);
    assert.ok(ips.length > 0 && ips.every((ip) => ip === '127.0.0.1' || ip === '::1'), ips.join(','));
  });

  test('a platform back end with an accounts:forward key forwards its user’s address; a key without it is refused', async () => {
    const fwd = (await h.gh.keys.create('platform', ['accounts:forward'])).key;
    const other = (await h.gh.keys.create('reader', ['accounts:read'])).key;
    const headers = (key: string) => ({
      'content-type': 'application/json',
      'x-forwarded-for': '203.0.113.77',
      'x-api-key': key,
    });
    const body = JSON.stringify({ handle: 'forwarded.user', password: PASSWORD });
    const created = await fetch(`${h.url}/v1/accounts`, { method: 'POST', headers: headers(fwd), body });
    assert.equal(created.status, 201, await created.text());
    const id = (
      (await (
        await fetch(`${h.url}/v1/auth/signin`, { method: 'POST', headers: headers(fwd), body })
      ).json()) as {
        account: { id: string };
      }
    ).account.id;
    assert.equal((await h.gh.identity.signins(id, 1))[0]!.ip, '203.0.113.77');
    const wrong = await fetch(`${h.url}/v1/auth/signin`, { method: 'POST', headers: headers(other), body });
    assert.equal(wrong.status, 403);
    assert.equal(((await wrong.json()) as { code: string }).code, 'API_KEY_SCOPE');
  });
});
