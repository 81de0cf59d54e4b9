// Concurrent incident batches (issue 17): two writers (as two dispatcher processes would be, each with
// its own service) record batches that touch the same incidents and accounts in opposite orders, while a
// third part opens and joins an incident inside its own transactions. On PostgreSQL this used to
// deadlock (one batch lost, then its items one by one); now every item is written exactly once. And
// the feed never drops an item whose transaction failed: it keeps it, unacknowledged, until written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../log/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { testStore } from '../testing/index.ts';
import type { Db } from '../store/db.ts';
import type { IncidentWork } from './batch.ts';
import { IncidentFeed } from './feed.ts';
import { IncidentService } from './service.ts';

const T0 = 1_900_000_000_000;
const CAMPAIGNS = ['c1', 'c2', 'c3', 'c4'];
const ACCOUNTS = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
const opts = { massThreshold: 1000, massWindowMs: 600_000, contact: 'security@chat.example' };

const campaign = (id: string, members: string[], at: number): IncidentWork => ({
  kind: 'campaign',
  campaign: {
    id,
    kind: 'domain',
    key: `${id}.example`,
    sample: `${id}.example`,
    memberCount: members.length,
    firstSeen: T0,
    lastSeen: at,
    status: 'active',
    members,
  },
});

/**
 * One writer's batch for a round: decisions naming the campaigns in `order`, each for an account both
 * writers use, then a campaign new to both, then an action per account (noted in every incident the
 * account is in).
 */
function batch(writer: string, round: number, order: string[]): IncidentWork[] {
  const at = T0 + round * 1000;
  const w: IncidentWork[] = [];
  order.forEach((c, i) =>
    w.push({
      kind: 'decision',
      decision: {
        id: `d-${writer}-${round}-${c}`,
        account: ACCOUNTS[(round + i) % ACCOUNTS.length]!,
        time: at + i,
        action: 'challenge',
        signals: [{ name: 'new_link_domain', value: 1 }],
        campaigns: [c],
      },
    }),
  );
  w.push(campaign(`new-${round}`, [`${writer}-only-${round}`, 'a1'], at + 10));
  for (const a of ACCOUNTS.slice(0, 3))
    w.push({
      kind: 'action',
      action: {
        account: a,
        kind: 'warn_recipients',
        mode: 'enforce',
        status: 'done',
        decision: `act-${writer}-${round}-${a}`,
        at: at + 20,
        detail: { recipients: 1 },
      },
    });
  return w;
}

/** Every incident with its facts, accounts and timeline, by source key. */
async function everything(db: Db) {
  const incidents = await db.selectFrom('incidents').selectAll().execute();
  const out = new Map<string, { facts: Record<string, unknown>; accounts: string[]; timeline: string[] }>();
  for (const i of incidents) {
    const accounts = await db
      .selectFrom('incident_accounts')
      .select('account')
      .where('incident_id', '=', i.id)
      .execute();
    const timeline = await db
      .selectFrom('incident_timeline')
      .select(['kind', 'data'])
      .where('incident_id', '=', i.id)
      .execute();
    out.set(i.source_key, {
      facts: JSON.parse(i.facts) as Record<string, unknown>,
      accounts: accounts.map((a) => a.account).sort(),
      timeline: timeline.map(
        (t) => `${t.kind} ${(JSON.parse(t.data) as { decision?: string }).decision ?? ''}`,
      ),
    });
  }
  return out;
}

