import type { Core, PartModule, Wiring } from '../core/index.ts';
import { operatorFreezeNotice, passwordChangedNotice } from '../notify/index.ts';
import { enforcesContainment, localize } from '../response/index.ts';
import { enqueueInTx } from '../webhooks/index.ts';
import { MaxMindGeo } from './geo/geo.ts';
import { signinOptionsFrom } from './mfa/options.ts';
import { networkOf } from './network.ts';
import { PUBLISHED_ON_DEMAND } from './core.ts';
import { identityRoutes } from './routes.ts';
import { IdentityService } from './service.ts';

/** Accounts, sign-in and sessions: the service (notices in the change's transaction), its routes. */
export function identityModule(core: Core, w: Wiring): PartModule<{ identity: IdentityService }> {
  const { config, store } = core;
  const geo =
    config.geoipCityDatabase || config.geoipAsnDatabase
      ? new MaxMindGeo({ city: config.geoipCityDatabase, asn: config.geoipAsnDatabase })
      : undefined;
  const notify = () => w.get('notify');
  const identity = new IdentityService(store.db, {
    counters: core.counters.counters,
    argon2: {
      memoryKiB: config.argon2MemoryKib,
      iterations: config.argon2Iterations,
      parallelism: config.argon2Parallelism,
    },
    sessionTtlMs: config.sessionTtlHours * 3_600_000,
    sessionIdleMs: config.sessionIdleHours * 3_600_000,
    loginMaxFailuresPerAccount: config.loginMaxFailuresPerAccount,
    loginMaxFailuresPerIp: config.loginMaxFailuresPerIp,
    loginMaxUnknownFailuresPerAccount: config.loginMaxUnknownFailuresPerAccount,
    loginWindowMs: config.loginWindowSeconds * 1000,
    signupMaxPerIp: config.signupMaxPerIp,
    passwordMinScore: config.passwordMinScore,
    reauthMs: config.reauthMinutes * 60_000,
    endOthersMinAgeMs: config.sessionEndOthersMinAgeHours * 3_600_000,
    enqueueWebhook: enqueueInTx,
    // a sign-in's events reach the outbox only for a bus subscriber; the engine's copy of every event
    // it consumes goes to its log in the same transaction
    publishes: (type) => !PUBLISHED_ON_DEMAND.has(type) || core.bus.wants(type),
    engineLog: {
      lock: (tx) => w.get('engine').identityLog.lock(tx),
      append: (tx, events) => w.get('engine').identityLog.append(tx, events),
    },
    // in the api role of a scale-out the engine holding the account's partition is another process
    engineSignInRisk: async (q) => {
      const e = w.get('engine');
      const signals = await (e.remoteSignInRisk ? e.remoteSignInRisk(q) : e.engine.signInRisk(q));
      // the engine's view refuses a sign-in or puts it on probation only where the policy contains in
      // earnest: under a dry-run policy it is logged as what would have happened, and the sign-in goes on
      if (signals.length === 0 || enforcesContainment(w.get('policy').current)) return signals;
      core.log.info(
        { account: q.account, signals: signals.map((s) => `${s.name}:${s.effect}`) },
        'dry-run: the engine would have refused this sign-in or put it on probation',
      );
      return [];
    },
    // only the dispatchers with work: most sign-ins write to the engine's log and nothing else
    onCommit: (wrote) => {
      if (wrote.logged) w.get('engine').identityLog.committed(wrote.emitted);
      if (wrote.events) core.drainer.poke();
      if (wrote.webhooks || wrote.others) w.get('dispatcher').poke();
      if (wrote.others) notify().poke();
    },
    onSessionStartedTx: async (tx, s) => (await notify().signedInTx(tx, s)).notice !== undefined,
    onPasswordChangedTx: (tx, p) => notify().enqueueInTx(tx, passwordChangedNotice(p)),
    secretBox: core.box,
    onCrossDeviceSessionTx: (tx, s) =>
      notify().enqueueInTx(tx, {
        kind: 'signin.cross_device_approved',
        account: s.account,
        key: `qr:${s.session}`,
        session: s.session,
        params: {
          at: s.at,
          device: s.device.label.slice(0, 200),
          ...(s.approvedOn ? { approvedOn: networkOf(s.approvedOn).slice(0, 200) } : {}),
          ip: s.ip.slice(0, 64),
          probation: s.probation,
        },
      }),
    spendRecoveryCode: (tx, account, code): Promise<boolean> =>
      w.get('recovery').spendCodeAsSecondFactor(tx, account, code),
    signin: signinOptionsFrom(config, core.ownUrl),
    ...(geo ? { geo } : {}),
  });
  w.set('identity', identity);
  return {
    name: 'identity',
    services: { identity },
    routes: async (app) => {
      await app.register(identityRoutes, {
        identity,
        keys: w.get('keys'),
        config,
        // an operator's freeze or unfreeze is the platform's business too (it shows the banner)
        onOperatorStateChange: async (tx, c) => {
          if (c.state === 'frozen')
            await notify().enqueueInTx(
              tx,
              operatorFreezeNotice({ account: c.account, reason: c.reason, at: Date.now() }),
            );
          const base = { account: c.account, by: 'operator' as const, reason: c.reason };
          await enqueueInTx(
            tx,
            c.state === 'frozen'
              ? {
                  type: 'account.frozen',
                  account: c.account,
                  payload: {
                    ...base,
                    kind: c.kind ?? 'sanction',
                    reasons: [],
                    decision: null,
                    notice: localize('operatorFrozen', { reason: c.reason }),
                  },
                }
              : {
                  type: 'account.unfrozen',
                  account: c.account,
                  payload: { ...base, case: null, notice: localize('operatorUnfrozen', {}) },
                },
          );
        },
      });
    },
    start: () => identity.probation.refresh(),
  };
}
