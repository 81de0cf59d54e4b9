import { appendAuditInTx } from '../audit/index.ts';
import type { Core, PartModule, Wiring } from '../core/index.ts';
import { appealNotice, factorChangedNotice } from '../notify/index.ts';
import { OAuthGrantsPort } from '../oauth/index.ts';
import { enqueueInTx } from '../webhooks/index.ts';
import { factsFromResponseActions, longStandingFromEventLog } from './facts.ts';
import { recoveryOptionsFrom } from './options.ts';
import { recoveryRoutes } from './routes.ts';
import { DevelopmentLogSender, RecoveryService, type CodeSender } from './index.ts';

/**
 * Recovery: appeal cases over identity, the engine's event log (what the intruder changed), the
 * response part's actions (when the compromise began), oauth's grants; notices through notify.
 */
export function recoveryModule(
  core: Core,
  w: Wiring,
  opts: { codeSender?: CodeSender } = {},
): PartModule<{ recovery: RecoveryService }> {
  const { config, log, store } = core;
  const notify = w.get('notify');
  const engine = w.get('engine');
  const identity = w.get('identity');
  const codeSender =
    opts.codeSender ??
    (config.recoveryCodeSender === 'development-log' ? new DevelopmentLogSender(log) : notify.codeSender());
  const recovery: RecoveryService = new RecoveryService(
    store.db,
    {
      identity,
      counters: core.counters.counters,
      codeSender,
      log,
      enqueueWebhook: enqueueInTx,
      appendAudit: appendAuditInTx,
      eventLog: engine.eventLog,
      grants: new OAuthGrantsPort(w.get('oauth')),
      longStandingFriends: longStandingFromEventLog(engine.eventLog, {
        minAgeMs: config.recoveryFriendMinAgeDays * 86_400_000,
      }),
      compromiseFacts: factsFromResponseActions((f) => w.get('response').actions(f), {
        compromiseStart: engine.messageLog.compromiseStart,
      }),
      onCaseStepTx: async (tx, c, step, details, at) => {
        const n = appealNotice(c, step, details, at);
        if (n) await notify.enqueueInTx(tx, n);
      },
      onFactorChangedTx: (tx, c) => notify.enqueueInTx(tx, factorChangedNotice(c)),
      onCommit: () => {
        core.drainer.poke();
        w.get('dispatcher').poke();
        notify.poke();
      },
    },
    recoveryOptionsFrom(config),
  );
  w.set('recovery', recovery);
  return {
    name: 'recovery',
    services: { recovery },
    routes: async (app) => {
      await app.register(recoveryRoutes, { recovery, identity, keys: w.get('keys'), config });
    },
  };
}
