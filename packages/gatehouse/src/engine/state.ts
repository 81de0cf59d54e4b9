/**
 * In-memory state kept by the engine: per account (behaviour profile + sliding windows + risk),
 * per session (sign-in context), per content fingerprint (who sent it, when) and per network
 * (login waves). Every collection is bounded; every class serialises to plain JSON.
 */
import type { Decision, FingerprintKind, SignInMethod } from './types.ts';
import { NUM_SCRIPTS, hash53 } from './text.ts';
import { WindowCounters } from './windows.ts';

// account window metrics
export const M_MSG = 0;
export const M_DELIV = 1;
export const M_NEW_RCPT = 2;
export const M_RCPT_1 = 3;
export const M_RCPT_10 = 4;
export const M_RCPT_60 = 5;
export const M_GRP_10 = 6;
export const M_REPEAT = 7;
export const M_FRIEND_RM = 8;
export const M_REPORTERS_60 = 9;
export const M_BLOCKERS_60 = 10;
export const ACCOUNT_METRICS = 11;

/** Asks remembered per account (each recipient of an ask is one). */
const ASKS = 8;
const ASK_WINDOW_MS = 600_000;

/**
 * Remembers an ask (money, a code, a scam's favour) to recipient `rcpt` at `t`, and returns how many
 * distinct recipients the account asked within the 10 minutes up to `t` (this one included; at most
 * the ring's size).
 */
export function noteAsk(a: AccountState, t: number, rcpt: number): number {
  const r = (a.asks ??= new Float64Array(ASKS * 2));
  r[a.asksAt * 2] = t;
  r[a.asksAt * 2 + 1] = rcpt;
  a.asksAt = (a.asksAt + 1) % ASKS;
  let n = 0;
  for (let i = 0; i < ASKS; i++) {
    const ti = r[i * 2]!;
    if (ti === 0 || ti > t || t - ti > ASK_WINDOW_MS) continue;
    let seen = false;
    for (let j = 0; j < i && !seen; j++) {
      const tj = r[j * 2]!;
      seen = tj !== 0 && tj <= t && t - tj <= ASK_WINDOW_MS && r[j * 2 + 1] === r[i * 2 + 1];
    }
    if (!seen) n++;
  }
  return n;
}

/** Removes the oldest-inserted keys until the map is below `cap`. */
export function boundMap<K, V>(m: Map<K, V>, cap: number): void {
  while (m.size > cap) m.delete(m.keys().next().value as K);
}
export function boundSet<K>(s: Set<K>, cap: number): void {
  while (s.size > cap) s.delete(s.values().next().value as K);
}

export class AccountState {
  id: string;
  firstSeen: number;
  lastSeen: number;
  /** LRU bookkeeping (event time of the last move to the back of the accounts map). */
  lastTouch = 0;
  // ---- behaviour profile (learned only from events not judged hold or worse) ----
  messages = 0;
  hours = new Uint32Array(24);
  scripts = new Uint32Array(NUM_SCRIPTS);
  clients = new Map<string, number>();
  linkDomains = new Map<string, number>();
  linksSent = 0;
  /** recipient hash → messages sent to it */
  known = new Map<number, number>();
  /** group id hash → messages sent to it */
  groups = new Map<number, number>();
  friends = new Set<number>();
  /** device id → last seen */
  devices = new Map<string, number>();
  /** network prefix → last seen */
  networks = new Map<string, number>();
  countries = new Set<string>();
  /** decayed peaks of 10-minute counts (messages, distinct recipients, distinct groups) */
  peakMsgs10 = 0;
  peakRcpt10 = 0;
  peakGroups10 = 0;
  peakAt = 0;
  // ---- windows (allocated on first use) ----
  win: WindowCounters | undefined;
  recentRcpt: Map<number, number> | undefined;
  recentGroups: Map<number, number> | undefined;
  reporters: Map<number, number> | undefined;
  blockers: Map<number, number> | undefined;
  /** ring of the last 8 text fingerprints (repeated-content detection) */
  recentTexts = new Float64Array(8);
  recentTextsAt = 0;
  /** Recent asks (money, a code, a scam's favour) as [time, recipient hash] pairs: a ring (noteAsk). */
  asks: Float64Array | undefined;
  asksAt = 0;
  // ---- sessions and risk ----
  lastSession: string | undefined;
  contained = false;
  containedAt = 0;
  riskLogit = -Infinity;
  riskAt = 0;
  timeline: Decision[] = [];
  /** campaigns this account was found to belong to after the fact (signal on its next events) */
  pendingCampaigns: string[] | undefined;
  // ---- the session the account's last message found (EngineState.session), valid while the
  // sessions map's stamp is the one it was found under (BoundedMap.stamp); a cache, not state ----
  seenSessionId: string | undefined;
  seenSession: SessionState | undefined;
  seenSessionStamp = -1;

