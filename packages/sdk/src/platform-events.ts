/**
 * Platform events: what a chat platform tells Gatehouse about its users' activity.
 *
 * Every event has a client-chosen `id` (≤ 128 chars, the idempotency key), a `type`, the event
 * `time` (ISO 8601 with offset, or epoch milliseconds) and the acting `account`.
 *
 * Bounds (documented, enforced by {@link parsePlatformEvent}):
 * - `recipients`: at most {@link MAX_RECIPIENTS} (10,000) per event. Larger lists are REJECTED with
 *   reason `recipients_too_many` (a list that long is not a chat message; send a `group` instead).
 * - `text`: at most {@link MAX_TEXT_BYTES} (1 MiB, UTF-8), scored whole (a link after the first 64 KiB
 *   counts like one at the start). Longer texts are REJECTED with reason `text_too_long` (never cut:
 *   what is not read cannot be scored); the pre-send check answers 413 `TEXT_TOO_LONG`.
 * - `urls`: at most 100, each ≤ 2,048 chars; `attachments`: at most 32 (an image in `data`: ≤ 1 MiB).
 * - `time`: at most 24 h in the past and 5 min in the future of the moment Gatehouse receives it
 *   (reasons `too_old` / `too_far_in_future`; checked by the engine at ingestion).
 */
import { z } from 'zod';

export const MAX_EVENT_ID = 128;
export const MAX_RECIPIENTS = 10_000;
export const MAX_TEXT_BYTES = 1024 * 1024;
export const MAX_URLS = 100;
export const MAX_ATTACHMENTS = 32;

/** Stable reason codes for a rejected event (per event, inside a batch answer). */
export const EVENT_REJECTION_REASONS = [
  'invalid_event',
  'unknown_type',
  'recipients_too_many',
  'text_too_long',
  'too_old',
  'too_far_in_future',
] as const;
export type EventRejectionReason = (typeof EVENT_REJECTION_REASONS)[number];

/** No NUL or other C0 control characters and no lone surrogates in ids (they are database keys). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const SAFE_KEY = /^(?:[^\u0000-\u001f\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])+$/;
const id = z.string().min(1).max(MAX_EVENT_ID).regex(SAFE_KEY, 'no control characters or lone surrogates');
const accountId = z.string().min(1).max(128).regex(SAFE_KEY, 'no control characters or lone surrogates');

/** Event time: ISO 8601 (with offset) or epoch milliseconds; parsed to epoch milliseconds. */
export const eventTime = z
  .union([z.number().int().min(0).max(8.64e15), z.iso.datetime({ offset: true })])
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

const base = { id, time: eventTime, account: accountId };

/** The UTF-8 size of `text` when it is over `maxBytes`, else 0 (cheap for short texts). */
export function utf8Over(text: string, maxBytes: number): number {
  // Fast path: every UTF-16 unit is at most 3 UTF-8 bytes.
  if (text.length * 3 <= maxBytes) return 0;
  const n = Buffer.byteLength(text, 'utf8');
  return n > maxBytes ? n : 0;
}

export const clientInfo = z.object({
  kind: z.enum(['mobile', 'desktop', 'web', 'bot']),
  name: z.string().min(1).max(64),
  version: z.string().max(64).default(''),
});

/** Largest image Gatehouse reads from an attachment's `data` (bytes, before base64). */
export const MAX_ATTACHMENT_IMAGE_BYTES = 1024 * 1024;
/** QR payloads per attachment, and the longest one. */
export const MAX_QR_PAYLOADS = 4;
export const MAX_QR_PAYLOAD = 4096;

export const attachment = z.object({
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/),
  pdq: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .optional(),
  mime: z.string().max(128).optional(),
  /**
   * The image itself (base64, at most {@link MAX_ATTACHMENT_IMAGE_BYTES} bytes decoded), when the
   * platform wants Gatehouse to read QR codes in it. Gatehouse decodes it on arrival, keeps only the
   * QR text (`qr`) and never stores the image.
   */
  data: z
    .base64()
    .max(Math.ceil(MAX_ATTACHMENT_IMAGE_BYTES / 3) * 4)
    .optional(),
  /** The text of QR codes in the image: decoded by the platform, or by Gatehouse from `data`. */
  qr: z.array(z.string().max(MAX_QR_PAYLOAD)).max(MAX_QR_PAYLOADS).optional(),
});

