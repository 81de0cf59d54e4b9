// The process dies with the response queue full: decisions were made durable (outbox) before they were
// queued, the outbox was not recorded as published past the oldest unfinished one, so the next start
// publishes them again and every one is acted on, exactly once. While full, /readyz says not ready and
// /metrics shows the depth. On SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { postgresSkip, type Backend } from '../testing/index.ts';
import { crashChild, srcModule, type Crashed } from '../testing/crash-child.ts';
import { until } from '../testing/receiver.ts';

const N = 150;

const pgSkip = await postgresSkip();
// the killed process holds the PostgreSQL drain lease: the restart takes it over once it lapses
const settings = { responseQueueMax: 100, outboxPollMs: 20, outboxLeaseSeconds: 2 };
type Seen = { ready: number; depth: number; firstRows: number; markedEarly: number };
/** The child's settings on each database (beside its dataDir and databaseUrl). */
const childSettings = {
  logLevel: 'silent',
  argon2MemoryKib: 8192,
  argon2Iterations: 1,
  sqliteSynchronous: 'FULL',
  ...settings,
};
/**
 * One child process for both databases (one Node start-up instead of two): on each it fills the
 * response queue as below, then it is SIGKILLed with both queues full. Each backend's test reads its own.
 */
let crashed: Promise<Map<Backend, Crashed<Seen>>> | undefined;
const crashOnce = () =>
  (crashed ??= crashChild<Seen>(
    pgSkip,
    (dbs) => `
      const { createGatehouse } = await import(${srcModule('gatehouse.ts')});
      const { loadConfig } = await import(${srcModule('config/index.ts')});
      const { persistDecisions } = await import(${srcModule('engine/persist.ts')});
      const out = [];
      for (const db of ${JSON.stringify(dbs)}) {
        const overrides = { ...db, ...${JSON.stringify(childSettings)} };
        const config = loadConfig({ env: {}, overrides });
        const gh = await createGatehouse(config);
        // the response work stalls (a slow database, say): the queue fills and stays full
        gh.response.handle = () => new Promise(() => {});
        await gh.start();
        const t = Date.now();
        const decisions = Array.from({ length: ${N} }, (_, i) => ({
          id: 'dec:full-' + i, eventId: 'full-' + i, eventType: 'message.sent', account: 'acct-' + i,
          session: 'ses_intruder_' + i, time: t, action: 'contain', logit: 9, risk: 0.9999,
          reasons: [{ signal: 'url_lookalike', en: 'lookalike', zh: '仿冒' }],
          signals: [{ name: 'url_lookalike', value: 'qq-login-game.com', strength: 1, weight: 4, logOdds: 4, reason: { en: 'lookalike', zh: '仿冒' } }],
        }));
        const wait = async (f) => { while (!f()) await new Promise((r) => setTimeout(r, 10)); };
        // first a few: queued, not full; the drainer goes on and records what it published...
        await persistDecisions(gh.store.db, decisions.slice(0, 60), [], t);
        gh.drainer.poke();
        await wait(() => gh.responseQueue.stats().depth === 60);
        // (its flush path, run now rather than waited for: it records all it may, here none of the 60)
        await gh.drainer.flush();
        const outbox = (published) => {
          let q = gh.store.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n'))
            .where('payload', 'like', '%dec:full-%');
          if (published) q = q.where('published_at', 'is not', null);
          return q.executeTakeFirstOrThrow().then((r) => Number(r.n));
        };
        const firstRows = await outbox(false);
        const markedEarly = await outbox(true);
        // ...then the rest: the queue fills and the drainer waits for room
        await persistDecisions(gh.store.db, decisions.slice(60), [], t);
        gh.drainer.poke();
        await wait(() => gh.responseQueue.full && gh.responseQueue.stats().waits > 0);
        const ready = await gh.app.inject({ method: 'GET', url: '/readyz' });
        const metrics = await gh.app.inject({ method: 'GET', url: '/metrics' });
        const depth = /^gatehouse_response_queue_depth (\\d+)/m.exec(metrics.body)?.[1];
        out.push({ ready: ready.statusCode, depth: Number(depth), firstRows, markedEarly });
      }
      process.stdout.write(JSON.stringify(out));
      process.kill(process.pid, 'SIGKILL');
    `,
    // a bound on a hung child (it does both databases' work, each bounded by 120 s before)
    { settings, timeoutMs: 240_000 },
  ));

// the two restarts at once (each on its own database): PostgreSQL's waits for the dead drain lease to lapse
// while SQLite's works through its backlog
describe('killed with the response queue full, then restarted', { concurrency: 2 }, () => {
  for (const backend of ['sqlite', 'postgres'] as Backend[]) {
    test(`${backend}: decisions queued when the process is killed with the queue full are acted on after restart`, async (t) => {
      if (backend === 'postgres' && pgSkip) return t.skip(pgSkip);
      const { config, cleanup, ...r } = (await crashOnce()).get(backend)!;
      try {
        assert.equal(r.signal, 'SIGKILL', r.stderr);
        const seen = r.result!;
        assert.ok(seen.firstRows >= 60, `the first decisions are in the outbox (${seen.firstRows})`);
        assert.equal(
          seen.markedEarly,
          0,
          'none recorded as published while their response work is unfinished',
        );
        assert.equal(seen.ready, 503, 'a full queue is back-pressure on /readyz');
        assert.equal(seen.depth, 100, 'and shows on /metrics');

        const gh = await createGatehouse(config, { log: createLogger('silent') });
        try {
          await gh.start();
          const froze = () =>
            gh.store.db
              .selectFrom('response_actions')
              .select('decision_id')
              .where('kind', '=', 'freeze_account')
              .where('decision_id', 'like', 'dec:full-%')
              .execute();
          await until(
            async () => {
              await gh.drainer.drain();
              return (await froze()).length === N;
            },
            'every decision acted on',
            120_000,
          );
          const rows = await froze();
          assert.equal(new Set(rows.map((x) => x.decision_id)).size, N, 'each decision once');
          const frozen = await gh.store.db
            .selectFrom('webhook_messages')
            .select('account')
            .where('type', '=', 'account.frozen')
            .execute();
          assert.equal(new Set(frozen.map((m) => m.account)).size, N);
          assert.equal(frozen.length, N, 'one freeze notice per account, none twice');
          // ready again once the work behind the outbox (incidents' feed, the response queue) has caught up
          await until(
            async () =>
              (await gh.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined,
            'ready again after the backlog',
            60_000,
          );
        } finally {
          await gh.close();
        }
      } finally {
        await cleanup();
      }
    });
  }
});
