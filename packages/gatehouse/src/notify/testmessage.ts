import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { Locale } from './catalogue.ts';
import type { OutgoingMessage } from './channels/types.ts';
import { maskedTo } from './dispatcher.ts';
import { externalChannels, type NotifyConfig } from './settings.ts';
import { email, sms, testContent, timeFormatter } from './templates/index.ts';

/**
 * Sends the test message to one address through the configured channel (an address with "@" by email,
 * "+<digits>" by SMS), at once, and reports how it went. What `gatehouse notify test --to` runs.
 */
export async function sendTestMessage(
  config: NotifyConfig,
  to: string,
  opts: { locale?: Locale; log: Logger },
): Promise<{ channel: 'email' | 'sms'; delivery: string; to: string; ref?: string }> {
  const kind = /^\+[1-9]\d{6,14}$/.test(to) ? 'sms' : /^[^\s@]+@[^\s@]+$/.test(to) ? 'email' : undefined;
  if (!kind)
    throw new GatehouseError(
      'VALIDATION_FAILED',
      'give an email address or a phone number in international form (+8613800138000)',
    );
  const channel = externalChannels(config, opts.log)[kind];
  if (!channel)
    throw new GatehouseError(
      'NOTIFY_CHANNEL_UNAVAILABLE',
      kind === 'email' ? 'set smtpHost and smtpFrom to send email' : 'set smsProvider to send SMS',
    );
  const locale = opts.locale ?? config.notifyDefaultLocale;
  const c = testContent(locale, timeFormatter(locale, config.notifyTimeZone)(Date.now()));
  const id = newId('test');
  const m: OutgoingMessage = {
    id,
    account: '',
    to,
    locale,
    email: email(c, locale, { handle: to }),
    sms: sms(c, locale),
    inapp: {
      text: { en: '', 'zh-CN': '' },
      notice: { id, kind: 'test', locale, title: c.subject, body: c.summary },
    },
  };
  try {
    const r = await channel.send(m);
    if (!r.ok)
      throw new GatehouseError('NOTIFY_SEND_FAILED', `${r.code}: ${r.error}`, {
        extra: { code: r.code, permanent: r.permanent, scope: r.scope },
      });
    return {
      channel: kind,
      delivery: channel.delivery,
      to: maskedTo(kind, to),
      ...(r.ref ? { ref: r.ref } : {}),
    };
  } finally {
    await channel.close?.();
  }
}
