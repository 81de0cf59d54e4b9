// The operator's console session: the API client (CSRF token from the session answer, kept in memory)
// and the signed-in operator.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { createApi } from '../lib/api.ts';

export type Role = 'viewer' | 'analyst' | 'responder' | 'admin';

export interface Operator {
  id: string;
  handle: string;
  role: Role;
}

export interface ConsoleSession {
  operator: Operator;
  csrfToken: string;
  expiresAt: number;
}

let csrf: string | undefined;
let onLost: (() => void) | undefined;

export function setSession(s: ConsoleSession | undefined): void {
  csrf = s?.csrfToken;
}

export function onSessionLost(f: () => void): void {
  onLost = f;
}

export const api = createApi({ csrf: () => csrf, onUnauthenticated: () => onLost?.() });

const RANK: Record<Role, number> = { viewer: 0, analyst: 1, responder: 2, admin: 3 };

/** Whether a role reaches another (the server checks again; the console hides what cannot work). */
export function atLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

export const SessionContext = createContext<ConsoleSession | null>(null);

/** The signed-in operator's session (pages render only inside the shell, which provides it). */
export function useSession(): ConsoleSession {
  const s = useContext(SessionContext);
  if (!s) throw new Error('no console session');
  return s;
}
