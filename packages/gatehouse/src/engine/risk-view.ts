/** The account's risk as the API shows it (`GET /v1/accounts/:id/risk`): risk, profile, last session, timeline. */
import type { EngineState } from './engine-state.ts';
import type { Decision } from './types.ts';

export interface AccountRiskView {
  account: string;
  risk: number;
  logit: number | null;
  contained: boolean;
  containedAt: number | null;
  victimContact: boolean;
  profile: {
    firstSeen: number;
    lastSeen: number;
    messages: number;
    hours: number[];
    clients: Record<string, number>;
    linkDomains: string[];
    knownRecipients: number;
    friends: number;
    devices: number;
    networks: string[];
    countries: string[];
    peaks: { messages10m: number; recipients10m: number; groups10m: number };
  };
  lastSession: {
    id: string;
    method: string;
    createdAt: number;
    deviceNew: boolean;
    network: string | null;
    networkNew: boolean;
    country: string | null;
    countryNew: boolean;
    loginWave: number;
    risk: number;
    revoked: boolean;
    /** a QR sign-in: identity's relay signals when the approval was relayed, whether it was near */
    qr: { relay: string | null; near: boolean } | null;
    /** the owner vouched for the session */
    confirmed: boolean;
  } | null;
  /** Recent decisions other than allow, newest first. */
  timeline: Decision[];
}

export function accountRiskView(st: EngineState, account: string, t: number): AccountRiskView | undefined {
  const a = st.accounts.get(account);
  if (!a) return undefined;
  const logit = Number.isFinite(a.riskLogit) ? a.riskLogit - Math.max(0, t - a.riskAt) / 3600_000 : -Infinity;
  const s = st.lastSessionOf(a);
  return {
    account: a.id,
    risk: 1 / (1 + Math.exp(-logit)),
    logit: Number.isFinite(logit) ? logit : null,
    contained: a.contained,
    containedAt: a.contained ? a.containedAt : null,
    victimContact: st.isVictimContact(a.id, t),
    profile: {
      firstSeen: a.firstSeen,
      lastSeen: a.lastSeen,
      messages: a.messages,
      hours: Array.from(a.hours),
      clients: Object.fromEntries(a.clients),
      linkDomains: [...a.linkDomains.keys()],
      knownRecipients: a.known.size,
      friends: a.friends.size,
      devices: a.devices.size,
      networks: [...a.networks.keys()],
      countries: [...a.countries],
      peaks: { messages10m: a.peakMsgs10, recipients10m: a.peakRcpt10, groups10m: a.peakGroups10 },
    },
    lastSession: s
      ? {
          id: s.id,
          method: s.method,
          createdAt: s.createdAt,
          deviceNew: s.deviceNew,
          network: s.network ?? null,
          networkNew: s.networkNew,
          country: s.country ?? null,
          countryNew: s.countryNew,
          loginWave: s.wave,
          risk: Number.isFinite(s.riskLogit) ? 1 / (1 + Math.exp(-s.riskLogit)) : 0,
          revoked: s.revoked,
          qr:
            s.method === 'qr' ? { relay: s.qrRelay > 0 ? (s.qrSignals ?? '') : null, near: s.qrNear } : null,
          confirmed: s.confirmed,
        }
      : null,
    timeline: [...a.timeline].reverse(),
  };
}
