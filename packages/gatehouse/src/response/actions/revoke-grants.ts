import { z } from 'zod';
import { defineAction } from './action.ts';

/** Revokes third-party grants and tokens (every registered revoker: Gatehouse sessions, OAuth apps). */
export const revokeGrants = defineAction({
  kind: 'revoke_grants',
  params: z.strictObject({ scope: z.enum(['intruder', 'all']).default('all') }),
  async plan(ctx, d, params) {
    return {
      detail: { scope: params.scope, session: d.session ?? null, revokers: ctx.deps.grants.length },
      apply: async () => undefined,
      after: async () => {
        for (const g of ctx.deps.grants) await g.revokeGrants(d.account, params.scope, d.session);
      },
    };
  },
  async planBatch(ctx, ds, params) {
    const sessions = [...new Set(ds.map((d) => d.session))];
    return {
      detail: { scope: params.scope, session: ds[0]!.session ?? null, revokers: ctx.deps.grants.length },
      memberDetail: { scope: params.scope, batch: true },
      apply: async () => undefined,
      after: async () => {
        for (const g of ctx.deps.grants)
          for (const s of sessions) await g.revokeGrants(ds[0]!.account, params.scope, s);
      },
    };
  },
});
