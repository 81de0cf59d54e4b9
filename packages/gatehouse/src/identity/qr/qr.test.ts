// Issue 12 items 1-2, over HTTP on SQLite and PostgreSQL: QR cross-device login with a key-bound code.
// The QQ attack: an intruder's page relays the platform's real QR login, the victim approves it on the
// phone from another network → the intruder gets a probation session that cannot change the password,
// recovery or second factors, approve other QR logins, authorise apps or message anyone but friends; the
// owner is told, and the engine gets signin.qr with the mismatch. The owner's own laptop on the phone's
// network gets a plain session. Every bad code gets its typed error.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
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
} from '../../recovery/attack-harness.ts';
import { postgresSkip, type Backend } from '../../testing/index.ts';
import { until } from '../../testing/receiver.ts';

const subtle = webcrypto.subtle;
const LAPTOP = {
  ip: '198.51.100.23', // the phone's (OWNER's) /24
  ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15',
};

/** A requester: a non-extractable P-256 key pair, as a browser makes with WebCrypto. */
async function requester() {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  assert.equal(pair.privateKey.extractable, false);
  const publicKey = await subtle.exportKey('jwk', pair.publicKey);
  const sign = async (id: string, challenge: string) =>
    Buffer.from(
      await subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        pair.privateKey,
        Buffer.from(`gatehouse-qr-login|${id}|${challenge}`),
      ),
    ).toString('base64url');
  return { publicKey: { kty: publicKey.kty, crv: publicKey.crv, x: publicKey.x, y: publicKey.y }, sign };
}

type Mint = { id: string; code: string; url: string; challenge: string; expiresAt: number; qrSvg: string };

async function mint(h: Harness, r: Awaited<ReturnType<typeof requester>>, from: { ip: string; ua: string }) {
  return ok(await h.call('POST', '/v1/auth/qr', { body: { publicKey: r.publicKey }, from }), 201)
    .json as unknown as Mint;
}