  /** `hash53(id)`, computed once (it keys victim contacts and fingerprint senders). */
  readonly hash: number;

  constructor(id: string, t: number) {
    this.id = id;
    this.hash = hash53(id);
    this.firstSeen = t;
    this.lastSeen = t;
  }

  windows(): WindowCounters {
    return (this.win ??= new WindowCounters(ACCOUNT_METRICS));
  }

  toJSON(): unknown {
    return {
      id: this.id,
      fs: this.firstSeen,
      ls: this.lastSeen,
      m: this.messages,
      h: Array.from(this.hours),
      sc: Array.from(this.scripts),
      cl: [...this.clients],
      ld: [...this.linkDomains],
      lk: this.linksSent,
      kn: [...this.known],
      gr: [...this.groups],
      fr: [...this.friends],
      dv: [...this.devices],
      nw: [...this.networks],
      co: [...this.countries],
      pk: [this.peakMsgs10, this.peakRcpt10, this.peakGroups10, this.peakAt],
      win: this.win?.toJSON(),
      rr: this.recentRcpt ? [...this.recentRcpt] : undefined,
      rg: this.recentGroups ? [...this.recentGroups] : undefined,
      rp: this.reporters ? [...this.reporters] : undefined,
      bl: this.blockers ? [...this.blockers] : undefined,
      rt: [Array.from(this.recentTexts), this.recentTextsAt],
      ak: this.asks ? [Array.from(this.asks), this.asksAt] : undefined,
      lss: this.lastSession,
      ct: this.contained ? this.containedAt : undefined,
      rk: Number.isFinite(this.riskLogit) ? [this.riskLogit, this.riskAt] : undefined,
      tl: this.timeline,
      pc: this.pendingCampaigns,
    };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static fromJSON(j: any): AccountState {
    const a = new AccountState(j.id, j.fs);
    a.lastSeen = j.ls;
    a.messages = j.m;
    a.hours.set(j.h);
    a.scripts.set(j.sc);
    a.clients = new Map(j.cl);
    a.linkDomains = new Map(j.ld);
    a.linksSent = j.lk;
    a.known = new Map(j.kn);
    a.groups = new Map(j.gr);
    a.friends = new Set(j.fr);
    a.devices = new Map(j.dv);
    a.networks = new Map(j.nw);
    a.countries = new Set(j.co);
    [a.peakMsgs10, a.peakRcpt10, a.peakGroups10, a.peakAt] = j.pk;
    if (j.win) a.win = WindowCounters.fromJSON(j.win);
    if (j.rr) a.recentRcpt = new Map(j.rr);
    if (j.rg) a.recentGroups = new Map(j.rg);
    if (j.rp) a.reporters = new Map(j.rp);
    if (j.bl) a.blockers = new Map(j.bl);
    a.recentTexts.set(j.rt[0]);
    a.recentTextsAt = j.rt[1];
    if (j.ak) {
      a.asks = Float64Array.from(j.ak[0] as number[]);
      a.asksAt = j.ak[1];
    }
    a.lastSession = j.lss ?? undefined;
    if (j.ct !== undefined && j.ct !== null) {
      a.contained = true;
      a.containedAt = j.ct;
    }
    if (j.rk) [a.riskLogit, a.riskAt] = j.rk;
    a.timeline = j.tl ?? [];
    a.pendingCampaigns = j.pc ?? undefined;
    return a;
  }
}

export class SessionState {
  id: string;
  account: string;
  method: SignInMethod | 'unknown';
  createdAt: number;
  device: string | undefined;
  deviceNew = false;
  network: string | undefined;
  networkNew = false;
  country: string | undefined;
  countryNew = false;
  /** identity's sign-in risk in [0, 1] */
  risk = 0;
  /** login-wave strength at sign-in, in [0, 1] */
  wave = 0;
  victimContact = false;
  revoked = false;
  /** QR sign-in: 1 when identity found the approval relayed (ends not near), 0 otherwise */
  qrRelay = 0;
  /** QR sign-in whose approving phone was on the requester's network */
  qrNear = false;
  /** identity's relay signals of a QR sign-in, by name (for the reason) */
  qrSignals: string | undefined;
  /** the owner vouched for this session from an older one */
  confirmed = false;
  /** recipients of messages with never-sent link domains in this session (a group counts as many) */
  linkRcpt = 0;
  /** recipients of money requests in this session */
  moneyRcpt = 0;
  /** highest event logit seen in this session */
  riskLogit = -1e9;

