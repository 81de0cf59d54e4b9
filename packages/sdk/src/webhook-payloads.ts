import { z } from 'zod';
import { ACCOUNT_WEBHOOKS } from './account-webhooks.ts';
import { AppSuspended } from './app-events.ts';
import { Localized, Reason } from './localized.ts';
import { AccountRestore } from './recovery-events.ts';

/**
 * The payload (`data`) of every webhook Gatehouse sends, one zod schema per type. Gatehouse builds each
 * payload against these schemas (a message that does not match is never sent), and
 * `verifyWebhook(…, { validate: true })` / {@link parseWebhook} return the message typed by its `type`.
 *
 * | type | when | what the platform does |
 * |---|---|---|
 * | `account.frozen` | Gatehouse contained a taken-over account, an operator froze it, or the owner said "this wasn't me" | freeze the account on the platform, show `notice` |
 * | `account.unfrozen` | an appeal restored the account, or an operator lifted a freeze | lift the freeze, show `notice` |
 * | `account.restore` | after `account.unfrozen` of an appeal: what the intruder removed | add friends and groups back, set profile fields back |
 * | `account.throttle` | the account may send at most `perMinute` messages until `until` | enforce the rate, show `notice` to the sender |
 * | `sessions.revoke` | a decision ended the intruder's session (or all of them) | end your sessions made with it |
 * | `message.retract` | a message the intruder sent and the platform delivered | withdraw it from every recipient, show `notice` in its place |
 * | `recipients.warn` | people received the intruder's messages | show `warning` to each recipient and group |
 * | `message.hold` | a message is held until released or expired | keep it undelivered; show `notice` to the sender |
 * | `message.release` | a held message may go out | deliver it |
 * | `message.expire` | a held message's time ran out | drop it |
 * | `content.quarantine` | content of a campaign (text, domain, image fingerprints) is blocked until `expiresAt` | nothing required (the pre-send check refuses it); may hide it |
 * | `content.quarantine_lifted` | a quarantine ended before `expiresAt`: an operator lifted it, or Gatehouse saw owners passing the content along organically | show what you hid of it again; no account (the content is platform-wide) |
 * | `owner.challenge` | "was this you?" | show `text` to the owner on another session; the answer goes to `POST /v1/me/challenges/{id}` |
 * | `owner.notify` | a notice for the owner (containment, sign-in from somewhere new, …) | show `text` (and `notice`) in the app |
 * | `session.revoked`, `sessions.revoked_all`, `password.changed`, `recovery.factors_changed` | identity changes | see `account-webhooks.ts` |
 * | `app.suspended` | a third-party app was suspended platform-wide | tell the user which of their fields it read |
 *
 * A receiver that never delivered a message (the pre-send check held or blocked it) ignores its
 * `message.retract`: there is nothing to withdraw.
 */

/** Who froze or unfroze the account. */
export const StateChangeBy = z.enum(['gatehouse', 'operator', 'owner']);

export const AccountFrozenWebhook = z.object({
  account: z.string(),
  /** `gatehouse`: a decision contained a take-over; `operator`: the safety team; `owner`: "this wasn't me". */
  by: StateChangeBy,
  /** `containment`: the account was taken over (the owner appeals to get it back); `sanction`: a penalty. */
  kind: z.enum(['containment', 'sanction']),
  /** Machine-readable: the decision's signal names, or the operator's or owner's words. */
  reason: z.string(),
  /**
   * Why, in plain English and Chinese with the values ("This message links to a site made to look like
   * steam (steamcomunety.com)"): the decision's top signals; empty when an operator froze the account
   * (their words are `reason`). Show the one in the person's language. Absent in messages from
   * Gatehouse versions before it (validated as empty).
   */
  reasons: z.array(Reason).default([]),
  /** The decision behind a containment by Gatehouse (null otherwise). */
  decision: z.string().nullable(),
  notice: Localized,
});
export type AccountFrozenWebhook = z.infer<typeof AccountFrozenWebhook>;

