/**
 * App anomalies: measure (per app, per window), weigh (log-odds per signal), decide (incident when the
 * sum passes zero) apart, like the engine. Two stories from leaky or abused apps:
 * - an app reading many users' friend lists or profiles at an unusual rate (scraping, or a breach of the
 *   app's own back end replaying its users' tokens);
 * - one app's tokens used from many networks (tokens leaked from the app and used elsewhere).
 */
import type { Localized } from '@gatehouse/sdk';
import { WEIGHTS, explainSignal, type SignalName } from '../engine/index.ts';

export interface AnomalyConfig {
  windowMs: number;
  /** Distinct users whose friend list one app read in a window. */
  friendsBreadth: number;
  /** Distinct users whose profile one app read in a window. */
  profileBreadth: number;
  /** Current distinct users ≥ factor × the app's usual (EWMA of past windows, floor `baselineFloor`). */
  jumpFactor: number;
  baselineFloor: number;
  /** Distinct networks one grant's tokens were used from in a window. */
  grantNetworks: number;
  /** Distinct networks the app's tokens came from ≥ factor × usual and at least `appNetworksMin`. */
  appNetworksFactor: number;
  appNetworksMin: number;
  networksFloor: number;
  /** Weight of the newest window in the baseline. */
  alpha: number;
  /** Most tracked values per set (memory bound). */
  maxTracked: number;
}

export const ANOMALY_DEFAULTS: AnomalyConfig = {
  windowMs: 10 * 60_000,
  friendsBreadth: 30,
  profileBreadth: 200,
  jumpFactor: 5,
  baselineFloor: 5,
  grantNetworks: 4,
  appNetworksFactor: 5,
  appNetworksMin: 15,
  networksFloor: 3,
  alpha: 0.3,
  maxTracked: 100_000,
};

/**
 * The signals, each one of the engine's (engine/config.ts, group `app`: its weight, its doc, its
 * sentence in engine/explain.ts); an incident opens when ANOMALY_BIAS + Σ weights ≥ 0.
 */
export const ANOMALY_SIGNALS = [
  'app_friends_breadth',
  'app_profile_breadth',
  'app_rate_jump',
  'grant_many_networks',
  'app_networks_jump',
] as const satisfies readonly SignalName[];
export type AnomalySignalName = (typeof ANOMALY_SIGNALS)[number];
/** Log-odds weight of each signal: the engine's. */
export const ANOMALY_WEIGHTS = Object.fromEntries(ANOMALY_SIGNALS.map((n) => [n, WEIGHTS[n].w])) as Record<
  AnomalySignalName,
  number
>;
/**
 * The prior of one app's window (the engine's BIAS is per account event): one strong signal — a grant
 * used from many networks, the friend lists of many users — opens an incident alone; the breadth of
 * profiles read only with a jump over the app's usual.
 */
export const ANOMALY_BIAS = -2.5;

export interface AnomalySignal {
  name: AnomalySignalName;
  value: number;
  weight: number;
  /** What the value is compared with. */
  threshold: number;
  /** The engine's sentence for it (engine/explain.ts), in English and Chinese. */
  explanation: Localized;
}

export interface Anomaly {
  client: string;
  kind: 'app_reading_breadth' | 'app_token_networks';
  at: number;
  window: { start: number; end: number };
  score: number;
  signals: AnomalySignal[];
  /** Accounts read in the window (capped) and the grant behind a network spread. */
  accounts: string[];
  grant?: string;
}

/**
 * Values seen in the last window, each with its latest sighting, oldest first (a value seen again moves
 * to the back), so the expired ones are dropped from the front. Bounded at `max` values.
 */
class Recent {
  private readonly m = new Map<string, number>();
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  see(v: string, t: number): void {
    if (this.m.delete(v) || this.m.size < this.max) this.m.set(v, t);
  }
  /** Drops what was last seen before `cutoff`. */
  expire(cutoff: number): void {
    for (const [v, t] of this.m) {
      if (t >= cutoff) return;
      this.m.delete(v);
    }
  }
  get size(): number {
    return this.m.size;
  }
  values(): IterableIterator<string> {
    return this.m.keys();
  }
}

/**
 * One app: what it read in the last `windowMs` (a window that slides with each read — in fixed,
 * clock-aligned windows a scrape across a boundary was split in two and neither half counted: the
 * breadth incident was missed), its usual breadth and spread (sampled once per `windowMs`), and when each
 * kind of anomaly last fired (at most once per `windowMs`).
 */
interface AppState {
  friends: Recent;
  profiles: Recent;
  networks: Recent;
  grantNetworks: Map<string, Recent>;
  fired: Map<'breadth' | 'networks', number>;
  /** The clock-aligned window the baselines were last sampled in. */
  sampled: number;
  /** The app's first read: a window it began in was not seen whole and is no sample of its usual. */
  since: number;
  baseAccounts: number | undefined;
  baseNetworks: number | undefined;
}

/** Keeps each app's last window and says when a read makes an anomaly (once per app, kind and window). */
export class AppAnomalyDetector {
  private readonly apps = new Map<string, AppState>();
  private readonly c: AnomalyConfig;
  constructor(config: Partial<AnomalyConfig> = {}) {
    this.c = { ...ANOMALY_DEFAULTS, ...config };
  }

