/**
 * App anomalies: measure (per app, per window), weigh (log-odds per signal), decide (incident when the
 * sum passes zero) apart, like the engine. Two stories from leaky or abused apps:
 * - an app reading many users' friend lists or profiles at an unusual rate (scraping, or a breach of the
 *   app's own back end replaying its users' tokens);
 * - one app's tokens used from many networks (tokens leaked from the app and used elsewhere).
 */

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

/** Log-odds weight of each signal; an incident opens when BIAS + Σ weights ≥ 0. */
export const ANOMALY_WEIGHTS = {
  app_friends_breadth: 2.0,
  app_profile_breadth: 1.0,
  app_rate_jump: 1.5,
  grant_many_networks: 3.0,
  app_networks_jump: 2.5,
} as const;
export const ANOMALY_BIAS = -2.5;
export type AnomalySignalName = keyof typeof ANOMALY_WEIGHTS;

export interface AnomalySignal {
  name: AnomalySignalName;
  value: number;
  weight: number;
  /** What the value is compared with. */
  threshold: number;
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

interface AppWindow {
  start: number;
  friends: Set<string>;
  profiles: Set<string>;
  networks: Set<string>;
  grantNetworks: Map<string, Set<string>>;
  fired: Set<string>;
}

interface AppState {
  w: AppWindow;
  baseAccounts: number | undefined;
  baseNetworks: number | undefined;
}

const add = (s: Set<string>, v: string, max: number) => {
  if (s.size < max) s.add(v);
};

/** Keeps the per-app windows and says when a read makes an anomaly (once per app, kind and window). */
export class AppAnomalyDetector {
  private readonly apps = new Map<string, AppState>();
  private readonly c: AnomalyConfig;
  constructor(config: Partial<AnomalyConfig> = {}) {
    this.c = { ...ANOMALY_DEFAULTS, ...config };
  }

  private state(client: string, t: number): AppState {
    const start = t - (t % this.c.windowMs);
    let s = this.apps.get(client);
    if (!s) {
      s = { w: this.fresh(start), baseAccounts: undefined, baseNetworks: undefined };
      this.apps.set(client, s);
    } else if (s.w.start !== start) {
      // roll the window: the finished one feeds the app's usual breadth and spread
      const accounts = new Set([...s.w.friends, ...s.w.profiles]).size;
      const a = this.c.alpha;
      s.baseAccounts = s.baseAccounts === undefined ? accounts : a * accounts + (1 - a) * s.baseAccounts;
      s.baseNetworks =
        s.baseNetworks === undefined ? s.w.networks.size : a * s.w.networks.size + (1 - a) * s.baseNetworks;
      s.w = this.fresh(start);
    }
    return s;
  }

  private fresh(start: number): AppWindow {
    return {
      start,
      friends: new Set(),
      profiles: new Set(),
      networks: new Set(),
      grantNetworks: new Map(),
      fired: new Set(),
    };
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
    const w = s.w;
    add(r.resource === 'friends' ? w.friends : w.profiles, r.account, c.maxTracked);
    add(w.networks, r.network, c.maxTracked);
    let gn: Set<string> | undefined;
    if (r.grant) {
      gn = w.grantNetworks.get(r.grant);
      if (!gn && w.grantNetworks.size < c.maxTracked) w.grantNetworks.set(r.grant, (gn = new Set()));
      if (gn) add(gn, r.network, 64);
    }
    const out: Anomaly[] = [];
    const window = { start: w.start, end: w.start + c.windowMs };
    const sig = (name: AnomalySignalName, value: number, threshold: number): AnomalySignal => ({
      name,
      value: Math.round(value * 100) / 100,
      weight: ANOMALY_WEIGHTS[name],
      threshold: Math.round(threshold * 100) / 100,
    });

    // breadth: how many users' data this app read in the window, against its usual
    if (!w.fired.has('breadth')) {
      const signals: AnomalySignal[] = [];
      if (w.friends.size >= c.friendsBreadth)
        signals.push(sig('app_friends_breadth', w.friends.size, c.friendsBreadth));
      if (w.profiles.size >= c.profileBreadth)
        signals.push(sig('app_profile_breadth', w.profiles.size, c.profileBreadth));
      const usual = Math.max(s.baseAccounts ?? 0, c.baselineFloor);
      const accounts = Math.max(w.friends.size, w.profiles.size);
      if (signals.length && accounts >= c.jumpFactor * usual)
        signals.push(sig('app_rate_jump', accounts / usual, c.jumpFactor));
      const score = ANOMALY_BIAS + signals.reduce((n, x) => n + x.weight, 0);
      if (signals.length && score >= 0) {
        w.fired.add('breadth');
        out.push({
          client: r.client,
          kind: 'app_reading_breadth',
          at: r.at,
          window,
          score,
          signals,
          accounts: [...new Set([...w.friends, ...w.profiles])].slice(0, 1000),
        });
      }
    }

    // spread: the app's tokens (one grant's, or all of them) used from many networks
    if (!w.fired.has('networks')) {
      const signals: AnomalySignal[] = [];
      if (gn && gn.size >= c.grantNetworks)
        signals.push(sig('grant_many_networks', gn.size, c.grantNetworks));
      const usualNets = Math.max(s.baseNetworks ?? 0, c.networksFloor);
      if (w.networks.size >= c.appNetworksMin && w.networks.size >= c.appNetworksFactor * usualNets)
        signals.push(sig('app_networks_jump', w.networks.size, c.appNetworksFactor * usualNets));
      const score = ANOMALY_BIAS + signals.reduce((n, x) => n + x.weight, 0);
      if (signals.length && score >= 0) {
        w.fired.add('networks');
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