export const groupRef = z.object({
  id: accountId,
  memberCount: z.number().int().min(0).max(100_000_000).optional(),
});

export const messageSent = z
  .object({
    ...base,
    type: z.literal('message.sent'),
    /** The platform's message id (reports refer to it); defaults to the event id. */
    messageId: id.optional(),
    /** The sender's session id (as known to the platform / Gatehouse identity). */
    session: accountId.optional(),
    recipients: z.array(accountId).max(MAX_RECIPIENTS).optional(),
    group: groupRef.optional(),
    text: z.string().default(''),
    urls: z.array(z.string().min(1).max(2048)).max(MAX_URLS).default([]),
    attachments: z.array(attachment).max(MAX_ATTACHMENTS).default([]),
    client: clientInfo,
  })
  .refine((m) => (m.recipients !== undefined && m.recipients.length > 0) || m.group !== undefined, {
    message: 'a message needs recipients or a group',
    path: ['recipients'],
  })
  .refine((m) => utf8Over(m.text, MAX_TEXT_BYTES) === 0, {
    message: `text over ${MAX_TEXT_BYTES} bytes of UTF-8`,
    path: ['text'],
  });

export const messageReported = z.object({
  ...base,
  type: z.literal('message.reported'),
  /** The reported message (its `messageId`, or the event id of its `message.sent`). */
  messageId: id,
  /** The account that sent the reported message. `account` is the reporting recipient. */
  sender: accountId,
  reason: z.enum(['spam', 'scam', 'not_my_friend']),
});

export const friendAdded = z.object({ ...base, type: z.literal('friend.added'), friend: accountId });
export const friendRemoved = z.object({ ...base, type: z.literal('friend.removed'), friend: accountId });
export const groupJoined = z.object({ ...base, type: z.literal('group.joined'), group: groupRef });
export const groupLeft = z.object({ ...base, type: z.literal('group.left'), group: groupRef });
export const profileChanged = z.object({
  ...base,
  type: z.literal('profile.changed'),
  field: z.string().min(1).max(64),
  old: z.string().max(4096).nullable().optional(),
  new: z.string().max(4096).nullable().optional(),
});
/** `account` blocked `contact` (a weak report against `contact`). */
export const contactBlocked = z.object({ ...base, type: z.literal('contact.blocked'), contact: accountId });

export const PLATFORM_EVENT_TYPES = [
  'message.sent',
  'message.reported',
  'friend.added',
  'friend.removed',
  'group.joined',
  'group.left',
  'profile.changed',
  'contact.blocked',
] as const;
export type PlatformEventType = (typeof PLATFORM_EVENT_TYPES)[number];

const SCHEMAS = {
  'message.sent': messageSent,
  'message.reported': messageReported,
  'friend.added': friendAdded,
  'friend.removed': friendRemoved,
  'group.joined': groupJoined,
  'group.left': groupLeft,
  'profile.changed': profileChanged,
  'contact.blocked': contactBlocked,
} as const;

export const platformEvent = z.union([
  messageSent,
  messageReported,
  friendAdded,
  friendRemoved,
  groupJoined,
  groupLeft,
  profileChanged,
  contactBlocked,
]);

/** A parsed platform event (time in epoch ms, defaults applied, text bounded). */
export type PlatformEvent = z.output<typeof platformEvent>;
/** What a client sends (time as ISO string or epoch ms). */
export type PlatformEventInput = z.input<typeof platformEvent>;
export type MessageSentEvent = z.output<typeof messageSent>;
export type MessageSentInput = z.input<typeof messageSent>;
export type MessageReportedEvent = z.output<typeof messageReported>;

