import type { Tx } from '../store/db.ts';

/**
 * What recovery needs from other parts, as small interfaces. The composition root fills them with the real
 * parts once they exist (engine event log, webhooks outbox, audit log, response actions, OAuth grants);
 * whatever is absent is reported as unavailable, never simulated.
 */

/** One platform event as the engine's event log keeps it (message.sent, friend.removed, …). */
export interface LoggedEvent {
  id: string;
  type: string;
  /** Epoch ms. */
  time: number;
  account: string;
  session?: string;
  [k: string]: unknown;
}

/** The engine's per-account event log. */
export interface AccountEventLog {
  /** Events of one account with time in [from, to], oldest first, at most `limit` (default 10,000). */
  between(
    account: string,
    from: number,
    to: number,
    opts?: { types?: readonly string[]; limit?: number },
  ): Promise<LoggedEvent[]>;
}

/** What the engine and response parts know about a compromise (all optional). */
export interface CompromiseFacts {
  /** The intruder's first access (epoch ms). */
  windowStart?: number;
  /** The freeze (epoch ms). */
  windowEnd?: number;
  /** How the account was taken. */
  entry?: { method: string; ip: string; device: string; at: number; session?: string };
  /** The decision that froze the account, in plain words, with its signals. */
  decision?: {
    at: number;
    summary: string;
    /** Why, in plain words (the decision's reasons as sentences with their values), when known. */
    why?: { en: string; zh: string };
    signals?: Array<{ name: string; value: unknown; weight?: number }>;
  };
  /** Messages retracted by the response part. */
  retracted?: { count: number; messageIds?: string[] };
  /** Recipients warned by the response part. */
  warned?: { count: number; accounts?: string[] };
  /** Messages the pre-send check stopped (never delivered): not counted as sent. */
  stopped?: string[];
}

/** The platform webhook outbox (webhooks part): enqueue inside the caller's transaction. */
export type { EnqueueWebhook } from '../webhooks/index.ts';

/** The audit log (audit part): append inside the caller's transaction. */
export type AppendAudit = (
  tx: Tx,
  entry: { actor: string; action: string; subject: string; data?: Record<string, unknown>; at?: number },
) => Promise<unknown>;

/** Third-party app grants (oauth part): listed and revocable by the owner during the review. */
export interface GrantsPort {
  /** Live grants; with the compromise window, each says whether it was authorised or used inside it. */
  list(
    accountId: string,
    window?: { start: number; end: number },
  ): Promise<
    Array<{
      id: string;
      client: string;
      scopes: string[];
      createdAt: number;
      name?: { en: string; zh: string };
      authorisedDuringWindow?: boolean;
      usedDuringWindow?: boolean;
    }>
  >;
  revoke(accountId: string, grantId: string): Promise<void>;
  /** Which apps read which of the owner's fields in [from, to] (the owner's report). */
  readsDuring?(
    accountId: string,
    from: number,
    to: number,
  ): Promise<Array<{ client: string; name: { en: string; zh: string }; fields: string[]; reads: number }>>;
}
