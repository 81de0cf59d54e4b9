/**
 * Account events other than messages: reports and blocks by contacts, friends and groups, profile
 * and password changes, and the identity events (sign-ins, revocations, freezes). Each one that
 * can change the account's risk is scored from its state with the account-level detectors.
 */
import {
  changedFromNewSession,
  containedSignal,
  friendRemovalBurst,
  reportSignals,
  sessionSignals,
  victimSignal,
} from './detectors/index.ts';
import type { EngineState } from './engine-state.ts';
import { decide, makeDecision } from './scoring.ts';
import type { SignalSink } from './signals.ts';
import type { AccountState } from './state.ts';
import { M_BLOCKERS_60, M_FRIEND_RM, M_REPORTERS_60, boundMap, boundSet } from './state.ts';
import { hash53 } from './text.ts';
import type { Decision, EngineEvent, IdentityEvent, PlatformEvent } from './types.ts';
import { W10, W60, countDistinct, touchLastSeen } from './windows.ts';
import { onLogin } from './sessions.ts';

type AccountEvent = Exclude<PlatformEvent, { type: 'message.sent' }>;

/** A platform event other than a message: updates state, and scores the account when it matters. */
export function onAccountEvent(st: EngineState, ev: AccountEvent): Decision | undefined {
  switch (ev.type) {
    case 'message.reported': {
      const target = st.account(ev.sender, ev.time);
      const prev = touchLastSeen((target.reporters ??= new Map()), 256, hash53(ev.account), ev.time);
      countDistinct(target.windows(), ev.time, prev, -1, -1, M_REPORTERS_60);
      return scoreAccountEvent(st, target, ev.id, ev.type, ev.time);
    }
    case 'contact.blocked': {
      st.account(ev.account, ev.time);
      const target = st.account(ev.contact, ev.time);
      const prev = touchLastSeen((target.blockers ??= new Map()), 256, hash53(ev.account), ev.time);
      countDistinct(target.windows(), ev.time, prev, -1, -1, M_BLOCKERS_60);
      return scoreAccountEvent(st, target, ev.id, 'contact.blocked', ev.time);
    }
    case 'friend.added': {
      const a = st.account(ev.account, ev.time);
      a.friends.add(hash53(ev.friend));
      boundSet(a.friends, st.limits.friends);
      return undefined;
    }
    case 'friend.removed': {
      const a = st.account(ev.account, ev.time);
      a.friends.delete(hash53(ev.friend));
      const w = a.windows();
      w.add(M_FRIEND_RM, ev.time);
      friendRemovalBurst(w.sum(M_FRIEND_RM, ev.time, W10), accountSignals(st, a, ev.time));
      return finishAccountEvent(st, a, ev.id, 'friend.removed', ev.time);
    }
    case 'group.joined': {
      const a = st.account(ev.account, ev.time);
      const h = hash53(ev.group.id, 7);
      if (!a.groups.has(h)) a.groups.set(h, 0);
      boundMap(a.groups, st.limits.knownGroups);
      return undefined;
    }
    case 'group.left':
      st.account(ev.account, ev.time).groups.delete(hash53(ev.group.id, 7));
      return undefined;
    case 'profile.changed':
      return onChange(st, ev.account, ev.id, ev.type, ev.time, 'profile_changed_new_session', ev.field);
  }
}

