// Issue 16, the scale-out shape's correctness across processes (a dispatcher, two engine workers and an
// api as real processes on PostgreSQL and NATS JetStream):
// - a throttle the dispatcher's response part applies holds the account's pre-send checks, which the
//   engine worker owning its partition answers (before: the worker's gate never heard of it);
// - a probation session's messages are held outside its close circle and let through to its friends, as
//   the partition's engine knows them (before: the worker asked its own, empty, engine: friends held too);
// - fingerprint sightings survive a worker's death: senders of a phishing text counted in one partition
//   before its owner was SIGKILLed still count after the takeover, so the campaign forms (before: the
//   restored partition had lost them and four more senders made no campaign).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { persistDecisions, type Decision } from '../engine/index.ts';
import { engineStore } from '../engine/store.ts';
import { KeyService } from '../keys/index.ts';
import { createLogger } from '../log/index.ts';
import { migrate, openStore, type Store } from '../store/index.ts';
import { pgSchemaUrl, postgresSkip, REQUIRE_SERVICES, tempDir } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { destroyCluster, openLink, partitionOf, type ClusterLink } from './index.ts';
import { isWorkerOf, natsAvailable, owners, startRole, stopRole, type RoleProcess } from './procs.ts';

const NATS = process.env.GATEHOUSE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const pgSkip = await postgresSkip();
const natsUp = await natsAvailable(NATS);
if (!natsUp && REQUIRE_SERVICES)
  throw new Error(`NATS is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${NATS} is not reachable`);
const skip = pgSkip ?? (natsUp ? undefined : `NATS not reachable at ${NATS}`);
const PARTITIONS = 2;
const MIN = 60_000;
const HOUR = 60 * MIN;
const client = { kind: 'mobile', name: 'QQ', version: '9.0' };
const START_MS = 180_000;

/** A sign-in as identity writes it to the event log (the dispatcher appends them from the outbox). */
function loginRow(acc: string, session: string, t: number, method: string, device: string, ip: string) {
  const ev = {
    id: `identity:${session}`,
    type: 'identity.login.succeeded',
    time: t,
    account: acc,
    session,
    method,
    device: { id: device },
    ip,
  };
  return {
    id: ev.id,
    type: ev.type,
    account: acc,
    time: t,
    received_at: Date.now(),
    origin: 'identity',
    payload: JSON.stringify(ev),
  };
}