export const AccountUnfrozenWebhook = z.object({
  account: z.string(),
  /** `owner`: the owner's appeal restored it; `operator`: the safety team (or an approved sanction appeal). */
  by: StateChangeBy,
  reason: z.string(),
  /** The appeal case that restored the account (null for an operator). */
  case: z.string().nullable(),
  notice: Localized,
});
export type AccountUnfrozenWebhook = z.infer<typeof AccountUnfrozenWebhook>;

export const AccountThrottleWebhook = z.object({
  account: z.string(),
  perMinute: z.number().int(),
  /** Epoch ms. */
  until: z.number().int(),
  decision: z.string(),
  notice: Localized,
});
export type AccountThrottleWebhook = z.infer<typeof AccountThrottleWebhook>;

export const SessionsRevokeWebhook = z.object({
  account: z.string(),
  scope: z.enum(['all', 'session']),
  /** The Gatehouse session to end (null: every session of the account). */
  session: z.string().nullable(),
  decision: z.string(),
});
export type SessionsRevokeWebhook = z.infer<typeof SessionsRevokeWebhook>;

export const GroupRef = z.object({ id: z.string(), memberCount: z.number().int() });

export const MessageRetractWebhook = z.object({
  /** The platform's message id (the `messageId` of its `message.sent`, or the event id). */
  message: z.string(),
  account: z.string(),
  recipients: z.array(z.string()),
  group: GroupRef.nullable(),
  decision: z.string(),
  /**
   * A contained account's messages are retracted in batches: every message of the batch with its own
   * recipients (`message`, `recipients` and `group` above describe the first one and the union).
   */
  messages: z
    .array(z.object({ id: z.string(), recipients: z.array(z.string()), group: GroupRef.nullable() }))
    .optional(),
  /** Every decision the batch answers (`decision` is the first). */
  decisions: z.array(z.string()).optional(),
  /** What recipients see in the message's place. */
  notice: Localized,
});
export type MessageRetractWebhook = z.infer<typeof MessageRetractWebhook>;

export const RecipientsWarnWebhook = z.object({
  account: z.string(),
  recipients: z.array(z.string()),
  groups: z.array(z.string()),
  /** The messages they received. */
  messages: z.array(z.string()),
  warning: Localized,
  decision: z.string(),
  /** Every decision the batch answers (`decision` is the first). */
  decisions: z.array(z.string()).optional(),
});
export type RecipientsWarnWebhook = z.infer<typeof RecipientsWarnWebhook>;

export const MessageHoldWebhook = z.object({
  message: z.string(),
  account: z.string(),
  /** Epoch ms: without a release by then, `message.expire` follows. */
  expiresAt: z.number().int(),
  decision: z.string(),
  /** Why, for the sender's notice and the platform's support staff. */
  reasons: z.array(Reason),
  notice: Localized,
});
export type MessageHoldWebhook = z.infer<typeof MessageHoldWebhook>;

export const MessageReleaseWebhook = z.object({ message: z.string(), account: z.string() });
export type MessageReleaseWebhook = z.infer<typeof MessageReleaseWebhook>;
export const MessageExpireWebhook = z.object({ message: z.string(), account: z.string() });
export type MessageExpireWebhook = z.infer<typeof MessageExpireWebhook>;

export const ContentQuarantineWebhook = z.object({
  /** Fingerprint keys: `t:` text, `d:` registered domain, `i:` image hash. */
  keys: z.array(z.string()),
  expiresAt: z.number().int(),
  decision: z.string(),
});
export type ContentQuarantineWebhook = z.infer<typeof ContentQuarantineWebhook>;