describeBackends('concurrent incident batches', (backend) => {
  test('batches touching the same incidents in opposite orders all commit, every item exactly once', async () => {
    const { store, cleanup } = await testStore(backend);
    try {
      const db = store.db;
      const setup = new IncidentService(db, opts);
      for (const c of CAMPAIGNS) await setup.record([campaign(c, ACCOUNTS, T0)]);
      // a third part's incident (as an app suspension opens one), joined by the same accounts
      const appIncident = (round: number) =>
        db.transaction().execute((tx) =>
          setup.recordInTx(tx, {
            key: 'app:shared',
            kind: 'app',
            title: 'App suspended',
            at: T0 + round,
            accounts: ACCOUNTS,
            timeline: { kind: 'app.note', summary: `round ${round}`, data: { decision: `app-${round}` } },
          }),
        );
      await appIncident(-1);
      // two writers, as two processes: each its own service (own memory of members)
      const a = new IncidentService(db, opts);
      const b = new IncidentService(db, opts);
      const rounds = 5;
      for (let r = 0; r < rounds; r++)
        await Promise.all([
          a.record(batch('a', r, CAMPAIGNS)),
          b.record(batch('b', r, [...CAMPAIGNS].reverse())),
          appIncident(r),
        ]);

      const all = await everything(db);
      for (const c of CAMPAIGNS) {
        const inc = all.get(`campaign:${c}`)!;
        assert.equal(inc.facts.decisions, rounds * 2, `${c}: every decision counted once`);
        assert.deepEqual(inc.accounts, ACCOUNTS);
        // each writer's action for each of the first three accounts, once per round
        for (const w of ['a', 'b'])
          for (let r = 0; r < rounds; r++)
            for (const acc of ACCOUNTS.slice(0, 3))
              assert.equal(
                inc.timeline.filter((t) => t === `action.warn_recipients act-${w}-${r}-${acc}`).length,
                1,
                `${c}: action ${w}/${r}/${acc} noted once`,
              );
        assert.equal(inc.facts.recipientsWarned, rounds * 2 * 3);
      }
      for (let r = 0; r < rounds; r++) {
        const inc = all.get(`campaign:new-${r}`)!;
        assert.ok(inc, `one incident for the campaign both writers saw first in round ${r}`);
        assert.deepEqual(inc.accounts, [`a-only-${r}`, 'a1', `b-only-${r}`].sort());
        assert.equal(inc.facts.accounts, 3);
      }
      const app = all.get('app:shared')!;
      for (let r = -1; r < rounds; r++)
        assert.equal(app.timeline.filter((t) => t === `app.note app-${r}`).length, 1, `app note ${r} once`);
      assert.deepEqual(app.accounts, ACCOUNTS);
      assert.equal(app.facts.accounts, ACCOUNTS.length);
    } finally {
      await cleanup();
    }
  });

  test('the feed keeps an item whose transaction keeps failing, unacknowledged, until it is written', async () => {
    const { store, cleanup } = await testStore(backend);
    try {
      // a service whose next three transactions fail (as deadlock victims would)
      class Failing extends IncidentService {
        failures = 3;
        override async record(items: readonly IncidentWork[]) {
          if (this.failures > 0) {
            this.failures--;
            throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
          }
          return super.record(items);
        }
      }
      await new IncidentService(store.db, opts).record([campaign('c1', ACCOUNTS, T0)]);
      const svc = new Failing(store.db, opts);
      const feed = new IncidentFeed(svc, {
        windowMs: 0,
        max: 100,
        log: createLogger('silent'),
        retryBaseMs: 5,
      });
      const items = batch('a', 0, CAMPAIGNS);
      items.forEach((w, i) => void feed.push(w, 11 + i));
      await feed.drain();
      assert.equal(svc.failures, 0, 'the failures happened');
      assert.equal(feed.pendingFrom(), undefined, 'everything acknowledged once written');
      assert.equal(feed.stats().depth, 0);
      assert.ok(feed.stats().retries > 0);
      const all = await everything(store.db);
      const c1 = all.get('campaign:c1')!;
      assert.equal(c1.facts.decisions, 1, 'the decision written once');
      for (const acc of ACCOUNTS.slice(0, 3))
        assert.equal(
          c1.timeline.filter((t) => t === `action.warn_recipients act-a-0-${acc}`).length,
          1,
          `action for ${acc} written once`,
        );
      assert.ok(all.get('campaign:new-0'), 'the new campaign written');
    } finally {
      await cleanup();
    }
  });
});
