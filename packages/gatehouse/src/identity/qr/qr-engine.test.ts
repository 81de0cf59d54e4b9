// Issue 12 item 2 (the engine's side), over HTTP: the engine weighs QR sign-ins. A relayed approval
// (the phone far from the requester) makes the session's sign-in a relay (signin_qr_relay), and the
// pre-send check reports both the engine's reasons and the probation session's when both hold. The
// owner's confirmation (POST /v1/me/sessions/:id/confirm) reaches the engine as session.confirmed:
// the session is the owner's (session_confirmed), its relay evidence and probation gone. A QR approval
// on the requester's own network carries a quarter of signin_qr.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  harness,
  INTRUDER,
  ok,
  OWNER,
  PASSWORD,
  signUp,
  type Harness,
} from '../../recovery/attack-harness.ts';
import { until } from '../../testing/receiver.ts';

const subtle = webcrypto.subtle;
const LAPTOP = { ip: '198.51.100.23', ua: OWNER.ua };

async function requester() {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  const sign = async (id: string, challenge: string) =>
    Buffer.from(
      await subtle.sign(
        { name: 'ECDSA', hash: 'SHA-256' },
        pair.privateKey,
        Buffer.from(`gatehouse-qr-login|${id}|${challenge}`),
      ),
    ).toString('base64url');
  return { publicKey: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, sign };
}

type Decision = { eventType: string; action: string; signals: Array<{ name: string; value: unknown }> };
type Reason = { signal: string; en: string; zh: string };
type LastSession = {
  id: string;
  method: string;
  qr: { relay: string | null; near: boolean } | null;
  confirmed: boolean;
};

