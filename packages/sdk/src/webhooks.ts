/**
 * Verifying Gatehouse webhooks (Standard Webhooks: https://www.standardwebhooks.com) and reading the
 * pull feed. Works in Node.js 22+ (node:crypto).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isWebhookType, WEBHOOK_TYPES, WEBHOOKS, type TypedWebhookMessage } from './webhook-payloads.ts';

export interface WebhookMessage<D = Record<string, unknown>> {
  /** The message id: the idempotency key, the same on every retry and in the pull feed. */
  id: string;
  type: string;
  /** ISO 8601 time the message was enqueued. */
  timestamp: string;
  account?: string;
  data: D;
}

export type WebhookVerificationCode =
  'missing_headers' | 'bad_timestamp' | 'bad_signature' | 'bad_body' | 'bad_secret' | 'bad_payload';

/** Standard Webhooks secrets are 24 to 64 random bytes; Gatehouse's are 24. */
export const MIN_SECRET_BYTES = 24;

export class WebhookVerificationError extends Error {
  readonly code: WebhookVerificationCode;
  constructor(code: WebhookVerificationCode, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.code = code;
  }
}

/** Headers as a plain object (Node's IncomingHttpHeaders), a Headers instance, or a Map. */
export type WebhookHeaders =
  Record<string, string | string[] | undefined> | { get(name: string): string | null | undefined };

function header(h: WebhookHeaders, name: string): string | undefined {
  if (typeof (h as { get?: unknown }).get === 'function') {
    const v = (h as { get(n: string): string | null | undefined }).get(name);
    return v ?? undefined;
  }
  const rec = h as Record<string, string | string[] | undefined>;
  const v = rec[name] ?? Object.entries(rec).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The key bytes of a secret ("whsec_" + base64). An empty, malformed or short secret is refused: an HMAC
 * with an empty or guessable key proves nothing, so it must never pass for a verified webhook.
 */
function secretKey(secret: string): Buffer {
  const b64 = typeof secret === 'string' ? (secret.startsWith('whsec_') ? secret.slice(6) : secret) : '';
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, 'base64') : Buffer.alloc(0);
  if (key.length < MIN_SECRET_BYTES)
    throw new WebhookVerificationError(
      'bad_secret',
      `webhook secrets must be at least ${MIN_SECRET_BYTES} random bytes (whsec_ + base64); this one is not`,
    );
  return key;
}

export interface VerifyOptions {
  /** Seconds the webhook-timestamp may be away from now (default 300). */
  toleranceSeconds?: number;
  now?: number | Date;
  /**
   * Also check `data` against its type's schema and return a {@link TypedWebhookMessage} (narrow it
   * with `switch (msg.type)`); an unknown type or a payload that does not match throws `bad_payload`.
   */
  validate?: boolean;
}

/**
 * Checks a webhook's signature and timestamp and returns the parsed message. Pass the raw body exactly as
 * received (string or bytes), every secret currently valid for the endpoint (during a rotation: old and
 * new), and the request headers. Throws WebhookVerificationError with code missing_headers,
 * bad_timestamp (outside ±toleranceSeconds, default 300), bad_signature, bad_secret (no secret, or an
 * empty, malformed or short one: refused before anything is compared), bad_body (signed but not JSON)
 * or, with `validate: true`, bad_payload. Comparison is constant-time. Deduplicate on the returned id:
 * delivery is at least once.
 *
 * @example
 * const msg = verifyWebhook([secret], req.headers, rawBody, { validate: true });
 * switch (msg.type) {
 *   case 'message.retract': await withdraw(msg.data.message, msg.data.recipients, msg.data.notice); break;
 *   case 'account.frozen': await freeze(msg.data.account, msg.data.notice); break;
 * }
 */
