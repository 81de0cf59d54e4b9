import { GatehouseError } from '../errors/index.ts';
import type { SessionsTable } from './schema.ts';

/**
 * A new session cannot sign out the account's older ones (Telegram's lesson from account takeovers: the
 * intruder's first move with a stolen password is to end the owner's sessions, so that the owner no longer
 * sees the alerts or can answer "this wasn't me"). For `minAgeMs` after it began, a session may end itself
 * and sessions that began after it, never one that began before it; the older sessions keep the power to
 * end it. No sign-in method is exempt: an intruder holding the password can register a passkey of its
 * own and sign in with it at once. 0 turns the rule off (setting `sessionEndOthersMinAgeHours`).
 */
export const DEFAULT_END_OTHERS_MIN_AGE_MS = 24 * 3_600_000;

/** From when `s` may end sessions that began before it. */
export function mayEndOlderFrom(s: SessionsTable, minAgeMs: number): number {
  return s.created_at + minAgeMs;
}

/** Splits `others` into those `current` may end now and the older ones it may not end yet. */
export function endable(
  current: SessionsTable,
  others: readonly SessionsTable[],
  minAgeMs: number,
  now: number,
): { end: SessionsTable[]; kept: SessionsTable[]; keptUntil: number | null } {
  const from = mayEndOlderFrom(current, minAgeMs);
  if (now >= from) return { end: [...others], kept: [], keptUntil: null };
  const end: SessionsTable[] = [];
  const kept: SessionsTable[] = [];
  for (const s of others) (s.created_at < current.created_at ? kept : end).push(s);
  return { end, kept, keptUntil: kept.length ? from : null };
}

/** What the answer says when older sessions were kept (zh/en), with the time the rule lifts. */
export function keptNotice(kept: number, keptUntil: number): { en: string; zh: string } {
  const at = new Date(keptUntil).toISOString();
  return {
    en: `${kept} session(s) that signed in before this one stay signed in: a session this new cannot sign out older ones until ${at}. If one of them is not yours, end it from a device you had before, or use "this wasn't me" in the sign-in notice.`,
    zh: `在此会话之前登录的 ${kept} 个会话仍保持登录：新登录的会话在 ${at} 之前不能让更早的会话退出。如果其中有不是你的会话，请在你之前就登录的设备上结束它，或使用登录提醒中的“这不是我”。`,
  };
}

/** Refuses ending `target` from `current` while `current` is too new and `target` is older. */
export function assertMayEnd(
  current: SessionsTable,
  target: SessionsTable,
  minAgeMs: number,
  now: number,
): void {
  if (target.id === current.id || target.created_at >= current.created_at) return;
  const from = mayEndOlderFrom(current, minAgeMs);
  if (now >= from) return;
  throw new GatehouseError(
    'SESSION_TOO_NEW_TO_END_OTHERS',
    'This session is too new to sign out a session that began before it',
    { extra: { allowedAt: from, notice: keptNotice(1, from) } },
  );
}
