/**
 * Sessions and login waves: a sign-in creates the session's context (device, network, country,
 * whether each is new to the account, identity's risk) and counts new-device sign-ins per network
 * and device fingerprint; many accounts signing in on new devices from one place is a login wave.
 */
import { scoreAccountEvent } from './account-events.ts';
import type { EngineState } from './engine-state.ts';
import { clamp01 } from './signals.ts';
import { NetworkState, SessionState, boundMap } from './state.ts';
import { networkOf } from './text.ts';
import type { Decision, LoginSucceededEvent, SessionCreatedEvent } from './types.ts';
import { W10, countDistinct, touchLastSeen } from './windows.ts';

export function onLogin(st: EngineState, ev: LoginSucceededEvent | SessionCreatedEvent): Decision {
  const t = ev.time;
  const L = st.limits;
  const a = st.account(ev.account, t);
  const s = new SessionState(ev.session, ev.account, ev.method ?? 'unknown', t);
  const ah = a.hash;
  if (ev.device) {
    s.device = ev.device.id;
    s.deviceNew = a.devices.size > 0 && !a.devices.has(ev.device.id);
  }
  if (ev.ip !== undefined) {
    s.network = networkOf(ev.ip);
    s.networkNew = a.networks.size > 0 && !a.networks.has(s.network);
  }
  if (ev.country !== undefined) {
    s.country = ev.country.toUpperCase();
    s.countryNew = a.countries.size > 0 && !a.countries.has(s.country);
  }
  if (ev.type === 'identity.login.succeeded' && ev.risk !== undefined) s.risk = clamp01(ev.risk);
  if (s.deviceNew) {
    if (s.network !== undefined) s.wave = Math.max(s.wave, noteNewDeviceLogin(st, s.network, ah, t));
    if (ev.device?.fingerprint)
      s.wave = Math.max(s.wave, noteNewDeviceLogin(st, `fp:${ev.device.fingerprint}`, ah, t));
  }
  s.victimContact = st.victimContact(ah, t);
  st.sessions.set(s.id, s);
  a.lastSession = s.id;
  // learn sign-in context (forgotten again if the session is later contained)
  if (s.device !== undefined) {
    a.devices.set(s.device, t);
    boundMap(a.devices, L.devices);
  }
  if (s.network !== undefined) {
    a.networks.set(s.network, t);
    boundMap(a.networks, L.networks);
  }
  if (s.country !== undefined) a.countries.add(s.country);
  return scoreAccountEvent(st, a, ev.id, ev.type, t);
}

/** Records a new-device sign-in from a network/device fingerprint; returns the wave strength. */
function noteNewDeviceLogin(st: EngineState, key: string, account: number, t: number): number {
  let n = st.networks.get(key);
  if (n === undefined) {
    n = new NetworkState();
    st.networks.set(key, n);
  }
  n.lastSeen = Math.max(n.lastSeen, t);
  const prev = touchLastSeen(n.seen, 4096, account, t);
  countDistinct(n.win, t, prev, -1, 0, -1);
  return waveStrength(st, n.win.sum(0, t, W10));
}

/**
 * A session on a new device signed in before a wave was visible learns of it later: its first
 * messages within a day look at the network's count 5 minutes after the sign-in.
 */
export function lateWave(st: EngineState, s: SessionState, t: number): void {
  if (s.wave === 0 && s.deviceNew && s.network !== undefined && t - s.createdAt < 24 * 3600_000) {
    const n = st.networks.get(s.network);
    s.wave = n ? waveStrength(st, n.win.sum(0, s.createdAt + 300_000, W10)) : 0;
  }
}

function waveStrength(st: EngineState, count: number): number {
  const min = st.limits.loginWaveMinAccounts;
  return count < min ? 0 : clamp01(0.75 + (count - min) / (4 * min));
}

/** A reason the engine gives against a sign-in about to happen, and what it asks for. */
export interface SignInRisk {
  name: 'engine_contained' | 'login_wave';
  value: number;
  threshold: number;
  /** `deny`: no session on a new device, whatever its factors; `probation`: a session that cannot take over (24 h). */
  effect: 'deny' | 'probation';
  en: string;
  zh: string;
}

/**
 * The engine asked before a session exists (identity, for a sign-in on a device the account has not
 * used): the account is contained by the engine now, or its network is in a wave of new-device
 * sign-ins across accounts (the QQ pattern). Reads the state only; the sign-in itself is counted when
 * its session is made.
 */
export function signInRisk(st: EngineState, q: { account: string; ip: string; t: number }): SignInRisk[] {
  const out: SignInRisk[] = [];
  const a = st.accounts.get(q.account);
  if (a?.contained)
    out.push({
      name: 'engine_contained',
      value: 1,
      threshold: 1,
      effect: 'deny',
      en: 'The account is contained as a suspected takeover: its owner signs in on a device used before, or takes it back through a recovery case',
      zh: '该账号因疑似被盗已被控制：账号主人请在以前用过的设备上登录，或通过找回流程取回账号',
    });
  // asked for a device the account never used; new as onLogin counts it (a first device is not "new")
  const deviceNew = !!a && a.devices.size > 0;
  const n = deviceNew ? st.networks.get(networkOf(q.ip)) : undefined;
  const count = n ? n.win.sum(0, q.t, W10) : 0;
  if (n && waveStrength(st, count) > 0)
    out.push({
      name: 'login_wave',
      value: count,
      threshold: st.limits.loginWaveMinAccounts,
      effect: 'probation',
      en: `${count} accounts signed in on new devices from this network in the last 10 minutes`,
      zh: `最近 10 分钟内有 ${count} 个账号从该网络在新设备上登录`,
    });
  return out;
}