describe('the engine weighs QR sign-ins (HTTP)', () => {
  let h: Harness;
  before(async () => {
    h = await harness('sqlite');
  });
  after(async () => h?.cleanup());

  async function owner(handle: string) {
    const a = await signUp(h, handle);
    const phone = ok(
      await h.call('POST', '/v1/auth/signin', { body: { handle, password: PASSWORD }, from: OWNER }),
    );
    const friends = [1, 2].map((i) => `${handle}-friend-${i}`);
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
    await until(() => h.gh.engine.engine.isFriend(a.id, friends[1]!), 'the engine to learn the friends');
    return { ...a, phone: phone.json.token as string, friends };
  }

  /** A QR login minted `from`, approved on the owner's phone, collected: the new session's id. */
  async function qrLogin(o: { phone: string }, from: { ip: string; ua: string }): Promise<string> {
    const r = await requester();
    const m = ok(await h.call('POST', '/v1/auth/qr', { body: { publicKey: r.publicKey }, from }), 201)
      .json as {
      id: string;
      code: string;
      challenge: string;
    };
    ok(
      await h.call('POST', `/v1/me/qr/${m.code}/decision`, {
        token: o.phone,
        body: { decision: 'approve', inFrontOfMe: true },
        from: OWNER,
      }),
    );
    const got = ok(
      await h.call('POST', `/v1/auth/qr/${m.id}/session`, {
        body: { signature: await r.sign(m.id, m.challenge) },
        from,
      }),
    );
    return (got.json.session as { id: string }).id;
  }

  const risk = async (account: string) =>
    ok(await h.call('GET', `/v1/accounts/${account}/risk`, { key: h.op })).json as {
      decisions: Decision[];
      state: { lastSession: LastSession | null } | null;
    };
  const decisions = async (account: string): Promise<Decision[]> => (await risk(account)).decisions;
  /** The engine's view of the account's latest session, once `ready` holds for it. */
  const sessionView = (account: string, sid: string, ready: (s: LastSession) => boolean, what: string) =>
    until(async () => {
      const s = (await risk(account).catch(() => undefined))?.state?.lastSession;
      return s && s.id === sid && ready(s) ? s : undefined;
    }, what);

  let n = 0;
  const check = async (account: string, session: string, recipients: string[], text: string) =>
    ok(
      await h.call('POST', '/v1/check/message', {
        key: h.op,
        body: {
          id: `qre-${++n}`,
          account,
          session,
          recipients,
          text,
          client: { kind: 'web', name: 'chat', version: '1.0' },
        },
      }),
    ).json as {
      verdict: string;
      action: string;
      reasons: Reason[];
      signals?: Array<{ signal: string; value: unknown; logOdds: number }>;
    };

  test('a relayed approval is weighed; both reasons are reported; the owner’s confirmation reaches the engine', async () => {
    const o = await owner('qre.relay');
    const sid = await qrLogin(o, INTRUDER);

    // the engine saw signin.qr with the mismatch
    const s = await sessionView(
      o.id,
      sid,
      (x) => x.qr?.relay !== undefined && x.qr.relay !== null,
      'signin.qr',
    );
    assert.deepEqual(s.qr, { relay: 'qr_network_mismatch', near: false });

    // a plain message to a friend: the relay alone holds nothing (probation lets friends through)
    const friend = await check(o.id, sid, [o.friends[0]!], '在吗？');
    assert.equal(friend.verdict, 'allow', JSON.stringify(friend.reasons));
    assert.equal(friend.signals, undefined, 'a plain allow lists no signals');

    // the intruder spreads the lure to a stranger: the engine holds it AND the probation holds it — both say so
    const lure = await check(o.id, sid, ['a-stranger'], '扫码登录就送永久皮肤，快来');
    assert.notEqual(lure.verdict, 'allow');
    assert.notEqual(lure.action, 'allow', 'the engine itself holds it, not only the probation');
    const signals = lure.reasons.map((r) => r.signal);
    assert.equal(signals[0], 'probation_session', JSON.stringify(signals));
    assert.ok(signals.length > 1, `the engine's own reasons are kept: ${JSON.stringify(signals)}`);
    // the held answer explains itself: every signal behind it with its value and log-odds
    const relay = lure.signals?.find((x) => x.signal === 'signin_qr_relay');
    assert.equal(relay?.value, 'qr_network_mismatch', JSON.stringify(lure.signals));
    assert.equal(relay.logOdds, 1.5);
    assert.ok(
      lure.signals!.some((x) => x.signal === 'login_qr_shared'),
      JSON.stringify(lure.signals),
    );
    const checked = await until(
      async () => (await decisions(o.id)).find((x) => x.eventType === 'message.sent'),
      'the checked message’s decision',
    );
    assert.deepEqual(
      checked.signals.filter((x) => x.name === 'signin_qr_relay').map((x) => x.value),
      ['qr_network_mismatch'],
    );
    assert.ok(checked.signals.some((x) => x.name === 'login_qr_shared'));

    // the owner confirms from the phone: an identity event the engine consumes
    ok(await h.call('POST', `/v1/me/sessions/${sid}/confirm`, { token: o.phone }));
    const ev = await h.gh.store.db
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'session.confirmed')
      .where('account', '=', o.id)
      .executeTakeFirstOrThrow();
    assert.equal((JSON.parse(ev.payload) as { session: string }).session, sid);
    const c = await sessionView(o.id, sid, (x) => x.confirmed, 'session.confirmed');
    assert.deepEqual(c.qr, { relay: null, near: false });
    // trusted now: a message to someone new is neither on probation nor weighed as a relay
    const later = await check(o.id, sid, ['someone-new'], '周末一起打球吗');
    assert.equal(later.verdict, 'allow', JSON.stringify(later.reasons));
    assert.ok(!later.reasons.some((r) => r.signal === 'probation_session'));
    // the same lure after the confirmation: weighed as content, the session as the owner's
    const again = await check(o.id, sid, ['a-stranger'], '扫码登录就送永久皮肤，快来');
    assert.ok(!again.reasons.some((r) => r.signal === 'probation_session'));
    // what held before the confirmation (relay + probation) is the owner's own wording now
    assert.equal(again.verdict, 'allow', JSON.stringify(again.reasons));
    assert.ok(!again.reasons.some((r) => r.signal === 'signin_qr_relay'));
  });

  test('a QR approval on the requester’s own network: no relay, a quarter of signin_qr, messages flow', async () => {
    const o = await owner('qre.home');
    const sid = await qrLogin(o, LAPTOP);
    const s = await sessionView(o.id, sid, (x) => x.qr?.near === true, 'signin.qr');
    assert.deepEqual(s.qr, { relay: null, near: true });
    const m = await check(o.id, sid, ['a-new-contact'], '你好，我是同事，周一见');
    assert.equal(m.verdict, 'allow', JSON.stringify(m.reasons));
  });
});
