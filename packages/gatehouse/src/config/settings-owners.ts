import { parseChannelMap } from '../notify/catalogue.ts';
import { z } from 'zod';
import { int, type Setting } from './kit.ts';

/** Settings: account recovery and notifications (email, SMS). */
export const OWNERS_SETTINGS = {
  recoveryCaseTtlHours: {
    schema: int(1, 24 * 90),
    default: 72,
    form: 'hours (integer)',
    doc: 'An appeal case (and its token) not finished within this time expires',
  },
  recoveryMaxOpenCases: {
    schema: int(1, 100),
    default: 3,
    form: 'integer',
    doc: "Open appeal cases per account from one appellant (network and device) at once; others' cases never count",
  },
  recoveryAppealsPerIp: {
    schema: int(1, 100000),
    default: 10,
    form: 'integer',
    doc: 'Appeals started per IP address per hour',
  },
  recoveryMaxWrongAnswers: {
    schema: int(1, 100),
    default: 5,
    form: 'integer',
    doc: 'Wrong verification answers on one case before it locks',
  },
  recoveryLockoutMinutes: {
    schema: int(1, 7 * 24 * 60),
    default: 15,
    form: 'minutes (integer)',
    doc: 'How long a case stays locked after too many wrong answers',
  },
  recoveryAttemptsPerAccount: {
    schema: int(1, 100000),
    default: 20,
    form: 'integer',
    doc: 'Verification answers per account per hour, across all its cases',
  },
  recoveryAttemptsPerIp: {
    schema: int(1, 100000),
    default: 50,
    form: 'integer',
    doc: 'Verification answers and friend confirmations per IP address per hour',
  },
  recoveryCodeTtlMinutes: {
    schema: int(1, 24 * 60),
    default: 15,
    form: 'minutes (integer)',
    doc: 'Lifetime of a one-time code sent to an email address or phone, or given to a trusted friend',
  },
  recoverySendsPerCase: {
    schema: int(1, 100),
    default: 3,
    form: 'integer',
    doc: 'Codes sent to a contact channel per case (and per channel verification) per hour',
  },
  recoveryFriendThreshold: {
    schema: int(1, 10),
    default: 2,
    form: 'integer 1-10',
    doc: 'Trusted friends who must confirm an appeal (of up to recoveryFriendMax asked)',
  },
  recoveryFriendMax: {
    schema: int(1, 10),
    default: 3,
    form: 'integer 1-10',
    doc: 'Trusted friends asked to confirm an appeal (and most friends an owner can pre-choose is 10)',
  },
  recoveryFriendMinAgeDays: {
    schema: int(1, 3650),
    default: 30,
    form: 'days (integer)',
    doc: 'Without a chosen list, friends of at least this standing (from the event log) can confirm an appeal',
  },
  recoveryDefaultWindowHours: {
    schema: int(1, 24 * 30),
    default: 24,
    form: 'hours (integer)',
    doc: 'Compromise window assumed before the freeze when nothing better is known',
  },
  recoveryCodeSender: {
    schema: z.enum(['disabled', 'development-log', 'smtp', 'sms', 'smtp+sms']),
    default: 'disabled',
    form: 'disabled, development-log, smtp, sms or smtp+sms',
    doc: 'Where email/phone codes go: smtp (email, the smtp* settings), sms (phone, smsProvider), both, or development-log (written to the log, nothing is sent: development only)',
  },
  publicUrl: {
    schema: z
      .string()
      .refine((v) => v === '' || /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(v), 'an http(s) URL'),
    default: '',
    form: 'absolute http(s) URL, or empty (the server’s own address)',
    doc: 'Where owners reach Gatehouse: the base of the security-centre links in notices (/security/…)',
  },
  notifyChannels: {
    schema: z
      .string()
      .max(4000)
      .superRefine((v, ctx) => {
        try {
          parseChannelMap(v);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
        }
      }),
    default: '',
    form: 'kind=channel+channel;… (channels email, sms, inapp or none; kind * = every kind), or empty',
    doc: 'Channels per notice kind (kinds: docs/notifications.md); kinds not named use the channels of the catalogue',
  },
  notifyDefaultLocale: {
    schema: z.enum(['zh-CN', 'en']),
    default: 'zh-CN',
    form: 'zh-CN or en',
    doc: 'Language of notices to accounts that have not chosen one',
  },
  notifyTimeZone: {
    schema: z.string().refine((v) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: v });
        return true;
      } catch {
        return false;
      }
    }, 'an IANA time zone'),
    default: 'UTC',
    form: 'IANA time zone (Asia/Shanghai, UTC…)',
    doc: 'Time zone of the times written in notices',
  },
  notifyMaxPerHour: {
    schema: int(1, 10_000),
    default: 10,
    form: 'integer >= 1',
    doc: 'Notices per account per hour that are not security-critical; more are suppressed (listed, not sent). Critical ones are exempt but coalesced',
  },
  notifyCoalesceSeconds: {
    schema: int(0, 86_400),
    default: 300,
    form: 'seconds (integer)',
    doc: 'A security-critical notice arriving this soon after one of its kind waits for the window to end, then all of them go out as one message',
  },
  notifyLinkTtlHours: {
    schema: int(1, 24 * 30),
    default: 72,
    form: 'hours (integer)',
    doc: 'Lifetime of the single-use "this wasn\'t me" link in a notice',
  },
  notifyRetryBaseMs: {
    schema: int(10, 3_600_000),
    default: 5000,
    form: 'milliseconds (integer)',
    doc: 'First retry delay of a failed notice delivery; it doubles per attempt (full jitter)',
  },
  notifyRetryCapMs: {
    schema: int(10, 86_400_000),
    default: 3_600_000,
    form: 'milliseconds (integer)',
    doc: 'Longest delay between two attempts of a notice delivery',
  },
  notifyMaxAttempts: {
    schema: int(1, 1000),
    default: 10,
    form: 'integer 1-1000',
    doc: 'Attempts before a notice delivery gives up and its address is marked failing',
  },
  notifyMaxAgeHours: {
    schema: int(1, 24 * 30),
    default: 24,
    form: 'hours (integer)',
    doc: 'A notice delivery still failing this long after it was planned gives up',
  },
  notifyPollMs: {
    schema: int(10, 60_000),
    default: 500,
    form: 'milliseconds (integer)',
    doc: 'How often the notify dispatcher looks for due notices and retries (it is also woken on commit)',
  },
  notifyConcurrency: {
    schema: int(1, 1000),
    default: 4,
    form: 'integer 1-1000',
    doc: 'Notice deliveries (emails, SMS, in-app) in flight at once',
  },
  notifyRetentionDays: {
    schema: int(1, 3650),
    default: 90,
    form: 'days (integer)',
    doc: 'Sent, suppressed and failed notices older than this are deleted (an owner’s history of notices)',
  },
  smtpHost: {
    schema: z.string(),
    default: '',
    form: 'host name or IP address, or empty (no email)',
    doc: 'SMTP server (relay) for notices and codes by email',
  },
  smtpPort: { schema: int(1, 65535), default: 587, form: 'integer 1-65535', doc: 'SMTP port' },
  smtpSecurity: {
    schema: z.enum(['starttls', 'tls', 'none']),
    default: 'starttls',
    form: 'starttls, tls or none',
    doc: 'starttls: STARTTLS required (587); tls: TLS from the start (465); none: plain text (only a relay on this host)',
  },
  smtpUser: {
    schema: z.string(),
    default: '',
    form: 'text, or empty (no authentication)',
    doc: 'SMTP user name',
  },
  smtpPassword: {
    schema: z.string(),
    default: '',
    form: 'text',
    doc: 'SMTP password (never logged)',
    secret: true,
  },
  smtpFrom: {
    schema: z.string().max(300),
    default: '',
    form: '"Name <address>" or an address',
    doc: 'From of notice emails (required with smtpHost)',
  },
  smtpReplyTo: {
    schema: z.string().max(300),
    default: '',
    form: 'address, or empty',
    doc: 'Reply-To of notice emails',
  },
  smtpCaFile: {
    schema: z.string(),
    default: '',
    form: 'path to a PEM file, or empty (the system CAs)',
    doc: 'CA certificate(s) trusted for the SMTP server (a private relay)',
  },
  smtpDkimDomain: {
    schema: z.string(),
    default: '',
    form: 'domain, or empty',
    doc: 'DKIM signing domain (d=)',
  },
  smtpDkimSelector: {
    schema: z.string(),
    default: '',
    form: 'selector, or empty',
    doc: 'DKIM selector (s=)',
  },
  smtpDkimKeyFile: {
    schema: z.string(),
    default: '',
    form: 'path to a PEM private key, or empty (no DKIM)',
    doc: 'DKIM private key: notice emails are signed when it is set',
  },
  smtpTimeoutMs: {
    schema: int(100, 600_000),
    default: 30_000,
    form: 'milliseconds (integer)',
    doc: 'Timeout of connecting to, greeting by and waiting on the SMTP server',
  },
  smsProvider: {
    schema: z.enum(['disabled', 'http', 'development-log']),
    default: 'disabled',
    form: 'disabled, http or development-log',
    doc: 'SMS for notices and codes: http (a provider’s HTTP API, smsHttp* settings) or development-log (written to the log, nothing is sent)',
  },
  smsHttpUrl: {
    schema: z.string().refine((v) => v === '' || /^https?:\/\//.test(v), 'an http(s) URL'),
    default: '',
    form: 'http(s) URL, or empty',
    doc: 'The SMS provider endpoint that receives a POST per message',
  },
  smsHttpHeaders: {
    schema: z.string(),
    default: '',
    form: 'JSON object of header names to values, or empty',
    doc: 'Headers of every SMS provider request (e.g. its API key; never logged)',
    secret: true,
  },
  smsHttpBody: {
    schema: z.string().max(4000),
    default: '{"to":{{to}},"text":{{text}},"reference":{{id}}}',
    form: 'text with {{to}}, {{text}}, {{id}}',
    doc: 'Body of the SMS provider request; placeholders are JSON-escaped or URL-encoded per smsHttpContentType',
  },
  smsHttpContentType: {
    schema: z.enum(['application/json', 'application/x-www-form-urlencoded']),
    default: 'application/json',
    form: 'application/json or application/x-www-form-urlencoded',
    doc: 'Content type of the SMS provider request',
  },
  smsTimeoutMs: {
    schema: int(100, 120_000),
    default: 10_000,
    form: 'milliseconds (integer)',
    doc: 'Timeout of one SMS provider request',
  },
} as const satisfies Record<string, Setting>;
