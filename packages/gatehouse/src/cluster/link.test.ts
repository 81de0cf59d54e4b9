// The deployment's stream keeps events and sightings for clusterStreamMaxAgeHours (it grew without
// bound before), a changed setting reaches an existing stream, and a link that does not say (a tool,
// a test) leaves the retention as it is. Real NATS JetStream.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createLogger } from '../log/index.ts';
import { REQUIRE_SERVICES } from '../testing/index.ts';
import { clusterNames, destroyCluster, openLink } from './index.ts';
import { natsAvailable } from './procs.ts';

const NATS = process.env.GATEHOUSE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const natsUp = await natsAvailable(NATS);
if (!natsUp && REQUIRE_SERVICES)
  throw new Error(`NATS is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${NATS} is not reachable`);

describe(
  'the event stream’s retention',
  { skip: natsUp ? undefined : `NATS not reachable at ${NATS}` },
  () => {
    const name = `ghtest_${randomBytes(4).toString('hex')}`;
    after(() => destroyCluster(NATS, name));
    const open = (streamMaxAgeHours?: number) =>
      openLink({
        natsUrl: NATS,
        clusterName: name,
        partitions: 2,
        leaseSeconds: 3,
        log: createLogger('silent'),
        ...(streamMaxAgeHours !== undefined ? { streamMaxAgeHours } : {}),
      });
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
  },
);
