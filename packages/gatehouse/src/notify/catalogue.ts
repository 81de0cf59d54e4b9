import { z } from 'zod';

/**
 * Every notice Gatehouse sends an owner: its parameters (a zod schema, checked when a producer enqueues
 * it), whether it is security-critical (exempt from the hourly limit, coalesced instead), the channels it
 * may use, the security-centre page it points to and whether it carries a "this wasn't me" link.
 * No imports beyond zod: the settings schema reads the names from here when the config loads.
 */

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const CHANNELS = ['email', 'sms', 'inapp'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/** Security-centre pages (paths under the publicUrl setting). Only not-me is served by Gatehouse itself. */
export const PAGES = {
  notMe: '/security/not-me',
  activity: '/security/activity',
  sessions: '/security/sessions',
  recovery: '/security/recovery',
  appeal: '/security/appeal',
  apps: '/security/apps',
  notifications: '/security/notifications',
} as const;
export type Page = keyof typeof PAGES;

const at = z.number().int().nonnegative();
const short = z.string().max(200);
const Bilingual = z.strictObject({ en: z.string().max(2000), zh: z.string().max(2000) });
export const FACTORS = ['email', 'phone', 'recovery_codes', 'trusted_friends', 'passkey', 'totp'] as const;

interface KindDef {
  params: z.ZodType;
  critical: boolean;
  /** Channels the kind may use (and uses unless notifyChannels says otherwise). */
  channels: readonly ChannelName[];
  page: Page;
  notMe: boolean;
  /** Why in-app is not among the channels, when it is not. */
  inAppBy?: string;
}

export const CATALOGUE = {
  'signin.new': {
    params: z.strictObject({
      at,
      method: z.string().max(32),
      device: short,
      ip: z.string().max(64),
      network: z.string().max(64),
      country: z.string().max(8).optional(),
      novel: z.array(z.enum(['device', 'network', 'country'])).min(1),
    }),
    critical: false,
    channels: ['email', 'sms', 'inapp'],
    page: 'activity',
    notMe: true,
  },
  'signin.cross_device_approved': {
    params: z.strictObject({
      at,
      device: short,
      approvedOn: short.optional(),
      ip: z.string().max(64),
      country: z.string().max(8).optional(),
      probation: z.boolean(),
    }),
    critical: true,
    channels: ['email', 'sms', 'inapp'],
    page: 'sessions',
    notMe: true,
  },
  'recovery.factor_changed': {
    params: z.strictObject({
      at,
      change: z.enum(['added', 'changed', 'removed']),
      factor: z.enum(FACTORS),
      /** A masked address or a short description ("l***@example.com"). */
      detail: short.optional(),
      /** When the new factor starts to count for recovery. */
      coolingOffUntil: at.optional(),
    }),
    critical: true,
    channels: ['email', 'sms', 'inapp'],
    page: 'recovery',
    notMe: true,
  },
  'password.changed': {
    params: z.strictObject({
      at,
      via: z.enum(['settings', 'recovery']),
      sessionsEnded: z.number().int().nonnegative(),
      /** Older sessions kept signed in: the change came from a session too new to end them. */
      sessionsKept: z.number().int().positive().optional(),
    }),
    critical: true,
    channels: ['email', 'sms', 'inapp'],
    page: 'sessions',
    notMe: true,
  },
  'sessions.ended': {
    params: z.strictObject({
      at,
      reason: z.enum(['others', 'everywhere', 'operator']),
    }),
    critical: true,
    channels: ['email', 'sms', 'inapp'],
    page: 'sessions',
    notMe: true,
  },
  'account.contained': {
    params: z.strictObject({ at, summary: Bilingual, decision: short.optional() }),
    critical: true,
    channels: ['email', 'sms'],
    page: 'appeal',
    notMe: false,
    inAppBy: "the response part's notify_owner action (owner.notify, in the transaction of the freeze)",
  },
  'account.sanctioned': {
    params: z.strictObject({ at, reason: z.string().max(500) }),
    critical: true,
    channels: ['email', 'sms'],
    page: 'appeal',
    notMe: false,
    inAppBy: 'the account.frozen webhook of the freeze itself (its notice is the banner)',
  },
  'appeal.opened': {
    params: z.strictObject({ at, case: short, openedBy: z.enum(['owner', 'operator']) }),
    critical: true,
    channels: ['email', 'sms', 'inapp'],
    page: 'appeal',
    notMe: false,
  },
  'appeal.verified': {
    params: z.strictObject({ at, case: short, method: z.string().max(40) }),
    critical: true,
    channels: ['email', 'sms', 'inapp'],
    page: 'appeal',
    notMe: false,
  },
  'appeal.finished': {
    params: z.strictObject({
      at,
      case: short,
      outcome: z.enum(['restored', 'rejected', 'expired']),
      reason: z.string().max(500).optional(),
    }),
    critical: true,
    channels: ['email', 'sms', 'inapp'],
    page: 'appeal',
    notMe: false,
  },
  'app.authorised': {
    params: z.strictObject({ at, app: short, scopes: z.array(z.string().max(64)).max(50) }),
    critical: true,
    channels: ['email', 'sms', 'inapp'],
    page: 'apps',
    notMe: true,
  },
  'app.suspended': {
    params: z.strictObject({ at, app: short, reason: z.string().max(500).optional() }),
    critical: false,
    channels: ['email', 'inapp'],
    page: 'apps',
    notMe: false,
  },
} as const satisfies Record<string, KindDef>;

export type NoticeKind = keyof typeof CATALOGUE;
export const NOTICE_KINDS = Object.keys(CATALOGUE) as NoticeKind[];
export type NoticeParams<K extends NoticeKind> = z.output<(typeof CATALOGUE)[K]['params']>;

export function isNoticeKind(k: string): k is NoticeKind {
  return Object.hasOwn(CATALOGUE, k);
}

/** What a producer enqueues: one typed notice (parameters checked against the kind's schema). */
export type NoticeInput = {
  [K in NoticeKind]: {
    kind: K;
    account: string;
    params: z.input<(typeof CATALOGUE)[K]['params']>;
    /**
     * The producer's key for the fact (a session, case step, event or decision id): the same notice
     * enqueued again (a redelivered event) is not sent twice. Absent: every call is a new notice.
     */
    key?: string;
    /** The session the notice is about (a "this wasn't me" link ends it). */
    session?: string;
    /**
     * Explicit recipients, e.g. the factors that existed before a recovery-factor change. Absent: the
     * account's verified contact channels when the notice is planned, and in-app.
     */
    to?: Array<{ channel: 'email' | 'sms'; address: string }>;
  };
}[NoticeKind];

export type ChannelMap = Record<NoticeKind, ChannelName[]>;

/**
 * Parses the notifyChannels setting: "kind=channel+channel; kind=…", "*" for every kind, "none" for no
 * channel. Unknown kinds, unknown channels and channels a kind may not use are errors (the message names
 * them). Kinds not named keep their catalogue channels.
 */
export function parseChannelMap(spec: string): ChannelMap {
  const out = Object.fromEntries(NOTICE_KINDS.map((k) => [k, [...CATALOGUE[k].channels]])) as ChannelMap;
  const entries = spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  // "*" first so that named kinds override it wherever they stand
  entries.sort((a, b) => Number(!a.startsWith('*')) - Number(!b.startsWith('*')));
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new Error(`"${entry.slice(0, 60)}" is not kind=channel+channel`);
    const name = entry.slice(0, eq).trim();
    const list = entry
      .slice(eq + 1)
      .split(/[+,]/)
      .map((s) => s.trim())
      .filter(Boolean);
    const channels = list.length === 1 && list[0] === 'none' ? [] : list;
    for (const c of channels)
      if (!(CHANNELS as readonly string[]).includes(c))
        throw new Error(`unknown channel "${c.slice(0, 40)}" (known: ${CHANNELS.join(', ')})`);
    const kinds = name === '*' ? NOTICE_KINDS : [name];
    for (const k of kinds) {
      if (!isNoticeKind(k))
        throw new Error(`unknown notice kind "${k.slice(0, 60)}" (known: ${NOTICE_KINDS.join(', ')})`);
      const allowed: readonly string[] = CATALOGUE[k].channels;
      const bad = channels.filter((c) => !allowed.includes(c));
      if (bad.length && name !== '*')
        throw new Error(
          `${k} cannot use ${bad.join(', ')}${'inAppBy' in CATALOGUE[k] ? ` (in-app comes from ${CATALOGUE[k].inAppBy})` : ''}`,
        );
      out[k] = channels.filter((c) => allowed.includes(c)) as ChannelName[];
    }
  }
  return out;
}
