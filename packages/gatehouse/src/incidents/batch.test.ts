// Incident bookkeeping in batches (issue 17), on SQLite and PostgreSQL: a mass incident's campaigns,
// decisions and actions written in one transaction end exactly where writing them one by one ends
// (same incidents, accounts, counts and timeline); a contained account's later decisions are counted but
// add no second "contained"; and the bus feed records what it is given once the drainer settles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../log/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { testStore } from '../testing/index.ts';
import type { IncidentWork } from './batch.ts';
import { IncidentFeed } from './feed.ts';
import { IncidentService } from './service.ts';

const MIN = 60_000;
const T0 = 1_900_000_000_000;

/** A night: a campaign, five accounts contained, each then blocked again and again, actions taken. */
function night(): IncidentWork[] {
  const w: IncidentWork[] = [];
  const accounts = ['a1', 'a2', 'a3', 'a4', 'a5'];
  const sig = [{ name: 'signin_qr' as const, value: 1 }];
  w.push({
    kind: 'campaign',
    campaign: {
      id: 'cmp_n',
      kind: 'domain',
      key: 'qq-login-game.com',
      sample: 'qq-login-game.com',
      memberCount: 2,
      firstSeen: T0,
      lastSeen: T0,
      status: 'active',
      members: ['a1', 'a2'],
    },
  });
  accounts.forEach((a, i) => {
    const t = T0 + i * 1000;
    w.push({
      kind: 'decision',
      decision: { id: `d-${a}`, account: a, time: t, action: 'contain', signals: sig, campaigns: ['cmp_n'] },
    });
    w.push({
      kind: 'action',
      action: {
        account: a,
        kind: 'freeze_account',
        mode: 'enforce',
        status: 'done',
        decision: `d-${a}`,
        at: t + 10,
        detail: {},
      },
    });
    for (let k = 0; k < 4; k++)
      w.push({
        kind: 'decision',
        decision: {
          id: `d-${a}-${k}`,
          account: a,
          time: t + 100 + k,
          action: 'contain',
          signals: [...sig, { name: 'account_contained' as const, value: 1 }],
          campaigns: ['cmp_n'],
        },
      });
    w.push({
      kind: 'action',
      action: {
        account: a,
        kind: 'retract_messages',
        mode: 'enforce',
        status: 'done',
        decision: `d-${a}-0`,
        at: t + 200,
        detail: { messages: 4 },
      },
    });
  });
  w.push({
    kind: 'campaign',
    campaign: {
      id: 'cmp_n',
      kind: 'domain',
      key: 'qq-login-game.com',
      sample: 'qq-login-game.com',
      memberCount: 5,
      firstSeen: T0,
      lastSeen: T0 + 5000,
      status: 'active',
      members: accounts,
    },
  });
  return w;
}

describeBackends('incident batches', (backend) => {
  async function fresh() {
    const { store, cleanup } = await testStore(backend);
    const svc = new IncidentService(store.db, {
      massThreshold: 3,
      massWindowMs: 10 * MIN,
      contact: 'security@chat.example',
    });
    return { svc, cleanup };
  }
  /** What an operator sees, without the generated ids. */
  async function seen(svc: IncidentService) {
    const out = [];
    for (const i of await svc.list()) {
      const full = await svc.get(i.id);
      out.push({
        kind: full.kind,
        title: full.title,
        facts: full.facts,
        accounts: full.accounts.map((a) => a.account).sort(),
        timeline: full.timeline.map((t) => `${t.kind}: ${t.summary}`),
      });
    }
    return out.sort((a, b) => a.kind.localeCompare(b.kind));
  }

  test('one transaction for the whole night ends where one per item ends', async () => {
    const one = await fresh();
    const all = await fresh();
    try {
      for (const w of night()) await one.svc.record([w]);
      const touched = await all.svc.record(night());
      assert.equal(touched.length, night().length);
      const a = await seen(one.svc);
      const b = await seen(all.svc);
      assert.deepEqual(b, a);
      const mass = b.find((i) => i.kind === 'mass_hijack')!;
      assert.deepEqual(mass.accounts, ['a1', 'a2', 'a3', 'a4', 'a5']);
      // each account contained once, however many of its later messages were judged contain again
      assert.equal(mass.facts.contained, 3, 'counted from the decision that opened it on');
      assert.equal(mass.facts.frozen, 3);
      assert.equal(mass.facts.messagesRetracted, 12);
      assert.equal(mass.timeline.filter((t) => t.startsWith('decision.contain')).length, 3);
      const campaign = b.find((i) => i.kind === 'campaign')!;
      assert.equal(campaign.facts.contained, 5);
      assert.equal(campaign.facts.decisions, 25);
      assert.deepEqual(campaign.accounts, ['a1', 'a2', 'a3', 'a4', 'a5']);
      assert.equal(campaign.timeline.filter((t) => t.startsWith('campaign.')).length, 1, 'grew by decisions');
    } finally {
      await one.cleanup();
      await all.cleanup();
    }
  });

  test('the feed gathers what it is given and writes it when drained', async () => {
    const { svc, cleanup } = await fresh();
    try {
      const feed = new IncidentFeed(svc, { windowMs: 60_000, max: 1000, log: createLogger('silent') });
      const items = night();
      items.forEach((w, i) => void feed.push(w, 100 + i));
      assert.equal(feed.pendingFrom(), 100, 'nothing written yet: the drainer records nothing as published');
      assert.equal(feed.pendingFrom(50), 50);
      await feed.drain();
      assert.equal(feed.pendingFrom(), undefined);
      assert.ok(feed.stats().batches <= 1, 'one transaction');
      const mass = (await svc.list()).find((i) => i.kind === 'mass_hijack')!;
      assert.equal(mass.facts.accounts, 5);
      assert.equal(mass.facts.frozen, 3);
    } finally {
      await cleanup();
    }
  });

  // the window is an hour: a push waiting for room is let on as batches are written, never after the
  // window (the timeout only ends a hang)
  test(
    'a full feed makes the bus wait (back-pressure) and lets it on as items are written',
    { timeout: 60_000 },
    async () => {
      const { svc, cleanup } = await fresh();
      try {
        const feed = new IncidentFeed(svc, { windowMs: 3_600_000, max: 4, log: createLogger('silent') });
        const items = night().slice(0, 9);
        let pushed = 0;
        const all = Promise.all(items.map((w) => feed.push(w).then(() => void pushed++)));
        // the first four took the room at once; the others wait for it
        assert.equal(feed.stats().depth, 4);
        assert.equal(feed.full, true);
        await all;
        await feed.drain();
        assert.equal(pushed, items.length);
        assert.ok(feed.stats().waits > 0);
        assert.equal(feed.full, false);
      } finally {
        await cleanup();
      }
    },
  );
});
