import { existsSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { parseChannelMap, type ChannelMap, type Locale } from './catalogue.ts';
import { EmailChannel, loadDkim, type SmtpSettings } from './channels/email.ts';
import { DevelopmentLogSms, HttpSmsChannel, parseSmsHeaders } from './channels/sms.ts';
import type { Channel } from './channels/types.ts';

/** The settings the notify part reads. */
export type NotifyConfig = Pick<
  Config,
  | 'publicUrl'
  | 'notifyChannels'
  | 'notifyDefaultLocale'
  | 'notifyTimeZone'
  | 'notifyMaxPerHour'
  | 'notifyCoalesceSeconds'
  | 'notifyLinkTtlHours'
  | 'notifyRetryBaseMs'
  | 'notifyRetryCapMs'
  | 'notifyMaxAttempts'
  | 'notifyMaxAgeHours'
  | 'notifyPollMs'
  | 'notifyConcurrency'
  | 'notifyRetentionDays'
  | 'smtpHost'
  | 'smtpPort'
  | 'smtpSecurity'
  | 'smtpUser'
  | 'smtpPassword'
  | 'smtpFrom'
  | 'smtpReplyTo'
  | 'smtpCaFile'
  | 'smtpDkimDomain'
  | 'smtpDkimSelector'
  | 'smtpDkimKeyFile'
  | 'smtpTimeoutMs'
  | 'smsProvider'
  | 'smsHttpUrl'
  | 'smsHttpHeaders'
  | 'smsHttpBody'
  | 'smsHttpContentType'
  | 'smsTimeoutMs'
  | 'recoveryCodeSender'
>;

export interface NotifySettings {
  channelMap: ChannelMap;
  defaultLocale: Locale;
  timeZone: string;
  maxPerHour: number;
  coalesceMs: number;
  linkTtlMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  maxAttempts: number;
  maxAgeMs: number;
  pollMs: number;
  concurrency: number;
  retentionMs: number;
}

export function notifySettings(c: NotifyConfig): NotifySettings {
  return {
    channelMap: parseChannelMap(c.notifyChannels),
    defaultLocale: c.notifyDefaultLocale,
    timeZone: c.notifyTimeZone,
    maxPerHour: c.notifyMaxPerHour,
    coalesceMs: c.notifyCoalesceSeconds * 1000,
    linkTtlMs: c.notifyLinkTtlHours * 3_600_000,
    retryBaseMs: c.notifyRetryBaseMs,
    retryCapMs: Math.max(c.notifyRetryCapMs, c.notifyRetryBaseMs),
    maxAttempts: c.notifyMaxAttempts,
    maxAgeMs: c.notifyMaxAgeHours * 3_600_000,
    pollMs: c.notifyPollMs,
    concurrency: c.notifyConcurrency,
    retentionMs: c.notifyRetentionDays * 86_400_000,
  };
}

/** SMTP settings, when smtpHost is set (then smtpFrom is required). Throws CONFIG_INVALID otherwise. */
export function smtpSettings(c: NotifyConfig): SmtpSettings | undefined {
  if (!c.smtpHost) {
    if (c.recoveryCodeSender === 'smtp' || c.recoveryCodeSender === 'smtp+sms')
      throw new GatehouseError(
        'CONFIG_INVALID',
        `recoveryCodeSender=${c.recoveryCodeSender} needs smtpHost and smtpFrom`,
      );
    return undefined;
  }
  if (!/@/.test(c.smtpFrom))
    throw new GatehouseError(
      'CONFIG_INVALID',
      'smtpHost is set: smtpFrom must be the From address ("Name <address>")',
    );
  if (c.smtpPassword && !c.smtpUser)
    throw new GatehouseError('CONFIG_INVALID', 'smtpPassword is set without smtpUser');
  if (c.smtpCaFile && !existsSync(c.smtpCaFile))
    throw new GatehouseError('CONFIG_INVALID', `smtpCaFile ${c.smtpCaFile} does not exist`);
  const dkim = loadDkim(c.smtpDkimDomain, c.smtpDkimSelector, c.smtpDkimKeyFile);
  return {
    host: c.smtpHost,
    port: c.smtpPort,
    security: c.smtpSecurity,
    user: c.smtpUser,
    password: c.smtpPassword,
    from: c.smtpFrom,
    replyTo: c.smtpReplyTo,
    caFile: c.smtpCaFile,
    ...(dkim ? { dkim } : {}),
    timeoutMs: c.smtpTimeoutMs,
  };
}

/** The email and SMS channels the settings configure (in-app needs the database: the service adds it). */
export function externalChannels(c: NotifyConfig, log: Logger): { email?: Channel; sms?: Channel } {
  const smtp = smtpSettings(c);
  const out: { email?: Channel; sms?: Channel } = {};
  if (smtp) out.email = new EmailChannel(smtp);
  if ((c.recoveryCodeSender === 'sms' || c.recoveryCodeSender === 'smtp+sms') && c.smsProvider === 'disabled')
    throw new GatehouseError(
      'CONFIG_INVALID',
      `recoveryCodeSender=${c.recoveryCodeSender} needs smsProvider`,
    );
  if (c.smsProvider === 'development-log') out.sms = new DevelopmentLogSms(log);
  if (c.smsProvider === 'http') {
    if (!c.smsHttpUrl) throw new GatehouseError('CONFIG_INVALID', 'smsProvider=http needs smsHttpUrl');
    out.sms = new HttpSmsChannel({
      url: c.smsHttpUrl,
      headers: parseSmsHeaders(c.smsHttpHeaders),
      body: c.smsHttpBody,
      contentType: c.smsHttpContentType,
      timeoutMs: c.smsTimeoutMs,
    });
  }
  return out;
}
