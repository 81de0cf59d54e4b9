import { outboxStore } from '../bus/index.ts';
import { laneTurn } from '../core/lane.ts';
import { newId } from '../crypto/index.ts';
import { actionOf, type ActionContext, type Plan } from './actions/index.ts';
import type { Tx } from '../store/db.ts';
import type { PlannedStep, Policy } from './policy.ts';
import { evaluatePolicy } from './policy.ts';
import type { ActionsTable } from './schema.ts';
import { responseStore as q } from './store.ts';
import type { AuditEntryIn, DecisionInput, StepResult } from './types.ts';

/**
 * Runs a decision through the policy: each planned step is planned (shared by both modes), applied in
 * enforce mode only, and recorded with its audit entry and `action.taken`. The steps of one decision
 * (a first containment: freeze, revoke, retract, warn, quarantine, notify) commit together in ONE
 * transaction, each still with its own action record, audit entry and `action.taken`; their effects
 * outside the store (`after`) follow the commit in policy order. Should that transaction fail (a step's
 * effect, or another worker that recorded some of the steps), each step runs alone as before. Steps are
 * idempotent per (decision, action): a decision redelivered after a crash does not act twice.
 */
/** Revocations found recorded that a runner remembers (per account, kind and session). */
const REVOKED_REMEMBERED = 20_000;

export class Runner {
  private readonly ctx: ActionContext;
  private readonly revoked = new Set<string>();
  constructor(ctx: ActionContext) {
    this.ctx = ctx;
  }

  async handle(decision: DecisionInput): Promise<StepResult[]> {
    const policy = this.ctx.deps.policy.current;
    const { steps } = evaluatePolicy(policy, decision);
    if (steps.length > 1) {
      const together = await this.runTogether(policy, decision, steps, isRepeat(decision));
      if (together) return together;
    }
    const out: StepResult[] = [];
    for (const step of steps) {
      out.push(await this.run(policy, decision, step, isRepeat(decision)));
      // each step is its own transaction: let waiting requests (the pre-send check) in between
      await laneTurn();
    }
    return out;
  }

  /**
   * A contained account's session (or all of them) was already revoked — its sessions, or its grants —
   * by an earlier decision.
   */
  async alreadyRevoked(
    d: DecisionInput,
    kind: 'revoke_sessions' | 'revoke_grants' = 'revoke_sessions',
  ): Promise<boolean> {
    // a recorded revocation stays recorded: a yes is remembered (each later batch of a contained
    // account asks again), a no is asked again next time
    const key = `${kind}|${d.account}|${d.session ?? ''}`;
    if (this.revoked.has(key)) return true;
    for (const r of await q.revokeDetails(this.ctx.deps.db, d.account, kind)) {
      const x = JSON.parse(r.detail) as { scope?: string; session?: string | null };
      if (x.scope === 'all' || (d.session !== undefined && x.session === d.session)) {
        if (this.revoked.size >= REVOKED_REMEMBERED) this.revoked.delete(this.revoked.keys().next().value!);
        this.revoked.add(key);
        return true;
      }
    }
    return false;
  }

  /**
   * The decision's steps planned one after another and committed in one transaction; undefined when
   * it could not be done so (a plan or the transaction failed: the caller runs each step alone).
   */
  private async runTogether(
    policy: Policy,
    d: DecisionInput,
    steps: PlannedStep[],
    repeat: boolean,
  ): Promise<StepResult[] | undefined> {
    const { deps } = this.ctx;
    const t0 = performance.now();
    const done = await q.actionsDoneFor(deps.db, [d.id]);
    const out: StepResult[] = [];
    const planned: Array<{ step: PlannedStep; plan: Plan; detail: Record<string, unknown>; at: number }> = [];
    // the steps share the account's display name (a first containment: one identity read, not four)
    let name: Promise<string> | undefined;
    const ctx: ActionContext = {
      ...this.ctx,
      displayName: (a) => (a === d.account ? (name ??= this.ctx.displayName(a)) : this.ctx.displayName(a)),
    };
    try {
      for (const step of steps) {
        const { kind } = step.action;
        const def = actionOf(kind);
        const skip = (reason: string) =>
          out.push({ kind, rule: step.rule, mode: step.mode, status: 'skipped', detail: { reason }, ms: 0 });
        if (repeat && def.oncePerContainment) skip('already_contained');
        else if (
          repeat &&
          (kind === 'revoke_sessions' || kind === 'revoke_grants') &&
          (await this.alreadyRevoked(d, kind))
        )
          skip('already_revoked');
        else if (done.has(`${d.id}|${kind}`)) skip('already_done');
        else {
          const plan = await def.plan(ctx, d, step.action.params, repeat);
          const detail = d.checked ? { ...plan.detail, checked: d.action } : plan.detail;
          planned.push({ step, plan, detail, at: out.length });
          out.push({ kind, rule: step.rule, mode: step.mode, status: 'done', detail, ms: 0 });
          await laneTurn();
        }
      }
      if (planned.length === 0) return out;
      await deps.db.transaction().execute((tx) =>
        recordSteps(
          this.ctx,
          tx,
          policy,
          d,
          t0,
          planned.map(({ step, plan, detail }) => ({ step, plan, status: 'done', detail })),
        ),
      );
    } catch (err) {
      // nothing was committed: each step alone says what failed (or finds what another worker did)
      deps.log.debug({ err, decision: d.id }, 'response steps not done together; each alone');
      return undefined;
    }
    deps.onCommit?.();
    for (const { step, plan, at } of planned) {
      if (step.mode === 'enforce')
        try {
          await plan.after?.();
        } catch (err) {
          deps.log.error({ err, decision: d.id, kind: step.action.kind }, 'response action failed');
          out[at] = { ...out[at]!, status: 'failed', detail: { error: (err as Error).message } };
        }
      out[at]!.ms = performance.now() - t0;
    }
    return out;
  }