  constructor(id: string, account: string, method: SignInMethod | 'unknown', createdAt: number) {
    this.id = id;
    this.account = account;
    this.method = method;
    this.createdAt = createdAt;
  }

  toJSON(): unknown {
    return { ...this };
  }

  static fromJSON(j: SessionState): SessionState {
    return Object.assign(new SessionState(j.id, j.account, j.method, j.createdAt), j);
  }
}

/**
 * Signed in where an intruder signs in: on a device or in a country new to the account, or on a new
 * network with no device the account knows. The owner's own phone (its device id known) on a new
 * network is the owner away from home — the Spring Festival trip, a hotel, a relative's Wi-Fi —
 * not an intruder, who has no device of the owner's (engine README, "Owners away from home").
 */
export function newPlace(s: SessionState): boolean {
  return s.deviceNew || s.countryNew || (s.networkNew && s.device === undefined);
}

/** A session that is not the owner's usual one (`newPlace`) and that the owner has not vouched for. */
export function unusual(s: SessionState): boolean {
  // a session the owner vouched for is theirs
  return !s.confirmed && newPlace(s);
}

// fingerprint window metrics
export const F_SEND_10 = 0;
export const F_SEND_60 = 1;
export const F_DEV_60 = 2;
export const F_CMP_60 = 3;
export const FINGERPRINT_METRICS = 4;

export class FingerprintState {
  kind: FingerprintKind;
  key: string;
  sample: string;
  firstSeen: number;
  lastSeen: number;
  /** first sender (hash) – the full tracker is allocated when a second sender appears */
  firstSender: number;
  /** any message with this fingerprint carried risky content (link, intent, bad verdict, bank hit) */
  risky = false;
  senders: Map<number, number> | undefined;
  deviating: Map<number, number> | undefined;
  /** senders with compromise evidence (hash → last seen) */
  compromised: Map<number, number> | undefined;
  /** ids of recent senders with compromise evidence (campaign members), bounded */
  compromisedIds: string[] | undefined;
  win: WindowCounters | undefined;
  campaign: string | undefined;
  /** senders counted before the tracker followed it (prior-senders.ts): their sketch and last sending */
  priorBits: Uint32Array | undefined;
  priorLast = 0;
  /** LRU bookkeeping */
  touched: number;

  constructor(kind: FingerprintKind, key: string, sample: string, t: number, sender: number) {
    this.kind = kind;
    this.key = key;
    this.sample = sample;
    this.firstSeen = t;
    this.lastSeen = t;
    this.firstSender = sender;
    this.touched = t;
  }

  toJSON(): unknown {
    return {
      kind: this.kind,
      key: this.key,
      sample: this.sample,
      fs: this.firstSeen,
      ls: this.lastSeen,
      s0: this.firstSender,
      r: this.risky,
      se: this.senders ? [...this.senders] : undefined,
      dv: this.deviating ? [...this.deviating] : undefined,
      cp: this.compromised ? [...this.compromised] : undefined,
      ci: this.compromisedIds,
      win: this.win?.toJSON(),
      c: this.campaign,
      ...(this.priorBits ? { pb: [...this.priorBits], pl: this.priorLast } : {}),
    };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static fromJSON(j: any): FingerprintState {
    const f = new FingerprintState(j.kind, j.key, j.sample, j.fs, j.s0);
    f.lastSeen = j.ls;
    f.risky = j.r;
    if (j.se) f.senders = new Map(j.se);
    if (j.dv) f.deviating = new Map(j.dv);
    if (j.cp) f.compromised = new Map(j.cp);
    if (j.ci) f.compromisedIds = j.ci;
    if (j.win) f.win = WindowCounters.fromJSON(j.win);
    f.campaign = j.c ?? undefined;
    if (Array.isArray(j.pb)) {
      f.priorBits = Uint32Array.from(j.pb as number[]);
      f.priorLast = Number(j.pl) || 0;
    }
    return f;
  }
}

/** A network prefix or device fingerprint: accounts signing in on new devices from it. */
export class NetworkState {
  seen = new Map<number, number>();
  win = new WindowCounters(1);
  lastSeen = 0;

  toJSON(): unknown {
    return { s: [...this.seen], w: this.win.toJSON(), ls: this.lastSeen };
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static fromJSON(j: any): NetworkState {
    const n = new NetworkState();
    n.seen = new Map(j.s);
    n.win = WindowCounters.fromJSON(j.w);
    n.lastSeen = j.ls;
    return n;
  }
}