export function onIdentity(st: EngineState, ev: IdentityEvent): Decision | undefined {
  const t = ev.time;
  switch (ev.type) {
    case 'identity.login.succeeded':
      return onLogin(st, ev);
    case 'identity.session.created':
      // Identity emits login.succeeded and session.created for one sign-in: the second must not
      // rebuild the session, or the device and network it just learned would no longer count as new.
      return st.sessions.get(ev.session) !== undefined ? undefined : onLogin(st, ev);
    case 'identity.session.revoked': {
      const s = st.sessions.get(ev.session);
      if (s) s.revoked = true;
      return undefined;
    }
    case 'identity.signin.qr':
      return onSigninQr(st, ev);
    case 'identity.session.confirmed': {
      const s = st.sessions.get(ev.session);
      if (!s || s.account !== ev.account) return undefined;
      s.confirmed = true;
      s.qrRelay = 0;
      // the owner's own session: its device and network are the account's again
      const a = st.account(ev.account, t);
      if (s.device !== undefined) a.devices.set(s.device, t);
      if (s.network !== undefined) a.networks.set(s.network, t);
      return scoreAccountEvent(st, a, ev.id, ev.type, t);
    }
    case 'identity.password.changed': {
      const a = st.account(ev.account, t);
      // the owner's reset in account recovery ended every session, the intruder's too: nothing to judge,
      // and no later account event is the intruder's session's (a decision here raced the owner's own
      // review of sessions and app grants, revoking what the owner chose to keep)
      if (ev.via === 'recovery') {
        a.lastSession = undefined;
        return undefined;
      }
      if (ev.session !== undefined) a.lastSession = ev.session;
      return onChange(st, ev.account, ev.id, ev.type, t, 'password_changed_new_session', 'password');
    }
    case 'identity.account.frozen': {
      // identity's frozen record is the one channel that says an account is contained (its own contain
      // decision only anticipates it); a containment is a hijack victim, its contacts carry a raised prior
      if (ev.kind === 'containment') st.markVictim(ev.account, ev.decidedAt ?? t);
      const a = st.account(ev.account, t);
      a.contained = true;
      a.containedAt = t;
      return undefined;
    }
    case 'identity.account.unfrozen':
      st.release(ev.account);
      return undefined;
  }
}

/**
 * A QR sign-in's relay evidence joins its session (the session itself came with login.succeeded just
 * before): a relayed approval is compromise evidence for everything the session does. A near one
 * (the owner's signed-in phone approved it on the requester's own network) is the owner bringing in a
 * device they hold in front of them: the device, network and country are vouched for by the account's
 * own older session, so the session is on a familiar context (no device_new, network_new, country_new,
 * login wave or new_client: none of them is compromise evidence any more). What it gives up is an
 * intruder on the victim's own /24 (/48), which the proximity rule accepts by design.
 */
function onSigninQr(
  st: EngineState,
  ev: Extract<IdentityEvent, { type: 'identity.signin.qr' }>,
): Decision | undefined {
  const s = st.sessions.get(ev.session);
  if (!s || s.account !== ev.account) return undefined;
  s.qrRelay = ev.mismatch ? 1 : 0;
  s.qrNear = ev.sameNetwork && !ev.mismatch;
  s.qrSignals = ev.signals.map((x) => x.name).join(',') || undefined;
  if (s.qrNear) {
    s.deviceNew = s.networkNew = s.countryNew = false;
    s.wave = 0;
  }
  const a = st.account(ev.account, ev.time);
  return scoreAccountEvent(st, a, ev.id, ev.type, ev.time);
}

function onChange(
  st: EngineState,
  account: string,
  id: string,
  type: EngineEvent['type'],
  t: number,
  signal: 'profile_changed_new_session' | 'password_changed_new_session',
  what: string,
): Decision {
  const a = st.account(account, t);
  changedFromNewSession(st.lastSessionOf(a), t, signal, what, accountSignals(st, a, t));
  return finishAccountEvent(st, a, id, type, t);
}

/** Reports, blocks, sign-ins: re-score the account from its state. */
export function scoreAccountEvent(
  st: EngineState,
  a: AccountState,
  id: string,
  type: EngineEvent['type'],
  t: number,
): Decision {
  accountSignals(st, a, t);
  return finishAccountEvent(st, a, id, type, t);
}

/** Resets the sink and emits the signals every account-level event carries. */
function accountSignals(st: EngineState, a: AccountState, t: number): SignalSink {
  const sink = st.sink;
  sink.reset();
  const w = a.win;
  if (w) reportSignals(w.sum(M_REPORTERS_60, t, W60), w.sum(M_BLOCKERS_60, t, W60), sink);
  sessionSignals(st.lastSessionOf(a), t, sink);
  // a victim's contact carries the prior only when its own session shows compromise
  if (st.victimContact(a.hash, t) && (a.contained || sink.compromise >= st.limits.compromisedSender))
    victimSignal(sink);
  if (a.contained) containedSignal(sink);
  return sink;
}

function finishAccountEvent(
  st: EngineState,
  a: AccountState,
  id: string,
  type: EngineEvent['type'],
  t: number,
): Decision {
  const sink = st.sink;
  const logit = st.bias + sink.logit;
  const action = decide(logit, sink.compromise, st.thresholds);
  const d = makeDecision(id, type, a.id, a.lastSession, t, action, logit, sink.signals, undefined);
  st.afterDecision(a, st.lastSessionOf(a), d, t);
  return d;
}