export type ParseEventResult =
  | { ok: true; event: PlatformEvent }
  | { ok: false; id: string | undefined; reason: EventRejectionReason; detail: string };

/** Issues a detail names at most; more are counted ("and 3 more"). */
const DETAIL_ISSUES = 5;

/** `path: message` for each issue (a newcomer fixes every field in one round trip, not one per call). */
function describeIssues(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): string {
  const parts = issues
    .slice(0, DETAIL_ISSUES)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message));
  const more = issues.length - parts.length;
  return (parts.join('; ') || 'invalid') + (more > 0 ? `; and ${more} more` : '');
}

/**
 * Validates one platform event. Never throws; a bad event gets a stable reason code and a short
 * detail (up to DETAIL_ISSUES validation issues, `path: message` each, in the schema's order).
 */
export function parsePlatformEvent(input: unknown): ParseEventResult {
  const obj = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const eid = typeof obj.id === 'string' && obj.id.length <= MAX_EVENT_ID ? obj.id : undefined;
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, id: undefined, reason: 'invalid_event', detail: 'an event must be an object' };
  const type = obj.type;
  if (typeof type !== 'string' || !Object.hasOwn(SCHEMAS, type))
    return {
      ok: false,
      id: eid,
      reason: 'unknown_type',
      detail: `unknown event type ${JSON.stringify(type)}`,
    };
  if (Array.isArray(obj.recipients) && obj.recipients.length > MAX_RECIPIENTS)
    return {
      ok: false,
      id: eid,
      reason: 'recipients_too_many',
      detail: `${obj.recipients.length} recipients; at most ${MAX_RECIPIENTS} per event`,
    };
  if (type === 'message.sent' && typeof obj.text === 'string') {
    const over = utf8Over(obj.text, MAX_TEXT_BYTES);
    if (over > 0)
      return {
        ok: false,
        id: eid,
        reason: 'text_too_long',
        detail: `text is ${over} bytes of UTF-8; at most ${MAX_TEXT_BYTES} per message`,
      };
  }
  const r = SCHEMAS[type as PlatformEventType].safeParse(input);
  if (!r.success)
    return { ok: false, id: eid, reason: 'invalid_event', detail: describeIssues(r.error.issues) };
  return { ok: true, event: r.data as PlatformEvent };
}

// ---- typed builders (fill `id` and `time` when omitted) ----

let seq = 0;
function newId(): string {
  seq = (seq + 1) % 1_000_000;
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}-${seq.toString(36)}`;
}

type Builder<T extends { type: string }> = Omit<T, 'type' | 'id' | 'time'> & {
  id?: string;
  time?: string | number;
};

function build<T extends { type: string }>(type: T['type'], fields: Builder<T>): T {
  return { id: newId(), time: Date.now(), ...fields, type } as unknown as T;
}

/** An event of `type` with `id` and `time` filled when the caller left them out. */
export function withIdAndTime<F extends { id?: string | undefined; time?: string | number | undefined }>(
  type: string,
  fields: F,
): F & { type: string; id: string; time: string | number } {
  return { ...fields, type, id: fields.id ?? newId(), time: fields.time ?? Date.now() };
}

export const events = {
  messageSent: (f: Builder<MessageSentInput>) => build<MessageSentInput>('message.sent', f),
  messageReported: (f: Builder<z.input<typeof messageReported>>) => build('message.reported', f),
  friendAdded: (f: Builder<z.input<typeof friendAdded>>) => build('friend.added', f),
  friendRemoved: (f: Builder<z.input<typeof friendRemoved>>) => build('friend.removed', f),
  groupJoined: (f: Builder<z.input<typeof groupJoined>>) => build('group.joined', f),
  groupLeft: (f: Builder<z.input<typeof groupLeft>>) => build('group.left', f),
  profileChanged: (f: Builder<z.input<typeof profileChanged>>) => build('profile.changed', f),
  contactBlocked: (f: Builder<z.input<typeof contactBlocked>>) => build('contact.blocked', f),
};

export * from './events-client.ts';
