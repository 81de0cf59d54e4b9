import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import {
  codeText,
  maskAddress,
  type ChannelKind,
  type CodeMessage,
  type CodeSender,
} from '../recovery/index.ts';
import type { Locale } from './catalogue.ts';
import type { Channel, OutgoingMessage, SendOutcome } from './channels/types.ts';
import { codeSubject, email } from './templates/index.ts';

export interface CodeSenderOptions {
  email?: Channel;
  sms?: Channel;
  /** The account a handle belongs to and its notice language. */
  recipient: (handle: string) => Promise<{ account: string; locale: Locale } | undefined>;
  /** Called when an address refused a code for good (the owner's view shows it failing). */
  onPermanentFailure?: (
    account: string,
    channel: 'email' | 'sms',
    address: string,
    o: SendOutcome & { ok: false },
  ) => Promise<void>;
  log?: Logger;
}

/**
 * Recovery's one-time codes (appeal verification, confirming a new contact) through the notify channels:
 * email over SMTP and SMS through the provider, in the account's language. Codes are sent at once (the
 * owner is waiting) and never stored or logged; the subject never carries the code. A failure answers
 * RECOVERY_SENDER_UNAVAILABLE so the owner can ask again.
 */
export class NotifyCodeSender implements CodeSender {
  readonly delivery: string;
  readonly kinds: readonly ChannelKind[];
  private readonly o: CodeSenderOptions;
  constructor(o: CodeSenderOptions) {
    this.o = o;
    this.kinds = [...(o.email ? (['email'] as const) : []), ...(o.sms ? (['phone'] as const) : [])];
    this.delivery = [o.email ? 'smtp' : '', o.sms ? 'sms' : ''].filter(Boolean).join('+');
  }

  async send(msg: CodeMessage): Promise<void> {
    const channel = msg.kind === 'email' ? this.o.email : this.o.sms;
    if (!channel)
      throw new GatehouseError('RECOVERY_SENDER_UNAVAILABLE', `no ${msg.kind} sender is configured`);
    const who = await this.o.recipient(msg.handle);
    const locale: Locale = who?.locale ?? 'zh-CN';
    const text = codeText(msg)[locale === 'en' ? 'en' : 'zh'];
    const subject = codeSubject(locale);
    const id = newId('code');
    const content = { subject, summary: text, facts: [], advice: [], actions: [] };
    const m: OutgoingMessage = {
      id,
      account: who?.account ?? '',
      to: msg.address,
      locale,
      email: email(content, locale, { handle: msg.handle }),
      sms: text,
      inapp: {
        text: { en: '', 'zh-CN': '' },
        notice: { id, kind: 'code', locale, title: subject, body: '' },
      },
    };
    const r = await channel.send(m);
    if (r.ok) return;
    this.o.log?.warn(
      {
        channel: channel.name,
        to: maskAddress(msg.kind, msg.address),
        purpose: msg.purpose,
        code: r.code,
        error: r.error,
      },
      'a one-time code could not be sent',
    );
    if (r.permanent && r.scope === 'recipient' && who)
      await this.o.onPermanentFailure?.(
        who.account,
        channel.name === 'email' ? 'email' : 'sms',
        msg.address,
        r,
      );
    throw new GatehouseError('RECOVERY_SENDER_UNAVAILABLE', 'The code could not be sent; try again later');
  }
}
