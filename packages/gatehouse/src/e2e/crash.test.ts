// A crash between decision and action: the engine commits a contain decision (and its decision.made
// event in the same transaction) and the process is killed before anything acts on it. The next start
// publishes the decision from the outbox and the response part freezes the account and queues the
// webhooks: the action happens, exactly once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import type { DecisionInput } from '../response/index.ts';
import { postgresSkip, type Backend } from '../testing/index.ts';
import { crashChild, srcModule, type Crashed } from '../testing/crash-child.ts';
import { until } from '../testing/receiver.ts';

const pgSkip = await postgresSkip();

/**
 * One child process for both databases (one Node start-up instead of two): it commits the decision on
 * each, then is SIGKILLed. Each backend's test reads what its database saw.
 */
let crashed: Promise<Map<Backend, Crashed<string>>> | undefined;
const crashOnce = () =>
  (crashed ??= crashChild<string>(
    pgSkip,
    (dbs) => `
      const { createGatehouse } = await import(${srcModule('gatehouse.ts')});
      const { loadConfig } = await import(${srcModule('config/index.ts')});
      const { persistDecisions } = await import(${srcModule('engine/persist.ts')});
      const ids = [];
      for (const db of ${JSON.stringify(dbs)}) {
        const config = loadConfig({ env: {}, overrides: { ...db, logLevel: 'silent', argon2MemoryKib: 8192, argon2Iterations: 1 } });
        const gh = await createGatehouse(config);
        const a = await gh.identity.createAccount({ handle: 'crash.owner', displayName: '王芳', password: 'survives a crash' }, { ip: '127.0.0.1', userAgent: 'x' });
        const t = Date.now();
        const decision = {
          id: 'dec:crash-1', eventId: 'crash-1', eventType: 'message.sent', account: a.id, session: 'ses_intruder', time: t,
          action: 'contain', logit: 9, risk: 0.9999,
          reasons: [{ signal: 'url_lookalike', en: 'link to a lookalike of qq', zh: '仿冒 qq 的链接' }],
          signals: [{ name: 'url_lookalike', value: 'qq-login-game.com', strength: 1, weight: 4, logOdds: 4, reason: { en: 'lookalike', zh: '仿冒' } }],
          fingerprints: ['d:qq-login-game.com'],
        };
        await persistDecisions(gh.store.db, [decision], [], t);
        ids.push(a.id);
      }
      process.stdout.write(JSON.stringify(ids));
      process.kill(process.pid, 'SIGKILL');
    `,
  ));

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(
    `crash between decision and action (${backend})`,
    { skip: backend === 'postgres' ? pgSkip : undefined },
    () => {
      test('a decision committed just before the process is killed is still acted on after restart', async () => {
        const { config, cleanup, ...r } = (await crashOnce()).get(backend)!;
        try {
          assert.equal(r.signal, 'SIGKILL', r.stderr);
          const account = r.result ?? '';
          assert.match(account, /^acc_/);

          const gh = await createGatehouse(config, { log: createLogger('silent') });
          try {
            assert.equal(
              (await gh.identity.getAccount(account)).state,
              'active',
              'nothing acted before the crash',
            );
            await gh.start();
            await until(
              async () => (await gh.identity.getAccount(account)).state === 'frozen',
              'the account frozen after the restart',
            );
            // the drainer records the event published once every handler has finished with it
            await until(async () => {
              const r = await gh.store.db
                .selectFrom('outbox')
                .select('published_at')
                .where('id', '=', 'decision:crash-1')
                .executeTakeFirst();
              return r?.published_at != null;
            }, 'the decision handled and recorded as published');
            const actions = await gh.response.actions({ decisionId: 'dec:crash-1' });
            assert.ok(actions.some((a) => a.kind === 'freeze_account' && a.mode === 'enforce'));
            const frozenHooks = async () =>
              (await gh.store.db.selectFrom('webhook_messages').select(['type']).execute()).filter(
                (m) => m.type === 'account.frozen',
              ).length;
            assert.equal(await frozenHooks(), 1);
            // redelivery of the very decision on the outbox (at least once) acts on nothing a second time; the
            // handler is called directly so that an error in it fails the test instead of being logged
            const row = await gh.store.db
              .selectFrom('outbox')
              .select('payload')
              .where('id', '=', 'decision:crash-1')
              .executeTakeFirstOrThrow();
            const again = await gh.response.handle(
              (JSON.parse(row.payload) as { decision: DecisionInput }).decision,
            );
            assert.ok(again.length > 0, 'the policy planned steps for the decision');
            assert.deepEqual(
              again.filter((s) => s.status !== 'skipped' || s.detail.reason !== 'already_done'),
              [],
              'every step of the redelivered decision is skipped as already done',
            );
            assert.equal(
              (await gh.response.actions({ decisionId: 'dec:crash-1' })).filter(
                (a) => a.kind === 'freeze_account',
              ).length,
              1,
            );
            assert.equal(await frozenHooks(), 1, 'no second account.frozen webhook');
          } finally {
            await gh.close();
          }
        } finally {
          await cleanup();
        }
      });
    },
  );
}
