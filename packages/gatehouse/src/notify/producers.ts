import { AppAuthorisedEvent, AppSuspendedEvent, IdentityEvent } from '@gatehouse/sdk';
import { ActionTakenEvent, type BusEvent } from '../bus/index.ts';
import { networkOf } from '../engine/index.ts';
import type { FactorChange } from '../recovery/index.ts';
import type { Tx } from '../store/db.ts';
import type { NoticeInput } from './catalogue.ts';
import { enqueueNoticeInTx } from './enqueue.ts';
import { notifyStore as q } from './store.ts';

/**
 * The producers that exist today, fed into the notify outbox. In the producer's transaction: a sign-in
 * from a new device, network or country (identity), a password change (identity), an operator's freeze
 * (identity routes), the appeal steps and recovery factor changes (recovery). From the bus, for facts that already travel on it:
 * the response part's containment notice (action.taken of notify_owner), sessions ended in bulk, and
 * third-party apps authorised or suspended (oauth's app.authorised and app.suspended).
 */

export interface SignInFacts {
  account: string;
  session: string;
  method: string;
  ip: string;
  device: { label: string; browser?: string; os?: string; deviceType?: string };
  /** ISO 3166 code, when the sign-in's producer knows it. */
  country?: string;
  at: number;
}

const CONTEXT_RETENTION_MS = 180 * 86_400_000;
/**
 * A known context seen this recently is not written again at each sign-in: its last-seen time (which
 * only the retention reads, in months) is this coarse.
 */
export const CONTEXT_NOTE_EVERY_MS = 3_600_000;

/** "Chrome on Windows (desktop)": a browser or OS update is not a new device. */
export function deviceKey(d: SignInFacts['device']): string {
  const strip = (s?: string) => (s ?? '').replace(/\s+[\d._]+$/, '');
  const key = [strip(d.browser), strip(d.os), d.deviceType ?? ''].join('|');
  return key === '||' ? d.label.slice(0, 100) : key;
}

/**
 * In the sign-in's transaction: compares its device, network (/24, /48) and country with where the
 * account signed in before, remembers them, and enqueues `signin.new` when one of them is new. The first
 * sign-in (nothing known yet of that kind) teaches, it does not alarm.
 */
export async function noteSignInTx(tx: Tx, s: SignInFacts): Promise<{ novel: string[]; notice?: string }> {
  const contexts = [
    { kind: 'device', value: deviceKey(s.device) },
    { kind: 'network', value: networkOf(s.ip) },
    ...(s.country ? [{ kind: 'country', value: s.country.toUpperCase().slice(0, 8) }] : []),
  ];
  // only what this sign-in needs (is each value known, does its kind have any): never every context
  const known = await q.contextsSeen(tx, s.account, contexts);
  const novel = contexts
    .filter((c) => known.kinds.has(c.kind) && !known.values.has(`${c.kind}|${c.value}`))
    .map((c) => c.kind as 'device' | 'network' | 'country');
  // one statement for every context, none when each was seen within the hour
  const stale = contexts.some((c) => {
    const seen = known.lastSeen.get(`${c.kind}|${c.value}`);
    return seen === undefined || s.at - seen >= CONTEXT_NOTE_EVERY_MS;
  });
  if (stale) await q.noteContexts(tx, s.account, contexts, s.session, s.at);
  // forget contexts not seen for the retention now and then (one sign-in in 32)
  if (s.session.charCodeAt(s.session.length - 1) % 32 === 1)
    await q.pruneContexts(tx, s.account, s.at - CONTEXT_RETENTION_MS);
  if (novel.length === 0) return { novel };
  const r = await enqueueNoticeInTx(
    tx,
    {
      kind: 'signin.new',
      account: s.account,
      key: `session:${s.session}`,
      session: s.session,
      params: {
        at: s.at,
        method: s.method,
        device: s.device.label.slice(0, 200),
        ip: s.ip.slice(0, 64),
        network: networkOf(s.ip).slice(0, 64),
        ...(s.country ? { country: s.country.toUpperCase().slice(0, 8) } : {}),
        novel,
      },
    },
    s.at,
  );
  return { novel, notice: r.id };
}

/** A password change, in its transaction. */
export function passwordChangedNotice(p: {
  account: string;
  session?: string;
  via: 'settings' | 'recovery';
  sessionsEnded: number;
  sessionsKept?: number;
  at: number;
}): NoticeInput {
  return {
    kind: 'password.changed',
    account: p.account,
    key: `password:${p.at}:${p.session ?? p.via}`,
    ...(p.session ? { session: p.session } : {}),
    params: {
      at: p.at,
      via: p.via,
      sessionsEnded: p.sessionsEnded,
      ...(p.sessionsKept ? { sessionsKept: p.sessionsKept } : {}),
    },
  };
}