export function verifyWebhook(
  secrets: string | string[],
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  opts: VerifyOptions & { validate: true },
): TypedWebhookMessage;
export function verifyWebhook<D = Record<string, unknown>>(
  secrets: string | string[],
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  opts?: VerifyOptions,
): WebhookMessage<D>;
export function verifyWebhook(
  secrets: string | string[],
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  opts: VerifyOptions = {},
): WebhookMessage | TypedWebhookMessage {
  const keys = (Array.isArray(secrets) ? secrets : [secrets]).map(secretKey);
  if (keys.length === 0) throw new WebhookVerificationError('bad_secret', 'no webhook secret was given');
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sig = header(headers, 'webhook-signature');
  if (!id || !ts || !sig)
    throw new WebhookVerificationError(
      'missing_headers',
      'webhook-id, webhook-timestamp and webhook-signature are required',
    );
  if (!/^\d{1,15}$/.test(ts))
    throw new WebhookVerificationError('bad_timestamp', 'webhook-timestamp is not a number');
  const nowMs =
    opts.now === undefined ? Date.now() : opts.now instanceof Date ? opts.now.getTime() : opts.now;
  const tolerance = opts.toleranceSeconds ?? 300;
  if (Math.abs(Math.floor(nowMs / 1000) - Number(ts)) > tolerance)
    throw new WebhookVerificationError('bad_timestamp', `webhook-timestamp is more than ${tolerance} s away`);
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody);
  const presented = sig
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  let ok = false;
  for (const key of keys) {
    const mac = createHmac('sha256', key).update(`${id}.${ts}.`, 'utf8').update(body).digest();
    for (const p of presented) {
      // Do every comparison (no early exit) so timing does not reveal which one matched.
      if (p.length === mac.length && timingSafeEqual(p, mac)) ok = true;
    }
  }
  if (!ok) throw new WebhookVerificationError('bad_signature', 'no signature matches');
  let parsed: Omit<WebhookMessage, 'id'> & { id?: string };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    throw new WebhookVerificationError('bad_body', 'the signed body is not JSON');
  }
  const msg: WebhookMessage = {
    id,
    type: parsed.type,
    timestamp: parsed.timestamp,
    ...(parsed.account !== undefined ? { account: parsed.account } : {}),
    data: parsed.data,
  };
  return opts.validate ? parseWebhook(msg) : msg;
}

/**
 * Validates a message (from a webhook or the pull feed) against its type's schema and returns it typed.
 * Throws WebhookVerificationError `bad_payload` for an unknown type or a payload that does not match.
 *
 * @example
 * for (const m of (await feed.page(cursor)).messages) {
 *   const msg = parseWebhook(m);
 *   if (msg.type === 'account.frozen') await freeze(msg.data.account);
 * }
 */
export function parseWebhook(message: WebhookMessage<unknown>): TypedWebhookMessage {
  if (!isWebhookType(message.type))
    throw new WebhookVerificationError(
      'bad_payload',
      `unknown webhook type ${JSON.stringify(message.type)}; known: ${WEBHOOK_TYPES.join(', ')}`,
    );
  const r = WEBHOOKS[message.type].safeParse(message.data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new WebhookVerificationError(
      'bad_payload',
      `${message.type}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    );
  }
  return {
    id: message.id,
    type: message.type,
    timestamp: message.timestamp,
    ...(message.account !== undefined ? { account: message.account } : {}),
    data: r.data,
  } as TypedWebhookMessage;
}

export interface FeedPage {
  messages: WebhookMessage[];
  /** Pass as `after` for the next page; an empty page returns the same cursor. */
  next: string;
}

/**
 * The pull feed, for platforms that cannot receive webhooks: every message in commit order, with the
 * same ids as the webhooks. Persist `next` after processing a page; re-reading a cursor is idempotent.
 */
export class FeedClient {
  private readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly f: typeof fetch;
  constructor(opts: { baseUrl: string; apiKey: string; fetch?: typeof fetch }) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    this.f = opts.fetch ?? fetch;
  }

  async page(after?: string, limit = 100): Promise<FeedPage> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (after) q.set('after', after);
    const res = await this.f(`${this.baseUrl}/v1/webhooks/feed?${q}`, {
      headers: { authorization: `Bearer ${this.apiKey}`, accept: 'application/json' },
    });
    const data = (await res.json()) as FeedPage & { code?: string; detail?: string; title?: string };
    if (!res.ok)
      throw new Error(`${data.code ?? res.status}: ${data.detail ?? data.title ?? res.statusText}`);
    return { messages: data.messages, next: data.next };
  }

  /** Every message after `after`, page by page, until the feed is caught up. */
  async *messages(after?: string, limit = 100): AsyncGenerator<{ message: WebhookMessage; cursor: string }> {
    let cursor = after;
    for (;;) {
      const p = await this.page(cursor, limit);
      for (const m of p.messages) yield { message: m, cursor: p.next };
      if (p.messages.length < limit) return;
      cursor = p.next;
    }
  }
}
