import { outboxStore } from '../bus/index.ts';
import { laneTurn } from '../core/lane.ts';
import { newId } from '../crypto/index.ts';
import { actionOf, type ActionContext, type BatchPlan } from './actions/index.ts';
import type { PlannedStep } from './policy.ts';
import { evaluatePolicy } from './policy.ts';
import { isRepeat, type Runner } from './runner.ts';
import type { ActionsTable } from './schema.ts';
import { responseStore as q } from './store.ts';
import type { DecisionInput } from './types.ts';

interface Group {
  step: PlannedStep;
  ds: DecisionInput[];
}

/**
 * Handles later decisions on contained accounts together (the response queue gathers them per account
 * for a short window). The kinds that can (retract, warn, quarantine, revoke grants) are planned once
 * for the whole batch and applied in ONE transaction with ONE audit entry, one webhook per kind naming
 * every message and recipient, and one `action.taken` per kind. Every decision still gets its own
 * action record (the batch's first carries the detail, the others point at it), so idempotency by
 * decision is kept: a batch replayed after a crash skips what was recorded. Steps of other kinds run
 * per decision, as `Runner.handle` would.
 */
export async function handleBatch(
  runner: Runner,
  ctx: ActionContext,
  decisions: DecisionInput[],
  retry = true,
): Promise<void> {
  const { deps, now } = ctx;
  // a decision delivered twice into one window is one decision
  const ds = [...new Map(decisions.map((d) => [d.id, d])).values()];
  const policy = deps.policy.current;
  const done = await q.actionsDoneFor(
    deps.db,
    ds.map((d) => d.id),
  );
  const groups = new Map<string, Group>();
  const alone: Array<[DecisionInput, PlannedStep]> = [];
  const revoked = new Map<string, boolean>();
  for (const d of ds) {
    const repeat = isRepeat(d);
    for (const step of evaluatePolicy(policy, d).steps) {
      const { kind, params } = step.action;
      const def = actionOf(kind);
      if (done.has(`${d.id}|${kind}`)) continue;
      if (repeat && def.oncePerContainment) continue;
      // sessions and grants the first containment already revoked are not revoked again
      if (repeat && (kind === 'revoke_sessions' || kind === 'revoke_grants')) {
        const s = `${kind}|${d.session ?? ''}`;
        if (!revoked.has(s)) revoked.set(s, await runner.alreadyRevoked(d, kind));
        if (revoked.get(s)) continue;
      }
      if (!repeat || !def.planBatch) {
        alone.push([d, step]);
        continue;
      }
      const key = `${step.rule}|${step.mode}|${kind}|${JSON.stringify(params)}`;
      const g = groups.get(key);
      if (g) g.ds.push(d);
      else groups.set(key, { step, ds: [d] });
    }
  }
  for (const [d, step] of alone) {
    await runner.run(policy, d, step, isRepeat(d));
    await laneTurn();
  }
  if (groups.size === 0) return;

  const t0 = performance.now();
  const planned: Array<{ g: Group; plan: BatchPlan; id: string }> = [];
  // the kinds of one batch share the account's display name (one identity read, not one per kind)
  const names = new Map<string, Promise<string>>();
  const bctx: ActionContext = {
    ...ctx,
    displayName: (a) => names.get(a) ?? (names.set(a, ctx.displayName(a)), names.get(a)!),
  };
  for (const g of groups.values()) {
    const def = actionOf(g.step.action.kind);
    planned.push({ g, plan: await def.planBatch!(bctx, g.ds, g.step.action.params), id: newId('act') });
    await laneTurn();
  }
  const account = ds[0]!.account;
  const checked = (d: DecisionInput) => (d.checked ? { checked: d.action } : {});
  try {
    await deps.db.transaction().execute(async (tx) => {
      const rows: ActionsTable[] = [];
      const t = now();
      for (const { g, plan, id } of planned) {
        if (g.step.mode === 'enforce') await plan.apply(tx);
        g.ds.forEach((d, i) =>
          rows.push({
            id: i === 0 ? id : `${id}.${i}`,
            decision_id: d.id,
            account: d.account,
            kind: g.step.action.kind,
            rule: g.step.rule,
            mode: g.step.mode,
            params: JSON.stringify(g.step.action.params),
            status: 'done',
            detail: JSON.stringify(
              i === 0
                ? { ...plan.detail, ...checked(d), batch: g.ds.length }
                : { ...plan.memberDetail, ...checked(d), batchOf: id },
            ),
            policy_hash: policy.hash,
            created_at: t,
          }),
        );
      }
      await q.insertActions(tx, rows);
      const enforced = planned.some((p) => p.g.step.mode === 'enforce');
      await deps.audit.appendInTx(tx, {
        actor: `policy:${planned[0]!.g.step.rule}`,
        action: `${enforced ? '' : 'dry-run:'}batch`,
        subject: account,
        data: {
          decisions: ds.map((d) => d.id),
          actions: planned.map(({ g, plan, id }) => ({
            id,
            kind: g.step.action.kind,
            mode: g.step.mode,
            params: g.step.action.params,
            detail: plan.detail,
            decisions: g.ds.length,
          })),
          policy: policy.hash,
        },
      });
      await outboxStore.append(
        tx,
        planned.map(({ g, plan, id }) => ({
          id: `action:${id}`,
          type: 'action.taken',
          time: now(),
          account,
          action: {
            id,
            kind: g.step.action.kind,
            mode: g.step.mode,
            status: 'done',
            rule: g.step.rule,
            decision: g.ds[0]!.id,
            decisions: g.ds.map((d) => d.id),
            detail: plan.detail,
            sinceDecisionMs: Math.max(0, now() - Math.min(...g.ds.map((d) => d.time))),
            ms: performance.now() - t0,
          },
        })),
      );
    });
  } catch (err) {
    // another worker recorded some of these decisions meanwhile (a duplicate delivery): plan the batch
    // again, which skips what that worker did; should that collide too, each decision alone
    if (/unique|duplicate/i.test(String((err as Error).message))) {
      if (retry) return handleBatch(runner, ctx, ds, false);
      for (const d of ds) await runner.handle(d);
      return;
    }
    throw err;
  }
  deps.onCommit?.();
  for (const { g, plan } of planned)
    if (g.step.mode === 'enforce')
      await plan
        .after?.()
        .catch((err: unknown) => deps.log.error({ err, account }, 'response batch effect failed'));
}