  async run(policy: Policy, d: DecisionInput, step: PlannedStep, repeat: boolean): Promise<StepResult> {
    const { deps } = this.ctx;
    const t0 = performance.now();
    const { kind } = step.action;
    const def = actionOf(kind);
    const skipped = (reason: string, ms = 0): StepResult => ({
      kind,
      rule: step.rule,
      mode: step.mode,
      status: 'skipped',
      detail: { reason },
      ms,
    });
    if (repeat && def.oncePerContainment) return skipped('already_contained');
    // sessions and grants the first containment already revoked are not revoked again (as in batch.ts)
    if (
      repeat &&
      (kind === 'revoke_sessions' || kind === 'revoke_grants') &&
      (await this.alreadyRevoked(d, kind))
    )
      return skipped('already_revoked');
    if (await q.actionDone(deps.db, d.id, kind)) return skipped('already_done');
    let detail: Record<string, unknown>;
    let status: StepResult['status'] = 'done';
    try {
      const plan = await def.plan(this.ctx, d, step.action.params, repeat);
      // a decision of the pre-send check says so (its block/contain verdict means the message never left)
      detail = d.checked ? { ...plan.detail, checked: d.action } : plan.detail;
      await deps.db
        .transaction()
        .execute((tx) => recordSteps(this.ctx, tx, policy, d, t0, [{ step, plan, status, detail }]));
      deps.onCommit?.();
      if (step.mode === 'enforce') await plan.after?.();
    } catch (err) {
      if (/unique|duplicate/i.test(String((err as Error).message)))
        return skipped('already_done', performance.now() - t0);
      deps.log.error({ err, decision: d.id, kind }, 'response action failed');
      status = 'failed';
      detail = { error: (err as Error).message };
    }
    return { kind, rule: step.rule, mode: step.mode, status, detail, ms: performance.now() - t0 };
  }
}

/**
 * Every later message of a contained intruder is judged `contain` again, and the engine says so with
 * `account_contained` (the first containing decision does not carry it): the account is already frozen
 * and its owner told, so only what is new is done (its own message taken back, its own recipients
 * warned), not another freeze notice per blocked message.
 */
export function isRepeat(d: DecisionInput): boolean {
  return d.action === 'contain' && d.signals.some((s) => s.name === 'account_contained');
}

/**
 * Steps of one decision inside transaction `tx`: each one's plan applied (enforce mode) and its audit
 * entry, in policy order; then their action records in one statement and their `action.taken` events in
 * one append (a first containment: two statements instead of twelve).
 */
async function recordSteps(
  ctx: ActionContext,
  tx: Tx,
  policy: Policy,
  d: DecisionInput,
  t0: number,
  steps: Array<{
    step: PlannedStep;
    plan: Plan;
    status: StepResult['status'];
    detail: Record<string, unknown>;
  }>,
): Promise<void> {
  const { deps, now } = ctx;
  const rows: ActionsTable[] = [];
  const entries: AuditEntryIn[] = [];
  for (const { step, plan, status, detail } of steps) {
    const { kind } = step.action;
    if (step.mode === 'enforce') await plan.apply(tx);
    entries.push({
      actor: `policy:${step.rule}`,
      action: `${step.mode === 'dry-run' ? 'dry-run:' : ''}${kind}`,
      subject: d.account,
      data: { decision: d.id, params: step.action.params, detail, policy: policy.hash },
    });
    rows.push({
      id: newId('act'),
      decision_id: d.id,
      account: d.account,
      kind,
      rule: step.rule,
      mode: step.mode,
      params: JSON.stringify(step.action.params),
      status,
      detail: JSON.stringify(detail),
      policy_hash: policy.hash,
      created_at: now(),
    });
  }
  // one audit entry per step, as before, appended together (3 statements, not 3 per step)
  await deps.audit.appendManyInTx(tx, entries);
  await q.insertActions(tx, rows);
  const t = now();
  const ms = performance.now() - t0;
  await outboxStore.append(
    tx,
    rows.map((r, i) => {
      const { step, status, detail } = steps[i]!;
      return {
        id: `action:${r.id}`,
        type: 'action.taken' as const,
        time: t,
        account: d.account,
        action: {
          id: r.id,
          kind: step.action.kind,
          mode: step.mode,
          status,
          rule: step.rule,
          decision: d.id,
          detail,
          /** decision time → this action committed (the time the harm was allowed to continue). */
          sinceDecisionMs: Math.max(0, t - d.time),
          ms,
        },
      };
    }),
  );
}
