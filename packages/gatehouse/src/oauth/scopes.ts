/**
 * Field-level scopes: each scope names one field of the user's data, and the claims an app receives
 * carry only the fields its granted scopes name. Pure functions, no I/O.
 */

import type { Localized } from '@gatehouse/sdk';

export type { Localized };

export interface FieldScope {
  scope: string;
  /** The claim it releases in the ID token / userinfo (none: only through the resource API). */
  claim?: string;
  /** What the consent page says the app gets. */
  label: Localized;
  /** Only apps whose operator review covered this scope may ask for it. */
  sensitive?: boolean;
  /** Masked unless the app is verified and this scope was reviewed for it. */
  masked?: boolean;
}

/** The catalogue. Adding a field is adding a line here (and its value in `profileFields`). */
export const FIELD_SCOPES: readonly FieldScope[] = [
  { scope: 'nickname', claim: 'nickname', label: { en: 'Your nickname', zh: '你的昵称' } },
  { scope: 'avatar', claim: 'picture', label: { en: 'Your avatar picture', zh: '你的头像' } },
  { scope: 'region', claim: 'region', label: { en: 'Your region', zh: '你的地区' } },
  {
    scope: 'friend_count',
    claim: 'friend_count',
    label: { en: 'How many friends you have (the number only)', zh: '你的好友数量（仅数字）' },
  },
  {
    scope: 'friends',
    label: {
      en: 'Your friend list (app-specific ids, no names)',
      zh: '你的好友列表（仅该应用专属编号，不含昵称）',
    },
    sensitive: true,
  },
  {
    scope: 'phone',
    claim: 'phone_number',
    label: { en: 'Your phone number, masked (e.g. 138****8000)', zh: '你的手机号（打码，如 138****8000）' },
    masked: true,
  },
  {
    scope: 'email',
    claim: 'email',
    label: {
      en: 'Your email address, masked (e.g. a***@example.com)',
      zh: '你的邮箱（打码，如 a***@example.com）',
    },
    masked: true,
  },
];

export const OFFLINE_LABEL: Localized = {
  en: 'Keep access while you are away (refresh tokens)',
  zh: '在你离开后继续访问（刷新令牌）',
};

export const FIELD_BY_SCOPE: ReadonlyMap<string, FieldScope> = new Map(FIELD_SCOPES.map((f) => [f.scope, f]));

/** Every scope the provider knows: openid, offline_access and the fields. */
export const ALL_SCOPES: readonly string[] = [
  'openid',
  'offline_access',
  ...FIELD_SCOPES.map((f) => f.scope),
];

/** The provider's `claims` setting: scope → the one claim it releases. Nothing else (no `profile`). */
export function claimsConfig(): Record<string, string[] | null> {
  const out: Record<string, string[] | null> = { openid: ['sub'], acr: null, auth_time: null, sid: null };
  for (const f of FIELD_SCOPES) out[f.scope] = f.claim ? [f.claim] : [];
  return out;
}

/**
 * The scopes an app may ask for: its registered ceiling, minus sensitive scopes that an operator has not
 * reviewed for it. `openid` is always allowed.
 */
export function effectiveCeiling(app: { scopes: readonly string[]; reviewed: readonly string[] }): string[] {
  const out = new Set(['openid']);
  for (const s of app.scopes) {
    const f = FIELD_BY_SCOPE.get(s);
    if (s === 'offline_access') out.add(s);
    else if (f && (!f.sensitive || app.reviewed.includes(s))) out.add(s);
  }
  return [...out];
}

/** Whether a contact field goes out unmasked: only to a verified app with the scope reviewed. */
export function unmasked(scope: string, app: { verified: boolean; reviewed: readonly string[] }): boolean {
  return app.verified && app.reviewed.includes(scope);
}

/**
 * "+8613812348000" → "+86 138****8000" (Chinese numbers keep the operator prefix); other numbers keep only
 * their last four digits ("+4915112345678" → "+**********5678").
 */
export function maskPhone(phone: string): string {
  const plus = phone.trim().startsWith('+');
  const d = phone.replace(/\D/g, '');
  if (plus && d.startsWith('86') && d.length >= 11) {
    const n = d.slice(2);
    return `+86 ${n.slice(0, 3)}${'*'.repeat(Math.max(0, n.length - 7))}${n.slice(-4)}`;
  }
  if (!plus && d.length === 11 && d.startsWith('1')) return `${d.slice(0, 3)}****${d.slice(-4)}`;
  const keep = Math.min(4, Math.max(0, d.length - 4));
  return `${plus ? '+' : ''}${'*'.repeat(d.length - keep)}${d.slice(d.length - keep)}`;
}

/** "alice@example.com" → "a***@example.com". */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** The user's fields as Gatehouse knows them (absent: not known). */
export interface ProfileFields {
  nickname?: string;
  avatar?: string;
  region?: string;
  phone?: string;
  email?: string;
  friendCount?: number;
}

/**
 * The claims for granted scopes: exactly one claim per granted field scope whose value is known, contacts
 * masked unless `unmasked` allows. Returns the claims and the fields they carry (for the access log).
 */
export function claimsFor(
  granted: Iterable<string>,
  p: ProfileFields,
  app: { verified: boolean; reviewed: readonly string[] },
): { claims: Record<string, string | number>; fields: string[] } {
  const claims: Record<string, string | number> = {};
  const fields: string[] = [];
  for (const s of new Set(granted)) {
    const f = FIELD_BY_SCOPE.get(s);
    if (!f?.claim) continue;
    const v = valueOf(s, p, app);
    if (v === undefined) continue;
    claims[f.claim] = v;
    fields.push(s);
  }
  return { claims, fields };
}

function valueOf(
  scope: string,
  p: ProfileFields,
  app: { verified: boolean; reviewed: readonly string[] },
): string | number | undefined {
  switch (scope) {
    case 'nickname':
      return p.nickname;
    case 'avatar':
      return p.avatar;
    case 'region':
      return p.region;
    case 'friend_count':
      return p.friendCount;
    case 'phone':
      return p.phone === undefined ? undefined : unmasked('phone', app) ? p.phone : maskPhone(p.phone);
    case 'email':
      return p.email === undefined ? undefined : unmasked('email', app) ? p.email : maskEmail(p.email);
    default:
      return undefined;
  }
}

/** Parses a space-separated scope string into a set (empty entries dropped). */
export function scopeSet(s: string | undefined | null): Set<string> {
  return new Set((s ?? '').split(' ').filter(Boolean));
}
