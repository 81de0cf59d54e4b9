/** How accounts and sessions are shown (to their owner, operators and the platform). */
import type { AccountsTable, FreezeKind, SessionsTable } from './schema.ts';
import type { parseDevice } from './device.ts';

export interface AccountView {
  id: string;
  handle: string;
  displayName: string;
  state: AccountsTable['state'];
  stateReason: string | null;
  createdAt: number;
  /** While frozen: containment (self-service appeal) or sanction (operator review), and since when. */
  freezeKind: FreezeKind | null;
  frozenAt: number | null;
  /** While frozen: when the compromise began, when it is known. */
  freezeSince: number | null;
}

export interface SessionView {
  id: string;
  method: string;
  /** The user-agent description, and the stable id of the device token when the session has one. */
  device: ReturnType<typeof parseDevice> & { id?: string };
  ip: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  current: boolean;
  /** Until when the session is on probation (a mismatched cross-device approval), or null. */
  probationUntil: number | null;
  /** A device-bound session: until when its last proof of the device key holds; null when unbound. */
  boundUntil: number | null;
}

export function accountView(a: AccountsTable): AccountView {
  const frozen = a.state === 'frozen';
  return {
    id: a.id,
    handle: a.handle,
    displayName: a.display_name,
    state: a.state,
    stateReason: a.state_reason,
    createdAt: a.created_at,
    // a freeze from before freeze kinds existed was appealable by its owner: a containment
    freezeKind: frozen ? (a.freeze_kind ?? 'containment') : null,
    frozenAt: frozen ? (a.frozen_at ?? a.updated_at) : null,
    freezeSince: frozen ? a.freeze_since : null,
  };
}

export function sessionView(s: SessionsTable, currentId?: string): SessionView {
  return {
    id: s.id,
    method: s.method,
    device: JSON.parse(s.device) as SessionView['device'],
    ip: s.ip,
    createdAt: s.created_at,
    lastSeenAt: s.last_seen_at,
    expiresAt: s.expires_at,
    current: s.id === currentId,
    probationUntil: s.probation_until ?? null,
    boundUntil: s.binding_key ? s.bound_until : null,
  };
}