  private state(client: string, t: number): AppState {
    const c = this.c;
    const aligned = t - (t % c.windowMs);
    let s = this.apps.get(client);
    if (!s) {
      s = {
        friends: new Recent(c.maxTracked),
        profiles: new Recent(c.maxTracked),
        networks: new Recent(c.maxTracked),
        grantNetworks: new Map(),
        fired: new Map(),
        sampled: aligned,
        since: t,
        baseAccounts: undefined,
        baseNetworks: undefined,
      };
      this.apps.set(client, s);
      return s;
    }
    const cutoff = t - c.windowMs;
    if (s.sampled !== aligned) {
      // once per window: the last window's breadth and spread feed the app's usual — unless the app
      // began in it (a scrape by a new app would otherwise be its own usual)
      if (s.since <= s.sampled) {
        const accounts = new Set([...s.friends.values(), ...s.profiles.values()]).size;
        const a = c.alpha;
        s.baseAccounts = s.baseAccounts === undefined ? accounts : a * accounts + (1 - a) * s.baseAccounts;
        s.baseNetworks =
          s.baseNetworks === undefined ? s.networks.size : a * s.networks.size + (1 - a) * s.baseNetworks;
      }
      s.sampled = aligned;
      for (const [g, n] of s.grantNetworks) {
        n.expire(cutoff);
        if (n.size === 0) s.grantNetworks.delete(g);
      }
    }
    s.friends.expire(cutoff);
    s.profiles.expire(cutoff);
    s.networks.expire(cutoff);
    return s;
  }

  /** One read. Returns the anomalies it completes (usually none). */
  observe(r: {
    client: string;
    account: string;
    grant: string | null;
    resource: string;
    network: string;
    at: number;
  }): Anomaly[] {
    const c = this.c;
    const s = this.state(r.client, r.at);
    (r.resource === 'friends' ? s.friends : s.profiles).see(r.account, r.at);
    s.networks.see(r.network, r.at);
    let gn: Recent | undefined;
    if (r.grant) {
      gn = s.grantNetworks.get(r.grant);
      if (!gn && s.grantNetworks.size < c.maxTracked) s.grantNetworks.set(r.grant, (gn = new Recent(64)));
      if (gn) {
        gn.expire(r.at - c.windowMs);
        gn.see(r.network, r.at);
      }
    }
    const out: Anomaly[] = [];
    const window = { start: r.at - c.windowMs, end: r.at };
    const quiet = (kind: 'breadth' | 'networks') => {
      const at = s.fired.get(kind);
      return at === undefined || r.at - at >= c.windowMs;
    };
    const sig = (name: AnomalySignalName, value: number, threshold: number): AnomalySignal => {
      const v = Math.round(value * 100) / 100;
      return {
        name,
        value: v,
        weight: ANOMALY_WEIGHTS[name],
        threshold: Math.round(threshold * 100) / 100,
        explanation: explainSignal({ name, value: v }),
      };
    };

    // breadth: how many users' data this app read in the window, against its usual
    if (quiet('breadth')) {
      const signals: AnomalySignal[] = [];
      if (s.friends.size >= c.friendsBreadth)
        signals.push(sig('app_friends_breadth', s.friends.size, c.friendsBreadth));
      if (s.profiles.size >= c.profileBreadth)
        signals.push(sig('app_profile_breadth', s.profiles.size, c.profileBreadth));
      const usual = Math.max(s.baseAccounts ?? 0, c.baselineFloor);
      const accounts = Math.max(s.friends.size, s.profiles.size);
      if (signals.length && accounts >= c.jumpFactor * usual)
        signals.push(sig('app_rate_jump', accounts / usual, c.jumpFactor));
      const score = ANOMALY_BIAS + signals.reduce((n, x) => n + x.weight, 0);
      if (signals.length && score >= 0) {
        s.fired.set('breadth', r.at);
        out.push({
          client: r.client,
          kind: 'app_reading_breadth',
          at: r.at,
          window,
          score,
          signals,
          accounts: [...new Set([...s.friends.values(), ...s.profiles.values()])].slice(0, 1000),
        });
      }
    }

    // spread: the app's tokens (one grant's, or all of them) used from many networks
    if (quiet('networks')) {
      const signals: AnomalySignal[] = [];
      if (gn && gn.size >= c.grantNetworks)
        signals.push(sig('grant_many_networks', gn.size, c.grantNetworks));
      const usualNets = Math.max(s.baseNetworks ?? 0, c.networksFloor);
      if (s.networks.size >= c.appNetworksMin && s.networks.size >= c.appNetworksFactor * usualNets)
        signals.push(sig('app_networks_jump', s.networks.size, c.appNetworksFactor * usualNets));
      const score = ANOMALY_BIAS + signals.reduce((n, x) => n + x.weight, 0);
      if (signals.length && score >= 0) {
        s.fired.set('networks', r.at);
        out.push({
          client: r.client,
          kind: 'app_token_networks',
          at: r.at,
          window,
          score,
          signals,
          accounts: [r.account],
          ...(gn && gn.size >= c.grantNetworks && r.grant ? { grant: r.grant } : {}),
        });
      }
    }
    return out;
  }
}
