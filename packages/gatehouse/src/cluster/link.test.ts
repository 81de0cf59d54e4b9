// The deployment's stream keeps events and sightings for clusterStreamMaxAgeHours (it grew without
// bound before), a changed setting reaches an existing stream, and a link that does not say (a tool,
// a test) leaves the retention as it is. The api role's question before a sign-in, answered or not.
// Real NATS JetStream.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createLogger } from '../log/index.ts';
import { REQUIRE_SERVICES } from '../testing/index.ts';
import { clusterNames, destroyCluster, openLink, partitionOf } from './index.ts';
import { remoteSignInRisk } from './remote-check.ts';
import { natsAvailable } from './procs.ts';

const NATS = process.env.GATEHOUSE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const natsUp = await natsAvailable(NATS);
if (!natsUp && REQUIRE_SERVICES)
  throw new Error(`NATS is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${NATS} is not reachable`);

/** A suite on a cluster of its own (removed after it), skipped visibly without NATS; `open` links to it. */
function onCluster(
  title: string,
  body: (name: string, open: (o?: { streamMaxAgeHours?: number }) => ReturnType<typeof openLink>) => void,
): void {
  describe(title, { skip: natsUp ? undefined : `NATS not reachable at ${NATS}` }, () => {
    const name = `ghtest_${randomBytes(4).toString('hex')}`;
    after(() => destroyCluster(NATS, name));
    body(name, (o = {}) =>
      openLink({
        natsUrl: NATS,
        clusterName: name,
        partitions: 2,
        leaseSeconds: 3,
        log: createLogger('silent'),
        ...o,
      }),
    );
  });
}

onCluster('the event stream’s retention', (name, link) => {
  const open = (streamMaxAgeHours?: number) =>
    link(streamMaxAgeHours !== undefined ? { streamMaxAgeHours } : {});
  const maxAgeHours = async (link: Awaited<ReturnType<typeof open>>) =>
    (await link.jsm.streams.info(clusterNames(name).stream)).config.max_age / 3_600_000_000_000;

  test('is set on a new stream, follows a changed setting and is kept by a link that does not say', async () => {
    const first = await open(168);
    assert.equal(await maxAgeHours(first), 168);
    await first.close();
    const changed = await open(24);
    assert.equal(await maxAgeHours(changed), 24, 'a changed setting reaches the existing stream');
    await changed.close();
    const silent = await open();
    assert.equal(await maxAgeHours(silent), 24, 'a link without the setting leaves the retention');
    await silent.close();
    const all = await open(0);
    assert.equal(await maxAgeHours(all), 0, '0 keeps everything');
    await all.close();
  });
});

onCluster('the engine asked before a sign-in, over request/reply', (_name, open) => {
  test('the owner answers with its signals; nobody answering leaves identity’s own rules (no signals) within the budget', async () => {
    const link = await open();
    try {
      const warned: string[] = [];
      const log = createLogger('silent');
      log.warn = ((_: unknown, msg?: string) => void warned.push(String(msg))) as typeof log.warn;
      const ask = remoteSignInRisk(link, 400, log);
      // no engine worker owns partition 0's subject: the sign-in is not held up past the budget
      const t0 = Date.now();
      assert.deepEqual(await ask({ account: 'acc_nobody', ip: '203.0.113.9' }), []);
      assert.ok(Date.now() - t0 < 5000, 'answered within the budget');
      assert.equal(warned.length, 1);
      // an owner that answers: its signals reach identity as they are
      const p = partitionOf('acc_held', 2);
      const signals = [
        { name: 'engine_contained', value: 1, threshold: 1, effect: 'deny', en: 'held', zh: '控制' },
      ];
      const sub = link.nc.subscribe(link.names.signInRisk(p), {
        callback: (_err, m) => {
          const q = m.json<{ account: string; ip: string }>();
          m.respond(
            JSON.stringify(q.account === 'acc_held' ? { ok: true, signals } : { ok: true, signals: [] }),
          );
        },
      });
      try {
        assert.deepEqual(await ask({ account: 'acc_held', ip: '203.0.113.9' }), signals);
        // a refusal (a malformed question) is no signal, and said so
        const bad = link.nc.subscribe(link.names.signInRisk(1 - p), {
          callback: (_err, m) => {
            m.respond(JSON.stringify({ ok: false, detail: 'account and ip are required' }));
          },
        });
        let other = 0;
        while (partitionOf(`acc_x${other}`, 2) !== 1 - p) other++;
        assert.deepEqual(await ask({ account: `acc_x${other}`, ip: '203.0.113.9' }), []);
        assert.equal(warned.length, 2);
        bad.unsubscribe();
      } finally {
        sub.unsubscribe();
      }
    } finally {
      await link.close();
    }
  });
});