/** A recovery factor added, changed or removed, in its transaction ("this wasn't me" ends the session that made it). */
export function factorChangedNotice(c: FactorChange): NoticeInput {
  return {
    kind: 'recovery.factor_changed',
    account: c.account,
    key: `factor:${c.factor}:${c.at}:${c.session ?? 'operator'}`,
    ...(c.session ? { session: c.session } : {}),
    params: {
      at: c.at,
      change: c.change,
      factor: c.factor,
      ...(c.detail ? { detail: c.detail.slice(0, 200) } : {}),
      coolingOffUntil: c.coolingOffUntil,
    },
  };
}

/** An operator's freeze: the platform's enforcement; the appeal goes to people. */
export function operatorFreezeNotice(c: { account: string; reason: string; at: number }): NoticeInput {
  return {
    kind: 'account.sanctioned',
    account: c.account,
    key: `freeze:${c.at}`,
    params: { at: c.at, reason: c.reason.slice(0, 500) },
  };
}

/** The appeal steps the owner hears about: opened, verified, and how it ended. */
export function appealNotice(
  c: { id: string; account_id: string },
  step: string,
  details: Record<string, unknown>,
  at: number,
): NoticeInput | undefined {
  const base = { account: c.account_id, key: `case:${c.id}:${step}` };
  switch (step) {
    case 'opened':
      return {
        ...base,
        kind: 'appeal.opened',
        params: { at, case: c.id, openedBy: details.openedBy === 'operator' ? 'operator' : 'owner' },
      };
    case 'verified':
      return {
        ...base,
        kind: 'appeal.verified',
        params: { at, case: c.id, method: String(details.method ?? 'unknown').slice(0, 40) },
      };
    case 'restored':
    case 'rejected':
    case 'expired':
      return {
        ...base,
        kind: 'appeal.finished',
        params: {
          at,
          case: c.id,
          outcome: step,
          ...(typeof details.reason === 'string' ? { reason: details.reason.slice(0, 500) } : {}),
        },
      };
    default:
      return undefined;
  }
}

// ended by a signed-in session (the owner's or an intruder's); operators' and containments' revocations
// come with notices of their own
const BULK_REASONS = new Set(['others', 'everywhere']);

/**
 * The sessions whose taught contexts a containment's `revoke_sessions`, `freeze_account` or
 * `forget_device` asks to forget (its detail's `deviceSessions`: the intruder device's sessions on the
 * account), when done in earnest.
 */
export function contextsToForget(e: BusEvent): { account: string; sessions: string[] } | undefined {
  if (e.type !== 'action.taken') return undefined;
  const a = ActionTakenEvent.safeParse(e);
  if (!a.success || !a.data.account) return undefined;
  const { action } = a.data;
  const forgets =
    action.kind === 'revoke_sessions' || action.kind === 'freeze_account' || action.kind === 'forget_device';
  if (!forgets || action.mode !== 'enforce' || action.status !== 'done') return undefined;
  const list = action.detail.deviceSessions;
  const sessions = Array.isArray(list)
    ? list.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 64).slice(0, 500)
    : [];
  return sessions.length ? { account: a.data.account, sessions } : undefined;
}

/** The notices a bus event brings, or none (the event's id makes the key: redelivery is harmless). */
export function noticesFromBus(e: BusEvent): NoticeInput[] {
  if (e.type === 'action.taken') {
    const a = ActionTakenEvent.safeParse(e);
    if (!a.success || !a.data.account) return [];
    const { action } = a.data;
    const text = action.detail.text;
    if (action.kind !== 'notify_owner' || action.mode !== 'enforce' || action.status !== 'done' || !text)
      return [];
    return [
      {
        kind: 'account.contained',
        account: a.data.account,
        key: `decision:${action.decision}`,
        params: {
          at: a.data.time,
          summary: { en: text.en, zh: text.zh },
          decision: action.decision.slice(0, 200),
        },
      },
    ];
  }
  if (e.type === 'session.revoked') {
    const s = IdentityEvent.safeParse(e);
    if (!s.success || s.data.type !== 'session.revoked' || !BULK_REASONS.has(s.data.reason)) return [];
    // every session ended by one request shares the request's time: one notice for all of them
    return [
      {
        kind: 'sessions.ended',
        account: s.data.account,
        key: `${s.data.reason}:${s.data.time}`,
        params: { at: s.data.time, reason: s.data.reason as 'others' | 'everywhere' },
      },
    ];
  }
  if (e.type === 'app.authorised') {
    const a = AppAuthorisedEvent.safeParse(e);
    if (!a.success) return [];
    return [
      {
        kind: 'app.authorised',
        account: a.data.account,
        key: `grant:${a.data.grant}:${a.data.id}`,
        params: {
          at: a.data.time,
          app: a.data.app.en.slice(0, 200),
          scopes: a.data.scopes.slice(0, 50).map((x) => x.slice(0, 64)),
        },
      },
    ];
  }
  if (e.type === 'app.suspended') {
    const a = AppSuspendedEvent.safeParse(e);
    if (!a.success) return [];
    return [
      {
        kind: 'app.suspended',
        account: a.data.account,
        key: `suspended:${a.data.incident}`,
        params: { at: a.data.time, app: a.data.app.en.slice(0, 200), reason: a.data.reason.slice(0, 500) },
      },
    ];
  }
  return [];
}
