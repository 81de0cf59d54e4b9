/**
 * The pre-send check's body read by hand: the common, plainly valid message.sent (an id, a time in epoch
 * milliseconds, an account, recipients or a group, a text, links, a client; no attachments) becomes
 * the very event the SDK's zod schema gives (the same fields in the same order, defaults filled,
 * unknown keys dropped) without the schema's walk, which cost a check more than scoring its text.
 * Anything else — a missing or odd field, an ISO time, attachments, an id with control characters or
 * surrogates, a text near the size limit — answers undefined, and the caller asks parsePlatformEvent,
 * whose answer and errors stay the only ones. check-body.test.ts holds the two to the same output.
 */
import { MAX_RECIPIENTS, MAX_TEXT_BYTES, MAX_URLS, type MessageSentEvent } from '@gatehouse/sdk';

/** An id every schema rule passes: 1 to 128 UTF-16 units, none a control character or a surrogate. */
const PLAIN_ID = /^[\u0020-\ud7ff\ue000-\uffff]{1,128}$/;
const KINDS = new Set(['mobile', 'desktop', 'web', 'bot']);
const MAX_TIME = 8.64e15;

const plainId = (v: unknown): v is string => typeof v === 'string' && PLAIN_ID.test(v);

/**
 * The parsed event when `obj` is plainly valid, else undefined. With `now`, `obj` is the check's body as
 * sent: a missing `type` is message.sent and a missing (or null) `time` is `now`, as in
 * `{ type: 'message.sent', ...body, time: body.time ?? now }`, without making that copy.
 */
export function plainMessageSent(obj: Record<string, unknown>, now?: number): MessageSentEvent | undefined {
  const { id, account, messageId, session, recipients, group, text, urls, attachments, client } = obj;
  const type = now !== undefined && !Object.hasOwn(obj, 'type') ? 'message.sent' : obj.type;
  const time = now !== undefined ? (obj.time ?? now) : obj.time;
  if (type !== 'message.sent' || !plainId(id) || !plainId(account)) return undefined;
  if (typeof time !== 'number' || !Number.isInteger(time) || time < 0 || time > MAX_TIME) return undefined;
  if (attachments !== undefined) return undefined;
  const ev: Record<string, unknown> = { id, time, account, type };
  if (messageId !== undefined) {
    if (!plainId(messageId)) return undefined;
    ev.messageId = messageId;
  }
  if (session !== undefined) {
    if (!plainId(session)) return undefined;
    ev.session = session;
  }
  if (recipients !== undefined) {
    if (!Array.isArray(recipients) || recipients.length > MAX_RECIPIENTS) return undefined;
    for (const r of recipients) if (!plainId(r)) return undefined;
    ev.recipients = recipients.slice();
  }
  if (group !== undefined) {
    if (typeof group !== 'object' || group === null || Array.isArray(group)) return undefined;
    const g = group as Record<string, unknown>;
    if (!plainId(g.id)) return undefined;
    const m = g.memberCount;
    if (m === undefined) ev.group = { id: g.id };
    else if (typeof m === 'number' && Number.isInteger(m) && m >= 0 && m <= 100_000_000)
      ev.group = { id: g.id, memberCount: m };
    else return undefined;
  }
  if (ev.group === undefined && (ev.recipients === undefined || (ev.recipients as string[]).length === 0))
    return undefined;
  if (text === undefined) ev.text = '';
  // a text that could be over the limit is measured by the event parser (its own reason, text_too_long)
  else if (typeof text === 'string' && text.length * 3 <= MAX_TEXT_BYTES) ev.text = text;
  else return undefined;
  if (urls === undefined) ev.urls = [];
  else {
    if (!Array.isArray(urls) || urls.length > MAX_URLS) return undefined;
    for (const u of urls) if (typeof u !== 'string' || u.length < 1 || u.length > 2048) return undefined;
    ev.urls = urls.slice();
  }
  ev.attachments = [];
  if (typeof client !== 'object' || client === null || Array.isArray(client)) return undefined;
  const c = client as Record<string, unknown>;
  if (typeof c.kind !== 'string' || !KINDS.has(c.kind)) return undefined;
  if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 64) return undefined;
  const version = c.version === undefined ? '' : c.version;
  if (typeof version !== 'string' || version.length > 64) return undefined;
  ev.client = { kind: c.kind, name: c.name, version };
  return ev as MessageSentEvent;
}

/** A check's body as the event parser reads it: a message.sent, sent now unless it says when (not null). */
export function checkedEvent(body: object | undefined, now: number): Record<string, unknown> {
  const obj: Record<string, unknown> = body ? { ...body } : {};
  obj.time ??= now;
  return { type: 'message.sent', ...obj };
}
