import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../store/index.ts';
import { postgresSkip, testStore, type Backend } from '../testing/index.ts';
import { IncidentService, type CampaignFact } from './service.ts';

const pgSkip = await postgresSkip();

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`incidents on ${backend}`, { skip: backend === 'postgres' ? pgSkip : undefined }, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let svc: IncidentService;
    const t0 = 1_900_000_000_000;
    before(async () => {
      ({ store, cleanup } = await testStore(backend));
      svc = new IncidentService(store.db, {
        massThreshold: 3,
        massWindowMs: 600_000,
        contact: 'security@chat.example (7×24)',
        now: () => t0 + 3_600_000,
      });
    });
    after(async () => cleanup?.());

    const campaign: CampaignFact = {
      id: 'cmp_1',
      kind: 'domain',
      key: 'd:qq-login-game.com',
      sample: 'qq-login-game.com',
      members: ['a1', 'a2', 'a3'],
      memberCount: 3,
      firstSeen: t0,
      lastSeen: t0 + 1000,
      status: 'active',
    };

    test('a campaign becomes an incident; growth adds accounts and timeline entries; repeats are idempotent', async () => {
      const id = await svc.onCampaign(campaign);
      assert.equal(await svc.onCampaign(campaign), id);
      await svc.onCampaign({
        ...campaign,
        members: ['a1', 'a2', 'a3', 'a4'],
        memberCount: 4,
        lastSeen: t0 + 5000,
      });
      const inc = await svc.get(id);
      assert.equal(inc.kind, 'campaign');
      assert.match(inc.title, /qq-login-game\.com/);
      assert.equal(inc.facts.accounts, 4);
      assert.deepEqual(
        inc.timeline.map((x) => x.kind),
        ['campaign.detected', 'campaign.grew'],
      );
    });

    test('contain decisions within the window open one mass-hijack incident; actions update its counts', async () => {
      const sig = [
        { name: 'signin_qr', value: 1 },
        { name: 'url_lookalike', value: 'qq-login-game.com' },
      ] as const;
      for (const [i, a] of ['v1', 'v2'].entries())
        assert.deepEqual(
          await svc.onDecision({
            id: `d${i}`,
            account: a,
            time: t0 + i * 1000,
            action: 'contain',
            signals: sig,
          }),
          [],
        );
      const touched = await svc.onDecision({
        id: 'd2',
        account: 'v3',
        time: t0 + 2000,
        action: 'contain',
        signals: sig,
      });
      assert.equal(touched.length, 1);
      const again = await svc.onDecision({
        id: 'd3',
        account: 'v4',
        time: t0 + 3000,
        action: 'contain',
        signals: sig,
        campaigns: ['cmp_1'],
      });
      assert.equal(again.length, 2, 'joins the campaign incident and the mass incident');
      const mass = (await svc.list()).find((i) => i.kind === 'mass_hijack')!;
      assert.equal(mass.facts.accounts, 4);
      await svc.onAction({
        account: 'v3',
        kind: 'freeze_account',
        mode: 'enforce',
        status: 'done',
        decision: 'd2',
        at: t0 + 2500,
        detail: {},
      });
      await svc.onAction({
        account: 'v3',
        kind: 'retract_messages',
        mode: 'enforce',
        status: 'done',
        decision: 'd2',
        at: t0 + 2600,
        detail: { messages: 12 },
      });
      await svc.onAction({
        account: 'v3',
        kind: 'warn_recipients',
        mode: 'enforce',
        status: 'done',
        decision: 'd2',
        at: t0 + 2700,
        detail: { recipients: 57 },
      });
      await svc.onAction({
        account: 'v3',
        kind: 'freeze_account',
        mode: 'dry-run',
        status: 'done',
        decision: 'd9',
        at: t0 + 2800,
        detail: {},
      });
      await svc.onAction({
        account: 'nobody',
        kind: 'freeze_account',
        mode: 'enforce',
        status: 'done',
        decision: 'dx',
        at: t0,
        detail: {},
      });
      const m = await svc.get(mass.id);
      assert.equal(m.facts.frozen, 1);
      assert.equal(m.facts.messagesRetracted, 12);
      assert.equal(m.facts.recipientsWarned, 57);
      assert.equal(m.facts.dryRunActions, 1);
      assert.equal(m.facts.contained, 2);
      assert.ok(m.timeline.some((x) => x.kind === 'action.retract_messages'));
    });

    test('notes, status, and the export carry what a personal-information incident notice needs', async () => {
      // an incident of its own (a filtered run has no earlier test's incidents): three contains a day
      // later, on a service with a fresh window
      const t1 = t0 + 86_400_000;
      const own = new IncidentService(store.db, {
        massThreshold: 3,
        massWindowMs: 600_000,
        contact: 'security@chat.example (7×24)',
        now: () => t1 + 3_600_000,
      });
      const sig = [{ name: 'signin_qr', value: 1 }] as const;
      let opened: string[] = [];
      for (const [i, a] of ['n1', 'n2', 'n3'].entries())
        opened = await own.onDecision({
          id: `n${i}`,
          account: a,
          time: t1 + i * 1000,
          action: 'contain',
          signals: sig,
        });
      const mass = { id: opened[0]! };
      await own.onAction({
        account: 'n2',
        kind: 'retract_messages',
        mode: 'enforce',
        status: 'done',
        decision: 'n1',
        at: t1 + 2500,
        detail: { messages: 12 },
      });
      await svc.addNote(mass.id, 'ops:li', 'Relay page taken down with the hosting provider.');
      await svc.setStatus(mass.id, 'contained', 'ops:li');
      const { json, markdown } = await svc.export(mass.id);
      assert.equal(json.incident.status, 'contained');
      for (const k of [
        'whatHappened',
        'dataInvolved',
        'whoIsAffected',
        'cause',
        'possibleHarm',
        'remediesTaken',
        'whatUsersCanDo',
        'contact',
      ] as const)
        assert.ok(json[k], k);
      assert.equal(json.contact, 'security@chat.example (7×24)');
      assert.match(json.cause.en, /QR/);
      assert.ok(json.remediesTaken.en.some((x) => /12 intruder messages retracted/.test(x)));
      assert.ok(json.remediesTaken['zh-CN'].some((x) => /已撤回 12 条/.test(x)));
      assert.match(markdown, /## What data and whom/);
      assert.match(markdown, /## 你可以做什么/);
      assert.match(markdown, /Relay page taken down/);
      await assert.rejects(svc.get('inc_missing'), /INCIDENT_NOT_FOUND|No such incident/);
    });
  });
}
