// The appeal's API client: a frozen owner cannot sign in, so the appeal is carried by its case token
// (ghr_…, sent as Authorization: Bearer, never a cookie: no CSRF surface). The token lives in this
// tab's sessionStorage only, so a reload continues the appeal and closing the tab forgets it.
import { ApiError, type Problem } from '../../lib/api.ts';

const KEY = 'gatehouse.appeal';

export function caseToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}
export function setCaseToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    /* storage disabled: the appeal lasts as long as the page */
  }
}

export async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  token = caseToken(),
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'omit',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const data: unknown = (res.headers.get('content-type') ?? '').includes('json')
    ? await res.json()
    : await res.text();
  if (!res.ok)
    throw new ApiError(
      res.status,
      typeof data === 'object' && data ? (data as Problem) : { detail: String(data) },
    );
  return data as T;
}

export interface Localized {
  en: string;
  zh: string;
}
export type Step =
  | 'choose_method'
  | 'answer'
  | 'wait_for_friends'
  | 'wait'
  | 'pledge'
  | 'password'
  | 'review_sessions'
  | 'finish'
  | 'done';
export interface CaseView {
  id: string;
  state: string;
  details: boolean;
  account: { id: string; handle: string } | null;
  method: string | null;
  readyAt: number | null;
  lockedUntil: number | null;
  passwordChanged: boolean;
  sessionsReviewed: boolean;
  window: { start: number; end: number } | null;
  next: Localized & { step: Step };
}
export interface Method {
  kind: 'passkey' | 'totp' | 'recovery_code' | 'trusted_friends' | 'email_code' | 'phone_code';
  available: boolean;
}
export interface Report {
  case: string;
  account: { handle: string };
  window: { start: number; end: number };
  entry: { method: string; ip: string; device: string; at: number; source: string } | null;
  decision: { at: number; summary: string; why: Localized | null } | null;
  messages: {
    count: number;
    stopped: number;
    recipientsReached: number;
    groupsReached: number;
    sample: Array<{ at: number; text: string; urls: string[] }>;
  } | null;
  retracted: { count: number } | null;
  warned: { count: number } | null;
  restored: {
    friends?: string[];
    groups?: string[];
    profile?: Array<{ field: string }>;
    sent?: boolean;
  } | null;
  /** Sign-in factors put right at the restore; null when the compromise window was not known. */
  signInFactors: {
    passkeysRemoved: string[];
    passkeysRestored: string[];
    totpRemoved: boolean;
    totpRestored: boolean;
    passkeysLeftRemoved: string[];
    totpLeftRemoved: boolean;
  } | null;
  sessionsRevoked: number;
  restoredAt: number | null;
  apps: Array<{ client: string; name: Localized; fields: string[]; reads: number }> | null;
  advice: Localized[];
}
