import type { Localized, Reason } from '@gatehouse/sdk';
import { z } from 'zod';
import { DECISION_EXPLANATIONS, joinExplanations } from '../../engine/index.ts';
import type { Tx } from '../../store/db.ts';
import type { ThrottleGate } from '../throttle.ts';
import type { DecisionInput, ResponseDeps, SentMessage } from '../types.ts';

/**
 * One kind of response action: the parameters a policy rule may give it (a zod schema, checked when
 * the policy loads) and its `plan`. Planning is shared by enforce and dry-run: `detail` is what will be
 * done (the dry-run record); `apply` does it inside the transaction that records it (so platform
 * webhooks go out only if the action is recorded); `after` runs effects outside the database (engine
 * state, identity, notices) once the transaction has committed.
 */
export interface ActionDef<K extends string, S extends z.ZodType> {
  kind: K;
  params: S;
  /** Done once when an account is contained, not again for each later message of the intruder. */
  oncePerContainment?: boolean;
  plan(ctx: ActionContext, d: DecisionInput, params: z.output<S>, repeat: boolean): Promise<Plan>;
  /**
   * Plans the action once for several later decisions on one contained account (batch.ts): one
   * transaction, one webhook naming every message and recipient. Kinds without it run per decision.
   */
  planBatch?(ctx: ActionContext, ds: DecisionInput[], params: z.output<S>): Promise<BatchPlan>;
}

export interface BatchPlan extends Plan {
  /** The record of each decision of the batch but the first (whose record carries `detail`). */
  memberDetail: Record<string, unknown>;
}

export interface Plan {
  detail: Record<string, unknown>;
  apply: (tx: Tx) => Promise<void>;
  after?: () => Promise<void>;
}

/** What an action's plan may use. */
export interface ActionContext {
  deps: ResponseDeps;
  now: () => number;
  challengeTtlMs: number;
  throttles: ThrottleGate;
  displayName(account: string): Promise<string>;
  /** The account's messages since the compromise began, of the decision's session or all of them. */
  intruderMessages(
    d: DecisionInput,
    scope: 'session' | 'since_compromise',
  ): Promise<{ since: number; messages: SentMessage[] }>;
}

export function defineAction<K extends string, S extends z.ZodType>(def: ActionDef<K, S>): ActionDef<K, S> {
  return def;
}

/** The decision's reasons as one line (the signal names), or its action: for machines and records. */
export const reasonOf = (d: DecisionInput) => d.reasons.map((r) => r.signal).join(', ') || d.action;

/** The decision's reasons for people: its plain sentences (engine/explain.ts), or what its action means. */
export const explainedReasons = (d: DecisionInput): Localized =>
  d.reasons.length > 0 ? joinExplanations(d.reasons) : DECISION_EXPLANATIONS[d.action];

/** The decision's reasons as the SDK's `Reason` list (signal name and both sentences). */
export const reasonList = (d: DecisionInput): Reason[] =>
  d.reasons.map((r) => ({ signal: r.signal, en: r.en, zh: r.zh }));

/** A duration like 30s, 15m, 24h or 7d, in milliseconds. */
export const duration = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, 'a duration like 30s, 15m, 24h or 7d')
  .transform(
    (s) =>
      Number(s.slice(0, -1)) *
      { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[s.slice(-1) as 's' | 'm' | 'h' | 'd'],
  );