describe('scale-out: the check’s gates and campaigns across processes', { skip }, () => {
  const procs: RoleProcess[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  let store: Store;
  let link: ClusterLink;
  let name: string;
  let key: string;
  let api: RoleProcess;
  let engines: RoleProcess[];
  let dispatcher: RoleProcess;
  after(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    for (const c of cleanups.reverse()) await c();
  });

  before(async () => {
    name = `ghtest_${randomBytes(4).toString('hex')}`;
    cleanups.push(() => destroyCluster(NATS, name));
    // migrated by replaying the run's recorded migration (testing/pg-schema.ts), not by the migrator
    const schema = await pgSchemaUrl('gh_scale_', { migrated: true });
    cleanups.push(schema.cleanup);
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    store = openStore({ kind: 'postgres', url: schema.url });
    cleanups.push(() => store.close());
    await migrate(store);
    key = (await new KeyService(store.db).create('gates test', ['admin'])).key;
    const env = {
      GATEHOUSE_DATABASE_URL: schema.url,
      GATEHOUSE_DATA_DIR: tmp.dir,
      GATEHOUSE_NATS_URL: NATS,
      GATEHOUSE_CLUSTER_NAME: name,
      GATEHOUSE_CLUSTER_PARTITIONS: String(PARTITIONS),
      GATEHOUSE_CLUSTER_LEASE_SECONDS: '3',
      // no periodic snapshot during the test: what a partition learnt since its hand-over lives only in
      // its worker's memory (and on the stream), as in the seconds between two snapshots
      GATEHOUSE_CLUSTER_SNAPSHOT_SECONDS: '3600',
      GATEHOUSE_CLUSTER_CHECK_TIMEOUT_MS: '8000',
      GATEHOUSE_SECRET_KEY: randomBytes(32).toString('base64'),
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_OUTBOX_POLL_MS: '50',
    };
    // a process is killed by after() from the moment it listens: when another of its batch fails to
    // start, the ones already up must not outlive the file. The four start together (on two cores a
    // dispatcher started alone first left one idle for its start-up)
    const tracked = (p: Promise<RoleProcess>) => p.then((r) => (procs.push(r), r));
    const started = await Promise.all([
      tracked(startRole('dispatcher', env, START_MS)),
      tracked(startRole('engine', env, START_MS)),
      tracked(startRole('engine', env, START_MS)),
      tracked(startRole('api', env, START_MS)),
    ]);
    dispatcher = started[0]!;
    engines = started.slice(1, 3);
    api = started[3]!;
    link = await openLink({
      natsUrl: NATS,
      clusterName: name,
      partitions: PARTITIONS,
      leaseSeconds: 3,
      log: createLogger('silent'),
    });
    cleanups.push(() => link.close());
    await until(async () => {
      const o = await owners(link);
      return o.size === PARTITIONS && new Set(o.values()).size === 2;
    }, 'each worker owns a partition');
  });

  const post = async (path: string, body: unknown, auth = `Bearer ${key}`) => {
    const r = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { ...(auth ? { authorization: auth } : {}), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  let n = 0;
  // a check answered (on a loaded machine a partition may change hands meanwhile: the api then answers
  // ENGINE_UNAVAILABLE and the platform asks again)
  const check = (account: string, recipients: string[], extra: Record<string, unknown> = {}) =>
    until(async () => {
      const r = await post('/v1/check/message', {
        id: `chk-${++n}`,
        account,
        recipients,
        client,
        text: '晚上一起吃饭吗',
        ...extra,
      });
      if (r.status === 503 && r.body.code === 'ENGINE_UNAVAILABLE') return undefined;
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { verdict: string; reasons: Array<{ signal: string; zh: string }> };
    }, 'a check answered');
  const newAccount = async (handle: string) => {
    const r = await post('/v1/accounts', { handle, password: 'a long enough passphrase 7' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };

  test('a throttle the dispatcher applies holds the checks the engine worker answers', async () => {
    const account = await newAccount('throttled.one');
    assert.equal((await check(account, ['acc_friend1'])).verdict, 'allow', 'not throttled yet');
    // an engine worker's block decision, written as workers write them (engine_decisions + outbox):
    // the dispatcher's response part challenges the owner and throttles the account (2 a minute)
    const d: Decision = {
      id: 'dec:ev-thr-1',
      eventId: 'ev-thr-1',
      eventType: 'message.sent',
      account,
      session: 'suspect-session',
      time: Date.now(),
      action: 'block',
      logit: 4,
      risk: 0.98,
      reasons: [],
      signals: [],
    };
    await persistDecisions(store.db, [d], [], Date.now());
    await until(
      async () =>
        (await store.db.selectFrom('throttles').select('account').where('account', '=', account).execute())
          .length === 1,
      'the dispatcher throttled the account',
    );
    // the account's checks, answered by the worker owning its partition, are held past the rate
    const held = await until(async () => {
      const r = await check(account, ['acc_friend1']);
      return r.verdict === 'hold' ? r : undefined;
    }, 'a check of the throttled account held');
    assert.equal(held.reasons[0]!.signal, 'throttled', JSON.stringify(held.reasons));
    assert.match(held.reasons[0]!.zh, /每分钟最多 2 条/);
    assert.equal((await check(account, ['acc_friend1'])).verdict, 'hold', 'still over the rate');
    // another account in the same partition is not throttled
    let other = 0;
    while (partitionOf(`acc_other${other}`, PARTITIONS) !== partitionOf(account, PARTITIONS)) other++;
    assert.equal((await check(`acc_other${other}`, ['acc_friend1'])).verdict, 'allow');
  });

  test('a probation session is held outside its close circle and let through to its friends', async () => {
    const handle = 'probation.one';
    const account = await newAccount(handle);
    const friend = `${account}-friend`;
    const t = Date.now() - MIN;
    const r = await post('/v1/events', {
      events: [
        { id: `pf-${account}`, type: 'friend.added', time: t, account, friend },
        ...Array.from({ length: 5 }, (_, k) => ({
          id: `pm-${account}-${k}`,
          type: 'message.sent',
          time: t + k,
          account,
          recipients: [friend],
          client,
          text: '在吗',
        })),
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const signin = await post('/v1/auth/signin', { handle, password: 'a long enough passphrase 7' });
    assert.equal(signin.status, 200, JSON.stringify(signin.body));
    const session = await store.db
      .selectFrom('sessions')
      .select('id')
      .where('account_id', '=', account)
      .executeTakeFirstOrThrow();
    // the session is put on probation (as a QR approval on a mismatched network does)
    await store.db
      .updateTable('sessions')
      .set({ probation_until: Date.now() + 24 * HOUR, probation_reason: 'qr_network_mismatch' })
      .where('id', '=', session.id)
      .execute();
    const strangers = await until(async () => {
      const c = await check(account, ['acc_stranger9'], { session: session.id });
      return c.verdict === 'hold' ? c : undefined;
    }, 'a probation session’s message to a stranger held');
    assert.equal(strangers.reasons[0]!.signal, 'probation_session');
    // its friend (known to the partition's engine, not to the worker process's own) is let through
    const friendly = await until(async () => {
      const c = await check(account, [friend], { session: session.id });
      return c.verdict === 'allow' ? c : undefined;
    }, 'a probation session’s message to a friend allowed');
    assert.ok(!friendly.reasons.some((x) => x.signal === 'probation_session'));
    // the same session to a stranger is still held
    assert.equal((await check(account, ['acc_stranger8'], { session: session.id })).verdict, 'hold');
  });

  test('the api asks the partition’s engine before the session: a stranger in a wave of new-device sign-ins gets a probation session, the owner a full one', async () => {
    const PASSWORD = 'a long enough passphrase 7';
    // an account Gatehouse gave out, in partition 0
    let handle = '';
    let account = '';
    for (let i = 0; !account; i++) {
      const id = await newAccount(`wave.real.${i}`);
      if (partitionOf(id, PARTITIONS) === 0) [handle, account] = [`wave.real.${i}`, id];
    }
    const signIn = async (body: Record<string, unknown>) => {
      const r = await post('/v1/auth/signin', { handle, password: PASSWORD, mode: 'token', ...body }, '');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as { token: string; deviceToken: string; session: { probationUntil: number | null } };
    };
    // the owner's first sign-in: the account's device from now on
    const owner = await signIn({});
    // six other accounts of the same partition signed in on new devices from the api's network (every
    // request here comes from 127.0.0.1) in the last minutes: a wave, as that partition counts it
    const now = Date.now();
    const others: string[] = [];
    for (let i = 0; others.length < 6; i++)
      if (partitionOf(`acc_wave${i}`, PARTITIONS) === 0) others.push(`acc_wave${i}`);
    const rows = others.flatMap((acc, i) => [
      loginRow(acc, `${acc}-s0`, now - 3 * HOUR, 'password', `${acc}-phone`, '198.51.100.7'),
      loginRow(acc, `${acc}-farm`, now - 5 * MIN + i * 1000, 'password', `farm-${i}`, `127.0.0.${50 + i}`),
    ]);
    await store.db.transaction().execute((tx) => engineStore.append(tx, rows, 'postgres'));
    // a stranger with the right password on a device the account never used, from that network: the
    // api asks the engine worker owning partition 0, which has seen the wave (the api's own engine holds
    // no partition: before, it never saw one)
    const stranger = await until(async () => {
      const r = await signIn({});
      return r.session.probationUntil !== null ? r : undefined;
    }, 'a stranger’s sign-in put on probation by the partition’s engine');
    assert.ok(stranger.session.probationUntil! > Date.now() + 23 * HOUR);
    const change = await post(
      '/v1/me/password',
      { currentPassword: PASSWORD, newPassword: 'a brand new secret phrase 77' },
      `Bearer ${stranger.token}`,
    );
    assert.equal(change.status, 403, JSON.stringify(change.body));
    assert.equal(change.body.code, 'SESSION_ON_PROBATION');
    // the owner on their own device (its token sent back) is not asked: a full session
    const home = await signIn({ deviceToken: owner.deviceToken });
    assert.equal(home.session.probationUntil, null);
  });

  test('sightings counted before a worker died still count after the takeover: the campaign forms', async () => {
    const [a, b] = engines as [RoleProcess, RoleProcess];
    // each worker owns one partition (on a loaded machine a lease may have lapsed and moved meanwhile)
    const o = await until(async () => {
      const now = await owners(link);
      const ids = [...now.values()];
      return ids.some((id) => isWorkerOf(id, a.child.pid)) && ids.some((id) => isWorkerOf(id, b.child.pid))
        ? now
        : undefined;
    }, 'each worker owns a partition');
    const pA = [...o].find(([, id]) => isWorkerOf(id, a.child.pid))![0];
    const pB = [...o].find(([, id]) => isWorkerOf(id, b.child.pid))![0];
    const pick = (p: number, tag: string) => {
      const out: string[] = [];
      for (let i = 0; out.length < 4; i++)
        if (partitionOf(`acc_${tag}${i}`, PARTITIONS) === p) out.push(`acc_${tag}${i}`);
      return out;
    };
    const inA = pick(pA, 'ca');
    const inB = pick(pB, 'cb');
    const now = Date.now();
    const t0 = now - 20 * HOUR;
    // sign-ins are identity's events: they reach the log as the dispatcher appends them from the outbox
    const signedIn = async (
      acc: string,
      session: string,
      t: number,
      method: string,
      device: string,
      ip: string,
    ) => {
      const row = loginRow(acc, session, t, method, device, ip);
      await store.db.transaction().execute((tx) => engineStore.append(tx, [row], 'postgres'));
    };
    const habits = (acc: string) => [
      ...Array.from({ length: 6 }, (_, f) => ({
        id: `${acc}-fr${f}`,
        type: 'friend.added',
        time: t0,
        account: acc,
        friend: `${acc}-f${f}`,
      })),
      ...Array.from({ length: 40 }, (_, k) => ({
        id: `${acc}-m${k}`,
        type: 'message.sent',
        time: t0 + k * 25 * MIN,
        account: acc,
        session: `${acc}-s0`,
        recipients: [`${acc}-f${k % 6}`],
        text: ['晚上一起吃饭吗', '好的明天见', '哈哈哈', '在吗'][k % 4],
        client,
      })),
    ];
    const hijackLogins = async (accounts: string[], from: number) => {
      for (const [k, acc] of accounts.entries()) {
        const i = from + k;
        await signedIn(
          acc,
          `${acc}-evil`,
          now - 30 * MIN + i * 2 * MIN,
          'qr',
          `farm-${i}`,
          `203.0.113.${i + 1}`,
        );
      }
    };
    const hijack = (acc: string, i: number) => [
      {
        id: `${acc}-evil-msg`,
        type: 'message.sent',
        time: now - 29 * MIN + i * 2 * MIN,
        account: acc,
        session: `${acc}-evil`,
        recipients: [`${acc}-f7`, `${acc}-f8`, `${acc}-f9`],
        text: `免费领取游戏皮肤，登录验证 http://qq-gift${i}.top/login`,
        client,
      },
    ];
    const send = async (events: unknown[]) => {
      const r = await post('/v1/events', { events });
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    };
    for (const acc of [...inA, ...inB])
      await signedIn(acc, `${acc}-s0`, t0, 'password', `${acc}-phone`, '10.1.2.3');
    await send([...inA, ...inB].flatMap(habits));
    // four hijacked senders in B's partition: their sightings reach A's partition (below a campaign)
    await hijackLogins(inB, 0);
    await send(inB.flatMap((acc, i) => hijack(acc, i)));
    const decided = async (accounts: string[]) =>
      (
        await store.db
          .selectFrom('engine_decisions')
          .select('account')
          .where('account', 'in', accounts)
          .where('event_type', '=', 'message.sent')
          .execute()
      ).length;
    await until(async () => (await decided(inB)) >= 4, 'the four hijacked senders in B decided on');
    const campaigns = async () =>
      Number(
        (
          await sql<{ n: string }>`select count(*) as n from outbox where type = 'campaign.detected'`.execute(
            store.db,
          )
        ).rows[0]!.n,
      );
    assert.equal(await campaigns(), 0, 'four senders make no campaign');
    // A's partition has counted them in memory only (no snapshot since); A dies
    const before = (await owners(link)).get(pA);
    a.child.kill('SIGKILL');
    await until(async () => {
      const now = await owners(link);
      return now.get(pA) !== before && isWorkerOf(now.get(pA) ?? '', b.child.pid);
    }, 'the survivor owns A’s partition');
    // the survivor answers the partition's checks once it has restored it
    assert.equal((await check(inA[0]!, [`${inA[0]}-f1`])).verdict !== undefined, true);
    // four more hijacked senders, in A's old partition: with B's four, a campaign
    await hijackLogins(inA, 4);
    await send(inA.flatMap((acc, i) => hijack(acc, i + 4)));
    await until(async () => (await decided(inA)) >= 4, 'the four hijacked senders in A decided on');
    const formed = await until(async () => ((await campaigns()) > 0 ? campaigns() : undefined), 'a campaign');
    assert.ok(formed >= 1);
    for (const p of [api, b, dispatcher])
      assert.equal(
        await stopRole(p),
        0,
        `${p.role} stops cleanly; its log ends:\n${p.output().slice(-3000)}`,
      );
  });
});
