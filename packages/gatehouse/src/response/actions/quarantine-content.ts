import { z } from 'zod';
import type { DecisionInput } from '../types.ts';
import { responseStore as q } from '../store.ts';
import { defineAction, duration, type ActionContext, type Plan } from './action.ts';

const CONTENT_KINDS = ['text', 'domain', 'image'] as const;

/** The decision's content fingerprint keys of the given kinds ("t:…", "d:<domain>", "i:<hash>"). */
export function quarantineKeys(d: DecisionInput, kinds: readonly string[]): string[] {
  return (d.fingerprints ?? []).filter((k) =>
    kinds.includes(k.startsWith('d:') ? 'domain' : k.startsWith('i:') ? 'image' : 'text'),
  );
}

/** Quarantines the decision's content platform-wide: the engine judges it blocked until it expires. */
export const quarantineContent = defineAction({
  kind: 'quarantine_content',
  params: z.strictObject({
    ttl: duration.prefault('24h'),
    kinds: z.array(z.enum(CONTENT_KINDS)).min(1).default(['text', 'domain', 'image']),
  }),
  async plan(ctx, d, params) {
    return quarantinePlan(ctx, [d], params);
  },
  async planBatch(ctx, ds, params) {
    return { ...(await quarantinePlan(ctx, ds, params)), memberDetail: { keys: [] } };
  },
});

/**
 * Quarantines the keys of these decisions. A key already under a quarantine that runs at least half
 * the ttl longer is left as it is: a campaign's accounts all send the same content, and it is
 * quarantined (and the platform told) once, not once per account.
 */
async function quarantinePlan(
  ctx: ActionContext,
  ds: DecisionInput[],
  params: { ttl: number; kinds: readonly string[] },
): Promise<Plan> {
  const t = ctx.now();
  const lead = ds[0]!;
  const wanted = [...new Set(ds.flatMap((d) => quarantineKeys(d, params.kinds)))];
  const expiresAt = t + params.ttl;
  const already = await q.quarantinedUntil(ctx.deps.db, wanted, t + params.ttl / 2);
  const keys = wanted.filter((k) => !already.has(k));
  return {
    detail: already.size ? { keys, expiresAt, alreadyQuarantined: [...already] } : { keys, expiresAt },
    apply: async (tx) => {
      for (const key of keys) {
        await q.upsertQuarantine(tx, {
          key,
          kind: key.slice(0, 1),
          decision_id: lead.id,
          expires_at: expiresAt,
          created_at: t,
          lifted_at: null,
        });
      }
      if (keys.length)
        await ctx.deps.delivery.enqueueInTx(tx, {
          type: 'content.quarantine',
          account: lead.account,
          payload: {
            keys,
            expiresAt,
            decision: lead.id,
            ...(ds.length > 1 ? { decisions: ds.map((d) => d.id) } : {}),
          },
        });
    },
    after: async () => {
      for (const key of keys) ctx.deps.engine.quarantine(key);
    },
  };
}
