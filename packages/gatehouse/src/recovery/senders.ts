import type { Logger } from '../log/index.ts';

export type ChannelKind = 'email' | 'phone';

export interface CodeMessage {
  kind: ChannelKind;
  address: string;
  code: string;
  purpose: 'appeal' | 'channel_verification';
  /** The account's handle, for the message text. */
  handle: string;
}

/**
 * An alert to one of the owner's recovery channels: a recovery setting changed, or trusted friends
 * confirmed an appeal. `stop` is a one-time token for the one-step "this wasn't me" (it contains the
 * account, or stops the appeal): `POST /v1/recovery/not-me {token}`.
 */
export interface AlertMessage {
  kind: ChannelKind;
  address: string;
  handle: string;
  text: { en: string; zh: string };
  stop: string;
}

/**
 * Sends a one-time code to an email address or phone number. Real senders (SMTP, an SMS gateway) plug in
 * here; `delivery` names what happened so no answer claims a message was sent when it was not.
 */
export interface CodeSender {
  /** Shown to the owner as how the code was delivered, e.g. "development-log", "smtp". */
  readonly delivery: string;
  readonly kinds: readonly ChannelKind[];
  send(msg: CodeMessage): Promise<void>;
  /** Sends an alert (a sender without it cannot alert, and recovery says so in the case history). */
  alert?(msg: AlertMessage): Promise<void>;
}

/** Bilingual text of a code message (for real senders to use). */
export function codeText(msg: CodeMessage): { en: string; zh: string } {
  const what =
    msg.purpose === 'appeal'
      ? { en: 'to verify your account appeal', zh: '用于验证您的账号申诉' }
      : { en: 'to confirm this contact for account recovery', zh: '用于确认此联系方式可用于账号找回' };
  return {
    en: `Gatehouse code for ${msg.handle}: ${msg.code} (${what.en}). Never share it with anyone who contacts you.`,
    zh: `Gatehouse 验证码（${msg.handle}）：${msg.code}，${what.zh}。请勿告诉任何主动联系您的人。`,
  };
}

/**
 * DEVELOPMENT ONLY: writes the code to the log and sends nothing — no email, no SMS. Selected by
 * recoveryCodeSender=development-log; answers say delivery "development-log".
 */
export class DevelopmentLogSender implements CodeSender {
  readonly delivery = 'development-log';
  readonly kinds: readonly ChannelKind[] = ['email', 'phone'];
  private readonly log: Logger;
  constructor(log: Logger) {
    this.log = log;
  }
  async send(msg: CodeMessage): Promise<void> {
    this.log.warn(
      {
        development: true,
        kind: msg.kind,
        address: msg.address,
        purpose: msg.purpose,
        developmentCode: msg.code,
      },
      'DEVELOPMENT code sender: nothing was sent (no email, no SMS); the code is only in this log line',
    );
  }
  async alert(msg: AlertMessage): Promise<void> {
    this.log.warn(
      {
        development: true,
        kind: msg.kind,
        address: msg.address,
        alert: msg.text,
        developmentStopToken: msg.stop,
      },
      'DEVELOPMENT code sender: alert not sent (no email, no SMS); it is only in this log line',
    );
  }
}

/** Masks an address for display: l***@example.com, +86 *** **** 1234. */
export function maskAddress(kind: ChannelKind, address: string): string {
  if (kind === 'email') {
    const at = address.lastIndexOf('@');
    if (at <= 0) return '***';
    return `${address[0]}***${address.slice(at)}`;
  }
  const digits = address.replace(/\D/g, '');
  return `*** **** ${digits.slice(-4)}`;
}
