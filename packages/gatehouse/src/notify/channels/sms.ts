import { GatehouseError } from '../../errors/index.ts';
import type { Logger } from '../../log/index.ts';
import { maskAddress } from '../../recovery/index.ts';
import { errorText, type Channel, type OutgoingMessage, type SendOutcome } from './types.ts';

export interface SmsHttpSettings {
  url: string;
  /** Sent with every request (an API key header, for example). Never logged. */
  headers: Record<string, string>;
  /** The request body; {{to}}, {{text}} and {{id}} are replaced, escaped for the content type. */
  body: string;
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  timeoutMs: number;
}

const PLACEHOLDER = /\{\{\s*(to|text|id)\s*\}\}/g;

/** Parses smsHttpHeaders (a JSON object of strings). */
export function parseSmsHeaders(json: string): Record<string, string> {
  if (!json.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new GatehouseError(
      'CONFIG_INVALID',
      'smsHttpHeaders must be a JSON object of header names to values',
    );
  }
  if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
    throw new GatehouseError(
      'CONFIG_INVALID',
      'smsHttpHeaders must be a JSON object of header names to values',
    );
  return v as Record<string, string>;
}

/** The body for one message: placeholders filled, JSON-escaped or URL-encoded by content type. */
export function smsBody(
  s: Pick<SmsHttpSettings, 'body' | 'contentType'>,
  v: { to: string; text: string; id: string },
) {
  return s.body.replace(PLACEHOLDER, (_, k: 'to' | 'text' | 'id') =>
    s.contentType === 'application/json' ? JSON.stringify(v[k]) : encodeURIComponent(v[k]),
  );
}

/**
 * SMS through any provider with an HTTP API: a POST to the configured URL with the configured headers
 * and body template. 2xx is sent; 408, 429, 5xx and network errors are retried; other 4xx are permanent
 * (the provider refused this number or message). Redirects are not followed.
 */
export class HttpSmsChannel implements Channel {
  readonly name = 'sms' as const;
  readonly delivery: string;
  private readonly s: SmsHttpSettings;
  constructor(s: SmsHttpSettings) {
    this.s = s;
    this.delivery = `sms http ${new URL(s.url).host}`;
  }
  async send(m: OutgoingMessage): Promise<SendOutcome> {
    try {
      const res = await fetch(this.s.url, {
        method: 'POST',
        headers: { ...this.s.headers, 'content-type': this.s.contentType },
        body: smsBody(this.s, { to: m.to, text: m.sms, id: m.id }),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.s.timeoutMs),
      });
      const status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (status >= 200 && status < 300) return { ok: true };
      const transient = status === 408 || status === 429 || status >= 500;
      return {
        ok: false,
        permanent: !transient,
        scope:
          status === 401 || status === 403 || (status >= 300 && status < 400) ? 'transport' : 'recipient',
        code: String(status),
        error: `HTTP ${status}`,
      };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const timeout = err.name === 'TimeoutError' || err.name === 'AbortError';
      return {
        ok: false,
        permanent: false,
        scope: 'transport',
        code: timeout ? 'ETIMEDOUT' : (err.cause?.code ?? 'ERROR'),
        error: errorText(timeout ? `timeout after ${this.s.timeoutMs} ms` : (err.cause?.code ?? err.message)),
      };
    }
  }
}

/**
 * DEVELOPMENT ONLY: writes that an SMS would have gone out, and to which (masked) number, and sends
 * nothing. Link tokens are cut out of the text it logs.
 */
export class DevelopmentLogSms implements Channel {
  readonly name = 'sms' as const;
  readonly delivery = 'development-log';
  private readonly log: Logger;
  constructor(log: Logger) {
    this.log = log;
  }
  async send(m: OutgoingMessage): Promise<SendOutcome> {
    this.log.warn(
      {
        development: true,
        channel: 'sms',
        to: maskAddress('phone', m.to),
        notice: m.inapp.notice.kind,
        text: m.sms.replace(/ghn_[A-Za-z0-9_-]+/g, 'ghn_[redacted]'),
      },
      'DEVELOPMENT SMS sender: nothing was sent; the message is only in this log line',
    );
    return { ok: true };
  }
}