export const ContentQuarantineLiftedWebhook = z.object({
  /** The fingerprint keys no longer quarantined (as in `content.quarantine`). */
  keys: z.array(z.string()),
  /**
   * `operator`: the safety team lifted it; `organic`: owners on their own devices pass the content along
   * and no campaign holds it (an early quarantine that turned out to hold a crowd). A quarantine that
   * ran to its `expiresAt` sends nothing: its end was announced.
   */
  reason: z.enum(['operator', 'organic']),
  /** The decision whose `content.quarantine` this ends. */
  decision: z.string(),
});
export type ContentQuarantineLiftedWebhook = z.infer<typeof ContentQuarantineLiftedWebhook>;

export const OwnerChallengeWebhook = z.object({
  challenge: z.string(),
  account: z.string(),
  /** The session suspected of the activity: never show the challenge there. */
  suspectedSession: z.string().nullable(),
  channel: z.enum(['trusted_session', 'email', 'phone', 'any']),
  text: Localized,
  decision: z.string(),
});
export type OwnerChallengeWebhook = z.infer<typeof OwnerChallengeWebhook>;

/** A notice as the notification part lays it out for the app, in the owner's language. */
export const InAppNotice = z.object({
  id: z.string(),
  kind: z.string(),
  locale: z.enum(['zh-CN', 'en']),
  title: z.string(),
  body: z.string(),
  url: z.string().optional(),
});
export type InAppNotice = z.infer<typeof InAppNotice>;

export const OwnerNotifyWebhook = z.object({
  account: z.string(),
  text: Localized,
  /** The decision that contained the account (null for notices of the notification part). */
  decision: z.string().nullable(),
  /** The notice laid out in the owner's language (null for a containment notice of a decision). */
  notice: InAppNotice.nullable(),
});
export type OwnerNotifyWebhook = z.infer<typeof OwnerNotifyWebhook>;

/** Payload schema of every webhook type. */
export const WEBHOOKS = {
  'account.frozen': AccountFrozenWebhook,
  'account.unfrozen': AccountUnfrozenWebhook,
  'account.restore': AccountRestore,
  'account.throttle': AccountThrottleWebhook,
  'sessions.revoke': SessionsRevokeWebhook,
  'message.retract': MessageRetractWebhook,
  'recipients.warn': RecipientsWarnWebhook,
  'message.hold': MessageHoldWebhook,
  'message.release': MessageReleaseWebhook,
  'message.expire': MessageExpireWebhook,
  'content.quarantine': ContentQuarantineWebhook,
  'content.quarantine_lifted': ContentQuarantineLiftedWebhook,
  'owner.challenge': OwnerChallengeWebhook,
  'owner.notify': OwnerNotifyWebhook,
  ...ACCOUNT_WEBHOOKS,
  'app.suspended': AppSuspended,
} as const;
export type WebhookType = keyof typeof WEBHOOKS;
export type WebhookPayload<T extends WebhookType> = z.infer<(typeof WEBHOOKS)[T]>;
/** Every webhook type, sorted. */
export const WEBHOOK_TYPES = (Object.keys(WEBHOOKS) as WebhookType[]).sort();

export function isWebhookType(t: unknown): t is WebhookType {
  return typeof t === 'string' && Object.hasOwn(WEBHOOKS, t);
}

/** A webhook message whose `data` was validated against its type's schema; narrow it with `type`. */
export type TypedWebhookMessage = {
  [T in WebhookType]: {
    id: string;
    type: T;
    /** ISO 8601 time the message was enqueued. */
    timestamp: string;
    account?: string;
    data: WebhookPayload<T>;
  };
}[WebhookType];

/**
 * Whether a subscription pattern (`account.frozen`, `account.*`, `*`) names at least one real type.
 * Endpoints are refused patterns that match nothing (a typo would silently never receive anything).
 */
export function webhookPatternMatches(pattern: string): WebhookType[] {
  if (pattern === '*') return WEBHOOK_TYPES;
  if (pattern.endsWith('.*')) return WEBHOOK_TYPES.filter((t) => t.startsWith(pattern.slice(0, -1)));
  return isWebhookType(pattern) ? [pattern] : [];
}
