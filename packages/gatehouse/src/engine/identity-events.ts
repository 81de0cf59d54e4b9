/** Identity bus events the engine consumes, mapped to its input types (`identity.*`). */
import { MAX_EVENT_ID, type IdentityEvent as SdkIdentityEvent } from '@gatehouse/sdk';
import { precompiled } from '../store/compiled.ts';
import type { Tx } from '../store/db.ts';
import { engineStore, type NewEvent } from './store.ts';
import type { IdentityEvent } from './types.ts';

/**
 * Identity bus events the engine consumes, mapped to its input types. Not `session.created`: identity
 * writes it in the same transaction as the sign-in's `login.succeeded`, right after it, and the engine
 * learns nothing from it (engine/account-events.ts ignores a session it has already seen): taking it cost
 * every sign-in a second write to the event log and a second drain.
 */
export const IDENTITY_TYPES = [
  'login.succeeded',
  'session.revoked',
  'signin.qr',
  'session.confirmed',
  'password.changed',
  'account.frozen',
  'account.unfrozen',
] as const;

const CONSUMED: ReadonlySet<string> = new Set(IDENTITY_TYPES);

/**
 * The event log rows of the identity events the engine consumes (the others are left out). Written in
 * identity's own transaction (engine/service.ts `identityLog`), or from the bus for an event an older
 * producer put in the outbox; either way under the same id, so the log holds each once.
 */
export function identityRows(events: readonly SdkIdentityEvent[], receivedAt: number): NewEvent[] {
  return consumedIdentity(events).map(({ id, ev }) => ({
    id,
    type: ev.type,
    account: ev.account,
    time: ev.time,
    received_at: receivedAt,
    origin: 'identity',
    payload: JSON.stringify(ev),
  }));
}

/** The events the engine consumes among `events`, as its input, with the id of their log rows. */
export function consumedIdentity(
  events: readonly SdkIdentityEvent[],
): Array<{ id: string; ev: IdentityEvent }> {
  const out: Array<{ id: string; ev: IdentityEvent }> = [];
  for (const e of events) {
    if (!CONSUMED.has(e.type)) continue;
    const ev = identityFromBus(e);
    if (ev) out.push({ id: ev.id.slice(0, MAX_EVENT_ID + 16), ev });
  }
  return out;
}

/** One identity row appended to the log (a sign-in's one row): one statement compiled once. */
const appendOne = precompiled((q, r: NewEvent) =>
  q
    .insertInto('events')
    .values(r)
    .onConflict((oc) => oc.column('id').doNothing()),
);

/**
 * Appends identity rows inside identity's transaction. On PostgreSQL through the log's own append (it
 * takes the log's lock, already held when identity took it first); on SQLite, the single writer, one row
 * by the statement compiled once. Ids are new (a UUID per event), so none is there already.
 */
export async function appendIdentityRows(tx: Tx, rows: NewEvent[], dialect: 'sqlite' | 'postgres') {
  if (dialect === 'postgres' || rows.length !== 1) await engineStore.append(tx, rows, dialect);
  else await appendOne(tx, rows[0]!);
}

/**
 * The engine's device: the stable id of the device token Gatehouse issued (a long-lived HttpOnly cookie
 * or the app's stored token), else the platform's own id; the user-agent label only when the sign-in
 * names neither. The label is what an intruder copies: the owner's browser on the intruder's machine
 * was "the owner's device" to the engine.
 */
function deviceOf(d: { id?: string | undefined; label: string }): { id: string } {
  return { id: d.id ?? (d.label || 'unknown') };
}

/** Maps the SDK's identity event (the one definition, as the identity part publishes it) to the engine's input. */
export function identityFromBus(e: SdkIdentityEvent): IdentityEvent | undefined {
  const base = { id: `identity:${e.id}`, time: e.time, account: e.account };
  switch (e.type) {
    case 'login.succeeded':
      return {
        ...base,
        type: 'identity.login.succeeded',
        session: e.session,
        method: e.method,
        device: deviceOf(e.device),
        ip: e.ip,
        userAgent: e.userAgent,
      };
    case 'session.created':
      return {
        ...base,
        type: 'identity.session.created',
        session: e.session,
        method: e.method,
        device: deviceOf(e.device),
        ip: e.ip,
      };
    case 'session.revoked':
      return { ...base, type: 'identity.session.revoked', session: e.session };
    case 'signin.qr':
      return {
        ...base,
        type: 'identity.signin.qr',
        session: e.session,
        sameNetwork: e.sameNetwork,
        mismatch: e.mismatch,
        signals: e.signals,
      };
    case 'session.confirmed':
      return { ...base, type: 'identity.session.confirmed', session: e.session };
    case 'password.changed':
      return { ...base, type: 'identity.password.changed', ...(e.via ? { via: e.via } : {}) };
    case 'account.frozen':
      return {
        ...base,
        type: 'identity.account.frozen',
        reason: e.reason,
        ...(e.kind ? { kind: e.kind } : {}),
        ...(e.decidedAt !== undefined ? { decidedAt: e.decidedAt } : {}),
      };
    case 'account.unfrozen':
      return { ...base, type: 'identity.account.unfrozen' };
  }
  return undefined;
}
