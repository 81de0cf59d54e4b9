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
    signals?: Array<{ name: string; value: unknown; weight?: number }>;
  };
  /** Messages retracted by the response part. */
  retracted?: { count: number; messageIds?: string[] };
  /** Recipients warned by the response part. */
  warned?: { count: number; accounts?: string[] };
}

/** The platform webhook outbox (webhooks part): enqueue inside the caller's transaction. */
export type EnqueueWebhook = (
  tx: Tx,
  msg: { type: string; account?: string; payload: Record<string, unknown> },
) => Promise<unknown>;

/** The audit log (audit part): append inside the caller's transaction. */
export type AppendAudit = (
  tx: Tx,
  entry: { actor: string; action: string; subject: string; data?: Record<string, unknown>; at?: number },
) => Promise<unknown>;

/** Third-party app grants (oauth part): listed and revocable by the owner during the review. */
export interface GrantsPort {
  list(
    accountId: string,
  ): Promise<Array<{ id: string; client: string; scopes: string[]; createdAt: number }>>;
  revoke(accountId: string, grantId: string): Promise<void>;
}
