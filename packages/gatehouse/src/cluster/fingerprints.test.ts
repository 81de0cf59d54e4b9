// Campaigns cross partitions: hijacked accounts in two partitions blast the same phishing text. Each
// partition alone sees fewer compromised senders than a campaign needs; with the sightings shared (as
// engine workers share them over NATS), both partitions count every sender and the campaign forms,
// under the same id in both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY, HOUR, MIN, Sim, T0 } from '../engine/simulate.ts';
import type { Campaign } from '../engine/index.ts';

function blast(shared: boolean): { created: Campaign[]; a: Sim; b: Sim } {
  const a = new Sim();
  const b = new Sim();
  if (shared) {
    a.engine.campaignTracker.onSighting = (s) => b.engine.campaignTracker.observeRemote(s);
    b.engine.campaignTracker.onSighting = (s) => a.engine.campaignTracker.observeRemote(s);
  }
  const accounts = Array.from({ length: 8 }, (_, i) => `c${i}`);
  const sim = (i: number) => (i % 2 === 0 ? a : b);
  for (const [i, acc] of accounts.entries()) sim(i).history(acc, { days: 20 });
  const t1 = T0 + 20 * DAY + 3 * HOUR;
  const created: Campaign[] = [];
  for (const [i, acc] of accounts.entries()) {
    const s = sim(i);
    s.t = t1 + i * 2 * MIN;
    s.login(acc, { session: `${acc}-evil`, method: 'qr', device: `farm-${i}`, ip: `203.0.113.${i}` });
    const r = s.process(
      s.message(acc, {
        to: [`${acc}-f7`, `${acc}-f8`, `${acc}-f9`],
        text: `免费领取游戏皮肤，登录验证 http://qq-gift${i}.top/login`,
        session: `${acc}-evil`,
      }),
    );
    if (r.status === 'accepted' && r.campaignsCreated) created.push(...r.campaignsCreated);
  }
  return { created, a, b };
}

test('without shared sightings, four hijacked senders per partition make no campaign', () => {
  const { created } = blast(false);
  assert.equal(created.filter((c) => c.kind === 'text').length, 0);
});

test('with shared sightings, the campaign forms across partitions, under one id', () => {
  const { created, a, b } = blast(true);
  const text = created.filter((c) => c.kind === 'text');
  assert.ok(text.length >= 1, JSON.stringify(created));
  const ids = new Set(text.map((c) => c.id));
  assert.equal(ids.size, 1, `one campaign, not one per partition: ${[...ids].join(', ')}`);
  const id = [...ids][0]!;
  // both partitions know it and its senders from either side
  for (const s of [a, b]) {
    const c = s.engine.campaign(id);
    if (c) assert.ok(c.memberCount >= 5, JSON.stringify(c));
  }
  assert.ok(a.engine.campaign(id) ?? b.engine.campaign(id));
});
