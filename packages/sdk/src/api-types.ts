/**
 * Answers of the platform routes the SDK calls (webhook endpoints, challenges, recovery, risk, actions).
 * They follow the server's response schemas (`/openapi.json`).
 */
import type { Device } from './identity-events.ts';
import type { Localized, Reason } from './localized.ts';
import type { WebhookType } from './webhook-payloads.ts';

export interface WebhookEndpoint {
  id: string;
  url: string;
  /** Exact types, prefixes ("account.*") or "*". */
  types: string[];
  description: string;
  createdAt: number;
  /** Until when the secret before the last rotation still signs (null: one secret). */
  previousSecretExpiresAt: number | null;
}

export interface WebhookEndpointInput {
  url: string;
  /** Default every type ("*"). A pattern that names no real type is refused (WEBHOOK_TYPE_UNKNOWN). */
  types?: Array<WebhookType | `${string}.*` | '*'>;
  description?: string;
}

export interface DeadLetter {
  messageId: string;
  endpointId: string;
  type: string;
  account: string | null;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  enqueuedAt: number;
  deadAt: number | null;
}

export interface Delivery {
  endpointId: string;
  state: 'pending' | 'delivered' | 'dead' | 'cancelled';
  attempts: Array<{ at: number; status: number | null; latencyMs: number; error: string | null }>;
}

/** A pending "was this you?" challenge, shown to the owner on a session other than the suspected one. */
export interface Challenge {
  id: string;
  reason: string;
  text: Localized;
  createdAt: number;
  expiresAt: number;
  suspectedSession: string | null;
}

/** An action the response part took (or, in dry-run, would have taken). */
export interface ResponseAction {
  id: string;
  decision: string;
  account: string;
  kind: string;
  rule: string;
  mode: 'enforce' | 'dry-run';
  params: Record<string, unknown>;
  status: string;
  detail: Record<string, unknown>;
  policy: string;
  createdAt: number;
}

/** An account's risk: the engine's current view, its recent events and decisions with their signals. */
export interface AccountRisk {
  account: string;
  risk: number;
  contained: boolean;
  /** The engine's in-memory view (profile, last session, …); null once only stored history remains. */
  state: Record<string, unknown> | null;
  events: Array<{ seq: number; id: string; type: string; time: number; [k: string]: unknown }>;
  decisions: Array<{
    id: string;
    action: string;
    risk: number;
    reasons?: Reason[];
    [k: string]: unknown;
  }>;
}

export type RecoveryNextStep =
  | 'choose_method'
  | 'answer'
  | 'wait_for_friends'
  | 'wait'
  | 'pledge'
  | 'password'
  | 'review_sessions'
  | 'finish'
  | 'done';

/** An appeal case as its holder sees it; before verification `details` is false and most fields are null. */
export interface RecoveryCase {
  id: string;
  state: string;
  /** False before verification: the fields below that are null are hidden, not unknown. */
  details: boolean;
  account: { id: string; handle: string } | null;
  openedBy: string;
  createdAt: number;
  expiresAt: number;
  method: string | null;
  verifiedBy: string | null;
  verifiedAt: number | null;
  /** Verified by trusted friends alone: the appeal goes on from this time (another method skips the wait). */
  readyAt: number | null;
  pledge: { version: string; at: number } | null;
  passwordChanged: boolean;
  sessionsReviewed: boolean;
  lockedUntil: number | null;
  window: { start: number; end: number } | null;
  rejectReason: string | null;
  closedAt: number | null;
  /** What to do next, in both languages. */
  next: { step: RecoveryNextStep } & Localized;
}

export type VerificationMethod =
  'passkey' | 'totp' | 'recovery_code' | 'trusted_friends' | 'email_code' | 'phone_code';

export interface RecoveryMethods {
  methods: Array<{ kind: VerificationMethod; available: boolean }>;
}

/** `POST /v1/recovery/appeals`: a containment opens a case (token once); a sanction waits for an operator. */
export type AppealAnswer =
  | ({ token: string; case: RecoveryCase } & RecoveryMethods)
  | {
      queued: {
        id: string;
        state: 'pending' | 'approved' | 'denied' | 'closed';
        createdAt: number;
        decidedAt: number | null;
        notice: Localized;
      };
    };

/** Every appeal step answers the case (with its next step) and the step's own members. */
export type RecoveryStep<T = unknown> = { case: RecoveryCase } & T;

export interface ReviewSession {
  id: string;
  method: string;
  device: Device;
  ip: string;
  createdAt: number;
  [k: string]: unknown;
}

export interface RecoverySessions {
  sessions: ReviewSession[];
  grants: Array<{ id: string; client: string; scopes: string[]; createdAt: number; name?: Localized }> | null;
  /** Sessions (and grants) from the compromise: they must be revoked. */
  mustRevoke: string[];
}