function suite(backend: Backend) {
  describe(`QR login on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend, { qrMintPerNetwork: 8, qrMintBurst: 4 });
    });
    after(async () => h?.cleanup());

    /** An owner signed in on the phone, with three friends the engine knows of. */
    async function owner(handle: string) {
      const a = await signUp(h, handle);
      const phone = ok(
        await h.call('POST', '/v1/auth/signin', { body: { handle, password: PASSWORD }, from: OWNER }),
      );
      const friends = [1, 2, 3].map((i) => `${handle}-friend-${i}`);
      ok(
        await h.call('POST', '/v1/events', {
          key: h.op,
          body: {
            events: friends.map((f, i) => ({
              id: `${handle}-fa-${i}`,
              type: 'friend.added',
              time: Date.now() - 3_600_000,
              account: a.id,
              friend: f,
            })),
          },
        }),
      );
      await until(() => h.gh.engine.engine.isFriend(a.id, friends[2]!), 'the engine to learn the friends');
      return { ...a, phone: phone.json.token as string, friends };
    }

    const check = (
      account: string,
      session: string,
      o: { recipients?: string[]; group?: string },
      n: string,
    ) =>
      h.call('POST', '/v1/check/message', {
        key: h.op,
        body: {
          id: `chk-${n}-${Math.random().toString(36).slice(2)}`,
          time: Date.now(),
          account,
          session,
          ...(o.recipients ? { recipients: o.recipients } : {}),
          ...(o.group ? { group: { id: o.group } } : {}),
          text: '在吗？',
          client: { kind: 'web', name: 'chat', version: '1.0' },
        },
      });

    test('the relay: approved from another network → a probation session, contained', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await owner(`qr.relay.${backend}`);
      const evil = await requester();
      const m = await mint(h, evil, INTRUDER);
      assert.match(m.code, /^ghq_/);
      assert.ok(m.url.endsWith(`/qr/${m.code}`));
      assert.match(m.qrSvg, /^<svg/);
      assert.ok(m.expiresAt - Date.now() <= 60_000);

      // the victim's phone reads the context: another network, Decline by default, zh and en
      const c = ok(await h.call('GET', `/v1/me/qr/${m.code}`, { token: o.phone, from: OWNER })).json as {
        distance: { sameNetwork: boolean; zh: string };
        defaultDecision: string;
        outcome: string;
        question: { en: string; zh: string };
        grants: { zh: string };
        requester: { device: { label: string }; network: string };
        warnings: Array<{ signal: string }>;
      };
      assert.equal(c.distance.sameNetwork, false);
      assert.equal(c.defaultDecision, 'decline');
      assert.equal(c.outcome, 'probation');
      assert.match(c.question.en, /in front of you/);
      assert.ok(c.question.zh.length > 0 && c.grants.zh.length > 0);
      assert.equal(c.requester.network, '203.0.113.0/24');
      assert.ok(c.warnings.some((w) => w.signal === 'qr_network_mismatch'));

      // the victim is fooled and approves
      const d = ok(
        await h.call('POST', `/v1/me/qr/${m.code}/decision`, {
          token: o.phone,
          body: { decision: 'approve', inFrontOfMe: true },
          from: OWNER,
        }),
      );
      // the probation explains itself: each relay signal with its value, in both languages
      const dj = d.json as { state: string; outcome: string; signals: Array<Record<string, unknown>> };
      assert.deepEqual([dj.state, dj.outcome], ['approved', 'probation']);
      assert.deepEqual(
        dj.signals.map((x) => [x.name, x.value]),
        [['qr_network_mismatch', 1]],
      );
      assert.ok(dj.signals.every((x) => typeof x.en === 'string' && typeof x.zh === 'string'));
      const got = ok(
        await h.call('POST', `/v1/auth/qr/${m.id}/session`, {
          body: { signature: await evil.sign(m.id, m.challenge) },
          from: INTRUDER,
        }),
      );
      const stolen = got.json.token as string;
      const session = got.json.session as { id: string; method: string; probationUntil: number | null };
      assert.equal(session.method, 'qr');
      assert.ok(session.probationUntil! > Date.now() + 23 * 3_600_000);
      // one approval, one session: the code is dead
      refused(
        await h.call('POST', `/v1/auth/qr/${m.id}/session`, {
          body: { signature: await evil.sign(m.id, m.challenge) },
          from: INTRUDER,
        }),
        409,
        'QR_CODE_USED',
      );
      refused(await h.call('GET', `/v1/me/qr/${m.code}`, { token: o.phone }), 409, 'QR_CODE_USED');

      // what the probation session cannot do
      const intr = { token: stolen, from: INTRUDER };
      refused(
        await h.call('POST', '/v1/me/password', {
          ...intr,
          body: { currentPassword: PASSWORD, newPassword: 'a brand new secret phrase 77' },
        }),
        403,
        'SESSION_ON_PROBATION',
      );
      refused(await h.call('POST', '/v1/me/recovery/codes', intr), 403, 'SESSION_ON_PROBATION');
      refused(await h.call('POST', '/v1/me/totp', intr), 403, 'SESSION_ON_PROBATION');
      const other = await mint(h, await requester(), { ip: '192.0.2.90', ua: INTRUDER.ua });
      refused(
        await h.call('POST', `/v1/me/qr/${other.code}/decision`, {
          ...intr,
          body: { decision: 'approve', inFrontOfMe: true },
        }),
        403,
        'SESSION_ON_PROBATION',
      );
      // nor can it vouch for itself
      refused(
        await h.call('POST', `/v1/me/sessions/${session.id}/confirm`, intr),
        403,
        'SESSION_ON_PROBATION',
      );

      // the pre-send check: strangers and groups are held, friends are not
      const stranger = ok(await check(o.id, session.id, { recipients: ['someone-else'] }, 'stranger'));
      assert.equal(stranger.json.verdict, 'hold');
      const reasons = stranger.json.reasons as Array<{ signal: string; zh: string }>;
      assert.equal(reasons[0]!.signal, 'probation_session');
      assert.ok(reasons[0]!.zh.length > 0);
      const mixed = ok(await check(o.id, session.id, { recipients: [o.friends[0]!, 'x-9'] }, 'mixed'));
      assert.equal(mixed.json.verdict, 'hold');
      const group = ok(await check(o.id, session.id, { group: 'big-group' }, 'group'));
      assert.equal(group.json.verdict, 'hold');
      const friend = ok(await check(o.id, session.id, { recipients: [o.friends[1]!] }, 'friend'));
      assert.ok(
        !(friend.json.reasons as Array<{ signal: string }>).some((r) => r.signal === 'probation_session'),
      );
      // the owner's own phone session is not restricted
      const phoneSession = (
        ok(await h.call('GET', '/v1/me/sessions', { token: o.phone })).json.sessions as Array<{
          id: string;
          current: boolean;
        }>
      ).find((s) => s.current)!.id;
      const own = ok(await check(o.id, phoneSession, { recipients: ['someone-else'] }, 'own'));
      assert.ok(
        !(own.json.reasons as Array<{ signal: string }>).some((r) => r.signal === 'probation_session'),
      );

      // the owner is told, the engine gets signin.qr, the intruder's network taught the account nothing
      const db = h.gh.store.db;
      const notice = await db
        .selectFrom('notify_notices')
        .selectAll()
        .where('account_id', '=', o.id)
        .where('kind', '=', 'signin.cross_device_approved')
        .where('session', '=', session.id)
        .executeTakeFirst();
      assert.ok(notice, 'a "sign-in approved from your device, was this you?" notice for the owner');
      assert.equal((JSON.parse(notice.params) as { probation: boolean }).probation, true);
      const ev = await db
        .selectFrom('outbox')
        .selectAll()
        .where('type', '=', 'signin.qr')
        .where('account', '=', o.id)
        .executeTakeFirstOrThrow();
      const payload = JSON.parse(ev.payload) as Record<string, unknown>;
      assert.equal(payload.mismatch, true);
      assert.equal(payload.sameNetwork, false);
      assert.deepEqual(
        (payload.signals as Array<{ name: string }>).map((s) => s.name),
        ['qr_network_mismatch'],
      );
      assert.ok(!JSON.stringify(payload).includes(m.code), 'nothing that could replay the login');
      const known = await db
        .selectFrom('known_contexts')
        .select('key')
        .where('account_id', '=', o.id)
        .where('kind', '=', 'network')
        .execute();
      assert.deepEqual(
        known.map((k) => k.key),
        ['198.51.100.0/24'],
      );

      // the owner, from the older phone session, can confirm it was them after all
      const confirmed = ok(await h.call('POST', `/v1/me/sessions/${session.id}/confirm`, { token: o.phone }));
      assert.equal(confirmed.json.probationUntil, null);
      const after = ok(await check(o.id, session.id, { recipients: ['someone-new'] }, 'after'));
      assert.ok(
        !(after.json.reasons as Array<{ signal: string }>).some((r) => r.signal === 'probation_session'),
      );
    });

    test('the owner’s laptop on the phone’s network: a plain session, no extra step', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await owner(`qr.home.${backend}`);
      const laptop = await requester();
      const m = await mint(h, laptop, LAPTOP);
      refused(
        await h.call('POST', `/v1/auth/qr/${m.id}/session`, {
          body: { signature: await laptop.sign(m.id, m.challenge) },
          from: LAPTOP,
        }),
        409,
        'QR_CODE_PENDING',
      );
      assert.equal(ok(await h.call('GET', `/v1/auth/qr/${m.id}`, { from: LAPTOP })).json.state, 'pending');
      const c = ok(await h.call('GET', `/v1/me/qr/${m.code}`, { token: o.phone })).json;
      assert.equal((c.distance as { sameNetwork: boolean }).sameNetwork, true);
      assert.equal(c.outcome, 'session');
      assert.deepEqual(c.warnings, []);
      ok(
        await h.call('POST', `/v1/me/qr/${m.code}/decision`, {
          token: o.phone,
          body: { decision: 'approve', inFrontOfMe: true },
        }),
      );
      assert.equal(ok(await h.call('GET', `/v1/auth/qr/${m.id}`, { from: LAPTOP })).json.state, 'approved');
      const r = ok(
        await h.call('POST', `/v1/auth/qr/${m.id}/session`, {
          body: { signature: await laptop.sign(m.id, m.challenge), mode: 'cookie' },
          from: LAPTOP,
        }),
      );
      assert.equal((r.json.session as { probationUntil: number | null }).probationUntil, null);
      assert.match(r.headers.get('set-cookie') ?? '', /gh_session=ghs_/);
      const sid = (r.json.session as { id: string }).id;
      // the owner still hears of it (every QR approval does), without probation
      const told = await h.gh.store.db
        .selectFrom('notify_notices')
        .selectAll()
        .where('kind', '=', 'signin.cross_device_approved')
        .where('session', '=', sid)
        .executeTakeFirstOrThrow();
      assert.equal((JSON.parse(told.params) as { probation: boolean }).probation, false);
      const msg = ok(await check(o.id, sid, { recipients: ['a-new-contact'] }, 'laptop'));
      assert.ok(
        !(msg.json.reasons as Array<{ signal: string }>).some((x) => x.signal === 'probation_session'),
      );
      const ev = await h.gh.store.db
        .selectFrom('outbox')
        .select('payload')
        .where('type', '=', 'signin.qr')
        .where('account', '=', o.id)
        .executeTakeFirstOrThrow();
      assert.equal((JSON.parse(ev.payload) as { mismatch: boolean }).mismatch, false);
    });

    test('typed errors: foreign, expired, rotated, declined, used, another key, no "in front of me"', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await owner(`qr.errors.${backend}`);
      const from = { ip: '100.70.1.40', ua: LAPTOP.ua };
      const r = await requester();
      // foreign codes: not this platform's format, or never issued
      refused(await h.call('GET', '/v1/me/qr/weixin-login-123', { token: o.phone }), 404, 'QR_CODE_UNKNOWN');
      refused(
        await h.call('GET', `/v1/me/qr/ghq_${'x'.repeat(43)}`, { token: o.phone }),
        404,
        'QR_CODE_UNKNOWN',
      );
      refused(
        await h.call('POST', `/v1/auth/qr/qrl_${'y'.repeat(16)}/session`, {
          body: { signature: 'AA' },
          from,
        }),
        404,
        'QR_CODE_UNKNOWN',
      );
      // the scanned URL works as well as the code; another site's URL around a real code does not
      const scanned = await mint(h, r, from);
      const viaUrl = ok(
        await h.call('GET', `/v1/me/qr/${encodeURIComponent(scanned.url)}`, { token: o.phone }),
      );
      assert.equal(viaUrl.json.id, scanned.id);
      refused(
        await h.call(
          'GET',
          `/v1/me/qr/${encodeURIComponent(`https://qq-login.example/qr/${scanned.code}`)}`,
          {
            token: o.phone,
          },
        ),
        404,
        'QR_CODE_UNKNOWN',
      );
      // rotation: asking again with the same key kills the first code
      const first = await mint(h, r, from);
      const second = await mint(h, r, from);
      refused(await h.call('GET', `/v1/me/qr/${first.code}`, { token: o.phone }), 410, 'QR_CODE_EXPIRED');
      // expired: the code's minute is over
      await h.gh.store.db
        .updateTable('qr_logins')
        .set({ expires_at: Date.now() - 1 })
        .where('id', '=', second.id)
        .execute();
      refused(await h.call('GET', `/v1/me/qr/${second.code}`, { token: o.phone }), 410, 'QR_CODE_EXPIRED');
      refused(
        await h.call('POST', `/v1/me/qr/${second.code}/decision`, {
          token: o.phone,
          body: { decision: 'approve', inFrontOfMe: true },
        }),
        410,
        'QR_CODE_EXPIRED',
      );
      refused(
        await h.call('POST', `/v1/auth/qr/${second.id}/session`, {
          body: { signature: await r.sign(second.id, second.challenge) },
          from,
        }),
        410,
        'QR_CODE_EXPIRED',
      );
      // approving needs the "in front of me" answer; without it nothing is decided
      const third = await mint(h, r, from);
      refused(
        await h.call('POST', `/v1/me/qr/${third.code}/decision`, {
          token: o.phone,
          body: { decision: 'approve' },
        }),
        400,
        'VALIDATION_FAILED',
      );
      // declined: the requester learns it, and the code is dead
      ok(
        await h.call('POST', `/v1/me/qr/${third.code}/decision`, {
          token: o.phone,
          body: { decision: 'decline' },
        }),
      );
      refused(
        await h.call('POST', `/v1/me/qr/${third.code}/decision`, {
          token: o.phone,
          body: { decision: 'approve', inFrontOfMe: true },
        }),
        409,
        'QR_CODE_USED',
      );
      refused(
        await h.call('POST', `/v1/auth/qr/${third.id}/session`, {
          body: { signature: await r.sign(third.id, third.challenge) },
          from,
        }),
        403,
        'QR_CODE_DECLINED',
      );
      // another key (someone who photographed the QR) cannot collect an approved login
      const fourth = await mint(h, r, from);
      ok(
        await h.call('POST', `/v1/me/qr/${fourth.code}/decision`, {
          token: o.phone,
          body: { decision: 'approve', inFrontOfMe: true },
        }),
      );
      const thief = await requester();
      refused(
        await h.call('POST', `/v1/auth/qr/${fourth.id}/session`, {
          body: { signature: await thief.sign(fourth.id, fourth.challenge) },
          from: INTRUDER,
        }),
        403,
        'QR_CODE_MISMATCH',
      );
      ok(
        await h.call('POST', `/v1/auth/qr/${fourth.id}/session`, {
          body: { signature: await r.sign(fourth.id, fourth.challenge) },
          from,
        }),
      );
      // not a P-256 key
      refused(
        await h.call('POST', '/v1/auth/qr', {
          body: { publicKey: { kty: 'EC', crv: 'P-384', x: 'AA', y: 'BB' } },
          from,
        }),
        400,
        'VALIDATION_FAILED',
      );
    });

    test('a web page that is not the platform’s cannot start a QR login (Origin)', async (tt) => {
      if (skip) return tt.skip(skip);
      const r = await requester();
      const post = (origin: string) =>
        fetch(`${h.url}/v1/auth/qr`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            origin,
            'x-forwarded-for': '198.51.100.60',
            'user-agent': LAPTOP.ua,
          },
          body: JSON.stringify({ publicKey: r.publicKey }),
        });
      const evil = await post('https://free-game-skins.example');
      assert.equal(evil.status, 403);
      const body = (await evil.json()) as { code: string; signal: string };
      assert.equal(body.code, 'QR_ORIGIN_FOREIGN');
      assert.equal(body.signal, 'qr_origin_foreign');
      assert.equal((await post(new URL(h.url).origin)).status, 201);
    });

    test('one network minting many codes: qr_mint_burst puts even a same-network approval on probation, then 429', async (tt) => {
      if (skip) return tt.skip(skip);
      const o = await owner(`qr.burst.${backend}`);
      const farm = { ip: '100.66.5.77', ua: INTRUDER.ua };
      const phoneThere = { ip: '100.66.5.8', ua: OWNER.ua }; // even on the phone's own network
      const minted: Array<{ m: Mint; r: Awaited<ReturnType<typeof requester>> }> = [];
      for (let i = 0; i < 5; i++) {
        const r = await requester();
        minted.push({ m: await mint(h, r, farm), r });
      }
      const last = minted.at(-1)!;
      const c = ok(
        await h.call('GET', `/v1/me/qr/${last.m.code}`, { token: o.phone, from: phoneThere }),
      ).json;
      assert.equal((c.distance as { sameNetwork: boolean }).sameNetwork, true);
      assert.equal(c.outcome, 'probation');
      assert.ok(
        (c.warnings as Array<{ signal: string; value: number }>).some(
          (w) => w.signal === 'qr_mint_burst' && w.value === 5,
        ),
      );
      ok(
        await h.call('POST', `/v1/me/qr/${last.m.code}/decision`, {
          token: o.phone,
          body: { decision: 'approve', inFrontOfMe: true },
          from: phoneThere,
        }),
      );
      const s = ok(
        await h.call('POST', `/v1/auth/qr/${last.m.id}/session`, {
          body: { signature: await last.r.sign(last.m.id, last.m.challenge) },
          from: farm,
        }),
      );
      assert.ok((s.json.session as { probationUntil: number | null }).probationUntil !== null);
      // the per-network limit (8 per 10 minutes)
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (
            await h.call('POST', '/v1/auth/qr', {
              body: { publicKey: (await requester()).publicKey },
              from: farm,
            })
          ).status,
        );
      assert.deepEqual(statuses, [201, 201, 201, 429]);
    });
  });
}

suite('sqlite');
suite('postgres');
