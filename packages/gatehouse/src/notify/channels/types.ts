import type { ChannelName, Locale } from '../catalogue.ts';
import type { RenderedEmail } from '../templates/index.ts';

/** One message to one address, laid out for every channel (each channel takes what it needs). */
export interface OutgoingMessage {
  /** Stable across retries: the email Message-ID, the in-app webhook id, the SMS reference. */
  id: string;
  account: string;
  /** Email address, phone number (E.164), or the account id for in-app. */
  to: string;
  locale: Locale;
  email: RenderedEmail;
  sms: string;
  /** What the platform shows in the app: the summary in both languages plus the notice itself. */
  inapp: {
    text: { en: string; 'zh-CN': string };
    notice: { id: string; kind: string; locale: Locale; title: string; body: string; url?: string };
  };
}

/**
 * permanent: retrying the same message to the same address fails again (SMTP 5xx on the recipient or
 * the message, a 4xx from the SMS provider); transient failures are retried with backoff. `scope` says
 * whether the address or the transport (credentials, TLS, connection) is at fault.
 */
export type SendOutcome =
  | { ok: true; ref?: string }
  | { ok: false; permanent: boolean; scope: 'recipient' | 'transport'; code: string; error: string };

/** Email, SMS or in-app: one interface, so the dispatcher treats them alike. */
export interface Channel {
  readonly name: ChannelName;
  /** How messages go out, for answers and logs ("smtp mail.example.com:587", "development-log"). */
  readonly delivery: string;
  /** Sends one message. Never throws: every failure is a SendOutcome. */
  send(m: OutgoingMessage): Promise<SendOutcome>;
  close?(): Promise<void> | void;
}

/** Error text safe for logs and the owner's view: one line, bounded, no secrets (callers pass none). */
export function errorText(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 300);
}
