import type { Core, PartModule, Wiring } from '../core/index.ts';
import { ConsoleAuth } from './auth.ts';
import { OperatorService } from './operators.ts';
import { consoleRoutes } from './routes.ts';
import { consoleDataRoutes } from './routes-data.ts';
import { consoleStatic } from './static.ts';

/**
 * The web console: the built pages (/console/ for operators, /me/ for owners), operator accounts with
 * their cookie sessions and roles (accepted by every part's routes in place of a key), the audit of
 * every operator request, and the console-facing reads.
 */
export function consoleModule(
  core: Core,
  w: Wiring,
  opts: { dist?: string | undefined } = {},
): PartModule<{ operators: OperatorService }> {
  const { config, log } = core;
  const operators = new OperatorService(core.store.db, core.box, {
    argon2: {
      memoryKiB: config.argon2MemoryKib,
      iterations: config.argon2Iterations,
      parallelism: config.argon2Parallelism,
    },
  });
  const auth = new ConsoleAuth(operators, config, log);
  const keys = w.get('keys');
  keys.sessions = auth;
  return {
    name: 'console',
    services: { operators },
    routes: async (app) => {
      app.addHook('onSend', auth.auditHook());
      await app.register(consoleStatic, { ...(opts.dist ? { dist: opts.dist } : {}) });
      await app.register(consoleRoutes, {
        db: core.store.db,
        operators,
        auth,
        keys,
        config,
        log,
        activeCampaigns: () =>
          w
            .get('engine')
            .campaigns()
            .filter((c) => c.status === 'active').length,
      });
      const identity = w.get('identity');
      await app.register(consoleDataRoutes, {
        db: core.store.db,
        keys,
        audit: w.get('audit'),
        campaign: (id) => w.get('engine').campaign(id),
        policyText: () => w.get('policy').current,
        findAccount: async (q) =>
          (await identity.getAccount(q).catch(() => undefined)) ?? identity.findByHandle(q),
      });
    },
  };
}
