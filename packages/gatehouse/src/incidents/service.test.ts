// The incident service beyond the happy path, on SQLite and PostgreSQL, each test on a store of its own:
// mass-hijack thresholds and windows, login waves per network and day, decisions joining campaign
// incidents, incidents recorded inside a caller's transaction (and rolled back with it), status and
// notes, and the routes over HTTP with their scopes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GatehouseError } from '../errors/index.ts';
import { describeBackends } from '../testing/backends.ts';
import { testGatehouse, testStore } from '../testing/index.ts';
import { IncidentService, type DecisionFact } from './service.ts';

const MIN = 60_000;
const T0 = 1_900_000_000_000;

describeBackends('incident service', (backend) => {
  /** A fresh store and service: no test sees another's incidents or in-memory window. */
  async function fresh(massThreshold = 3) {
    const { store, cleanup } = await testStore(backend);
    let now = T0;
    const svc = new IncidentService(store.db, {
      massThreshold,
      massWindowMs: 10 * MIN,
      contact: 'security@chat.example',
      now: () => now,
    });
    return { store, svc, cleanup, setNow: (t: number) => void (now = t) };
  }
  const contain = (
    id: string,
    account: string,
    time: number,
    extra: Partial<DecisionFact> = {},
  ): DecisionFact => ({
    id,
    account,
    time,
    action: 'contain',
    signals: [{ name: 'signin_qr', value: 1 }],
    ...extra,
  });

  test('mass hijack: below the threshold or spread beyond the window there is none; within it one, which later contains join', async () => {
    const { svc, cleanup } = await fresh(3);
    try {
      // three contains, each 11 minutes apart: never three within 10 minutes
      for (let i = 0; i < 3; i++)
        assert.deepEqual(await svc.onDecision(contain(`s${i}`, `spread-${i}`, T0 + i * 11 * MIN)), []);
      assert.equal((await svc.list()).length, 0);
      // two more close to the last one: three distinct accounts within the window
      const base = T0 + 22 * MIN;
      assert.deepEqual(await svc.onDecision(contain('c1', 'close-1', base + MIN)), []);
      const opened = await svc.onDecision(contain('c2', 'close-2', base + 2 * MIN));
      assert.equal(opened.length, 1);
      const joined = await svc.onDecision(contain('c3', 'close-3', base + 3 * MIN));
      assert.deepEqual(joined, opened, 'a later contain joins the open mass incident');
      const inc = await svc.get(opened[0]!);
      assert.equal(inc.kind, 'mass_hijack');
      assert.deepEqual(inc.accounts.map((a) => a.account).sort(), [
        'close-1',
        'close-2',
        'close-3',
        'spread-2',
      ]);
      assert.equal(inc.facts.contained, 2, 'counted from the decision that opened it on');
      // the same account contained twice is one account
      await svc.onDecision(contain('c4', 'close-3', base + 4 * MIN));
      assert.equal((await svc.get(opened[0]!)).facts.accounts, 4);
    } finally {
      await cleanup();
    }
  });

  test('login waves: one incident per network and day; another network or day is another incident', async () => {
    const { svc, cleanup } = await fresh();
    try {
      const wave = (id: string, account: string, time: number, net: string): DecisionFact => ({
        id,
        account,
        time,
        action: 'challenge',
        signals: [{ name: 'login_wave', value: net }],
      });
      const a = await svc.onDecision(wave('w1', 'lw-1', T0, '203.0.113.0/24'));
      const b = await svc.onDecision(wave('w2', 'lw-2', T0 + MIN, '203.0.113.0/24'));
      assert.deepEqual(a, b);
      const c = await svc.onDecision(wave('w3', 'lw-3', T0 + 2 * MIN, '198.51.100.0/24'));
      const d = await svc.onDecision(wave('w4', 'lw-4', T0 + 86_400_000, '203.0.113.0/24'));
      assert.equal(new Set([a[0], c[0], d[0]]).size, 3);
      const inc = await svc.get(a[0]!);
      assert.equal(inc.kind, 'login_wave');
      assert.match(inc.title, /203\.0\.113\.0\/24/);
      assert.equal(inc.facts.accounts, 2);
      assert.equal(inc.facts.contained, 0);
      assert.equal(inc.timeline.filter((t) => t.kind === 'login_wave.detected').length, 1);
    } finally {
      await cleanup();
    }
  });

  test('a hold decision joins its campaign incident without counting as contained; unknown campaigns are ignored', async () => {
    const { svc, cleanup } = await fresh();
    try {
      const id = await svc.onCampaign({
        id: 'cmp_hold',
        kind: 'text',
        key: 't:abc',
        sample: '免费领取游戏皮肤',
        members: ['h1', 'h2'],
        memberCount: 2,
        firstSeen: T0,
        lastSeen: T0,
        status: 'active',
      });
      const touched = await svc.onDecision({
        id: 'dh',
        account: 'h3',
        time: T0 + MIN,
        action: 'hold',
        signals: [{ name: 'campaign_member', value: 1 }],
        campaigns: ['cmp_hold', 'cmp_unknown'],
      });
      assert.deepEqual(touched, [id]);
      const inc = await svc.get(id);
      assert.equal(inc.facts.accounts, 3);
      assert.equal(inc.facts.decisions, 1);
      assert.equal(inc.facts.contained, 0);
      assert.ok(!inc.timeline.some((t) => t.kind === 'decision.contain'));
      assert.match(inc.title, /免费领取游戏皮肤/);
    } finally {
      await cleanup();
    }
  });

  test('recordInTx commits with the caller and rolls back with it; the same key joins; failed actions count nowhere', async () => {
    const { store, svc, cleanup } = await fresh();
    try {
      const input = (accounts: string[], at: number) => ({
        key: 'app:cli_1',
        kind: 'app_abuse',
        title: 'App reads too much',
        at,
        accounts,
        timeline: { kind: 'app.suspended', summary: 'suspended', data: { client: 'cli_1' } },
      });
      await assert.rejects(
        store.db.transaction().execute(async (tx) => {
          await svc.recordInTx(tx, input(['r1'], T0));
          throw new Error('the suspension failed');
        }),
      );
      assert.equal((await svc.list()).length, 0, 'rolled back with the caller');
      const first = await store.db
        .transaction()
        .execute((tx) => svc.recordInTx(tx, input(['r1', 'r2', 'r1'], T0)));
      const again = await store.db.transaction().execute((tx) => svc.recordInTx(tx, input(['r3'], T0 + MIN)));
      assert.equal(first.created, true);
      assert.deepEqual(again, { id: first.id, created: false });
      await svc.onAction({
        account: 'r1',
        kind: 'freeze_account',
        mode: 'enforce',
        status: 'failed',
        decision: 'x',
        at: T0 + 2 * MIN,
        detail: {},
      });
      await svc.onAction({
        account: 'r2',
        kind: 'quarantine_content',
        mode: 'enforce',
        status: 'done',
        decision: 'y',
        at: T0 + 3 * MIN,
        detail: { keys: ['d:a.example', 'd:b.example'] },
      });
      await svc.onAction({
        account: 'r3',
        kind: 'quarantine_content',
        mode: 'enforce',
        status: 'done',
        decision: 'z',
        at: T0 + 4 * MIN,
        detail: { keys: ['d:a.example'] },
      });
      const inc = await svc.get(first.id);
      assert.equal(inc.facts.accounts, 3);
      assert.equal(inc.facts.frozen, 0, 'a failed freeze is not counted');
      assert.deepEqual([...inc.facts.quarantined].sort(), ['d:a.example', 'd:b.example']);
      assert.equal(
        inc.timeline.filter((t) => t.kind.startsWith('action.')).length,
        3,
        'each action is on the timeline',
      );
    } finally {
      await cleanup();
    }
  });

  test('status: closed records when, reopening clears it, list filters by status; a missing incident is INCIDENT_NOT_FOUND', async () => {
    const { svc, cleanup, setNow } = await fresh();
    try {
      const id = await svc.onCampaign({
        id: 'cmp_status',
        kind: 'domain',
        key: 'd:x.example',
        sample: 'x.example',
        members: ['s1'],
        memberCount: 1,
        firstSeen: T0,
        lastSeen: T0,
        status: 'active',
      });
      setNow(T0 + 5 * MIN);
      await svc.setStatus(id, 'closed', 'ops:wang');
      assert.equal((await svc.get(id)).closedAt, T0 + 5 * MIN);
      assert.deepEqual(
        (await svc.list({ status: 'open' })).map((i) => i.id),
        [],
      );
      assert.deepEqual(
        (await svc.list({ status: 'closed' })).map((i) => i.id),
        [id],
      );
      await svc.setStatus(id, 'open', 'ops:wang');
      const reopened = await svc.get(id);
      assert.equal(reopened.closedAt, null);
      assert.deepEqual(
        reopened.timeline.filter((t) => t.kind === 'status').map((t) => t.summary),
        ['open → closed by ops:wang', 'closed → open by ops:wang'],
      );
      for (const f of [
        () => svc.setStatus('inc_nope', 'closed', 'ops'),
        () => svc.addNote('inc_nope', 'ops', 'x'),
        () => svc.export('inc_nope'),
      ])
        await assert.rejects(f(), (e: GatehouseError) => e.code === 'INCIDENT_NOT_FOUND');
    } finally {
      await cleanup();
    }
  });

  test('over HTTP: read and write scopes, list, get, notes, status, Markdown export; bad input is a 4xx problem', async () => {
    const { gh, cleanup } = await testGatehouse(backend);
    try {
      const url = await gh.listen();
      const reader = (await gh.keys.create('incident reader', ['incidents:read'])).key;
      const writer = (await gh.keys.create('incident writer', ['incidents:read', 'incidents:write'])).key;
      const id = await gh.incidents.onCampaign({
        id: 'cmp_http',
        kind: 'domain',
        key: 'd:qq-login-game.com',
        sample: 'qq-login-game.com',
        members: ['x1', 'x2'],
        memberCount: 2,
        firstSeen: Date.now(),
        lastSeen: Date.now(),
        status: 'active',
      });
      const call = (key: string, method: string, path: string, body?: unknown) =>
        fetch(`${url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
      const list = (await (await call(reader, 'GET', '/v1/incidents')).json()) as {
        incidents: Array<{ id: string }>;
      };
      assert.deepEqual(
        list.incidents.map((i) => i.id),
        [id],
      );
      const note = await call(reader, 'POST', `/v1/incidents/${id}/notes`, { text: 'looking' });
      assert.equal(note.status, 403, 'a read key cannot write');
      assert.equal(
        (await call(writer, 'POST', `/v1/incidents/${id}/notes`, { text: '已联系托管商' })).status,
        204,
      );
      assert.equal(
        (await call(writer, 'POST', `/v1/incidents/${id}/status`, { status: 'contained' })).status,
        204,
      );
      const bad = await call(writer, 'POST', `/v1/incidents/${id}/status`, { status: 'finished' });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { code: string }).code, 'VALIDATION_FAILED');
      const missing = await call(reader, 'GET', '/v1/incidents/inc_missing');
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { code: string }).code, 'INCIDENT_NOT_FOUND');
      const one = (await (await call(reader, 'GET', `/v1/incidents/${id}`)).json()) as {
        status: string;
        notes: Array<{ text: string; author: string }>;
      };
      assert.equal(one.status, 'contained');
      assert.equal(one.notes[0]!.text, '已联系托管商');
      assert.match(one.notes[0]!.author, /^key:/);
      const md = await call(reader, 'GET', `/v1/incidents/${id}/export?format=md`);
      assert.match(md.headers.get('content-type') ?? '', /text\/markdown/);
      assert.match(await md.text(), /qq-login-game\.com/);
      assert.equal((await fetch(`${url}/v1/incidents`)).status, 401);
    } finally {
      await cleanup();
    }
  });
});
