/**
 * Verifying Gatehouse webhooks (Standard Webhooks: https://www.standardwebhooks.com) and reading the
 * pull feed. Works in Node.js 22+ (node:crypto).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookMessage<D = Record<string, unknown>> {
  /** The message id: the idempotency key, the same on every retry and in the pull feed. */
  id: string;
  type: string;
  /** ISO 8601 time the message was enqueued. */
  timestamp: string;
  account?: string;
  data: D;
}

export type WebhookVerificationCode = 'missing_headers' | 'bad_timestamp' | 'bad_signature' | 'bad_body';

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

function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/**
 * Checks a webhook's signature and timestamp and returns the parsed message. Pass the raw body exactly as
 * received (string or bytes), every secret currently valid for the endpoint (during a rotation: old and
 * new), and the request headers. Throws WebhookVerificationError with code missing_headers,
 * bad_timestamp (outside ±toleranceSeconds, default 300) or bad_signature. Comparison is constant-time.
 * Deduplicate on the returned id: delivery is at least once.
 */
export function verifyWebhook<D = Record<string, unknown>>(
  secrets: string | string[],
  headers: WebhookHeaders,
  rawBody: string | Uint8Array,
  opts: { toleranceSeconds?: number; now?: number | Date } = {},
): WebhookMessage<D> {
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
  for (const secret of Array.isArray(secrets) ? secrets : [secrets]) {
    const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${ts}.`, 'utf8').update(body).digest();
    for (const p of presented) {
      // Do every comparison (no early exit) so timing does not reveal which one matched.
      if (p.length === mac.length && timingSafeEqual(p, mac)) ok = true;
    }
  }
  if (!ok) throw new WebhookVerificationError('bad_signature', 'no signature matches');
  let parsed: Omit<WebhookMessage<D>, 'id'> & { id?: string };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    throw new WebhookVerificationError('bad_body', 'the signed body is not JSON');
  }
  return {
    id,
    type: parsed.type,
    timestamp: parsed.timestamp,
    ...(parsed.account !== undefined ? { account: parsed.account } : {}),
    data: parsed.data,
  };
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
