import { hash } from 'node:crypto';
import type { CounterRule, CounterStore } from '../ratelimit/index.ts';
import type { Db, Tx } from '../store/db.ts';
import { networkOf } from './network.ts';
import { identityStore as q } from './store.ts';

/**
 * Password attempts (sign-in, re-authentication, password change) are counted in the database before
 * the password is checked, so a concurrent burst evaluates no more guesses than the limits allow.
 *
 * Counters, per window (loginWindowMs):
 * - per handle and network (IPv4 /24, IPv6 /64), or per handle and known device: `maxPerAccount` quick
 *   attempts, then each next one waits 30 s, 60 s, 120 s … (capped at the window) after the previous one;
 * - per network, every handle together: `maxPerNetwork`;
 * - per handle, over every network and device it has never signed in from: `maxUnknownPerAccount`.
 *
 * A network or device the account signed in from before has its own counter, so guesses from new
 * networks never lock the owner out where they usually sign in; a device token (issued at sign-in) keeps
 * the owner's device apart even from guesses on the owner's own network.
 */
export interface SignInLimits {
  maxPerAccount: number;
  maxPerNetwork: number;
  maxUnknownPerAccount: number;
  windowMs: number;
}

export interface Attempt {
  handleKey: string;
  ip: string;
  /** A device token the client presented (its hash is matched against the account's devices). */
  deviceToken?: string | undefined;
  accountId?: string | undefined;
  /**
   * When the account last signed in from this network and from the device of `deviceToken`, as the caller
   * read them already (identity/store.ts `accountForSignIn`); the guard reads them itself when absent.
   */
  seen?: Seen | undefined;
}

export interface AttemptTicket {
  allowed: boolean;
  retryAfterSeconds: number;
  /** Which counters hold this attempt (to reset or release after the outcome). */
  keys: { own: string; shared: string[] };
  known: { network: boolean; device: boolean };
  /** When the account last signed in from this network and device (as far as read), for `remember`. */
  seen: Seen;
}

/** When an account last signed in from a network and from a device (unknown: never, or not read). */
export interface Seen {
  network?: number | undefined;
  device?: number | undefined;
}

/** The key of a device token in the account's known contexts (its SHA-256, never the token). */
export const deviceKey = (token: string) => hash('sha256', `gatehouse-device|${token}`, 'hex');
/** The stable id of a device in events and session records: derived from its token, never the token. */
export const deviceIdOf = (token: string) => `dev_${deviceKey(token).slice(0, 24)}`;
export const DEVICE_TOKEN_RE = /^ghd_[A-Za-z0-9_-]{43}$/;
/** The first wait once the quick attempts are spent (then it doubles): longer than any burst lasts. */
const DELAY_BASE_MS = 30_000;
/** A context seen this recently is not written again at each sign-in (its last-seen time is this coarse). */
export const REMEMBER_EVERY_MS = 3_600_000;

export class SignInGuard {
  private readonly db: Db;
  private readonly counters: CounterStore;
  private readonly limits: SignInLimits;

  /** `counters` are the identity part's (database or Redis), shared with the stuffing signals. */
  constructor(db: Db, counters: CounterStore, limits: SignInLimits) {
    this.db = db;
    this.limits = limits;
    this.counters = counters;
  }

  /** Counts the attempt before the password is checked; `allowed: false` means do not check it. */
  async reserve(a: Attempt): Promise<AttemptTicket> {
    const network = networkOf(a.ip);
    const dKey =
      a.accountId && a.deviceToken && DEVICE_TOKEN_RE.test(a.deviceToken)
        ? deviceKey(a.deviceToken)
        : undefined;
    const read = async (kind: 'network' | 'device', key: string) =>
      (await q.knownContext(this.db, a.accountId!, kind, key))?.last_at;
    const deviceAt = dKey ? (a.seen ? a.seen.device : await read('device', dKey)) : undefined;
    const device = deviceAt !== undefined ? { key: dKey!, last_at: deviceAt } : undefined;
    const networkAt =
      !device && a.accountId ? (a.seen ? a.seen.network : await read('network', network)) : undefined;
    const knownNetwork = networkAt !== undefined;
    const { windowMs } = this.limits;
    const progressive = {
      limit: 10_000,
      windowMs,
      delay: { free: this.limits.maxPerAccount, baseMs: DELAY_BASE_MS, capMs: windowMs },
    };
    const rules: CounterRule[] = [];
    let own: string;
    if (device) {
      own = `signin|device|${a.handleKey}|${device.key}`;
      rules.push({ key: own, ...progressive });
    } else {
      own = `signin|net|${a.handleKey}|${network}`;
      rules.push({ key: own, ...progressive });
      rules.push({ key: `signin|network|${network}`, limit: this.limits.maxPerNetwork, windowMs });
      if (!knownNetwork)
        rules.push({
          key: `signin|unknown|${a.handleKey}`,
          limit: this.limits.maxUnknownPerAccount,
          windowMs,
        });
    }
    const r = await this.counters.reserve(rules);
    return {
      allowed: r.allowed,
      retryAfterSeconds: r.allowed ? 0 : r.retryAfterSeconds,
      keys: { own, shared: rules.map((x) => x.key).filter((k) => k !== own) },
      known: { network: knownNetwork, device: !!device },
      seen: { network: networkAt, device: device?.last_at },
    };
  }

  /** The right password: the attempt's own counter starts again and the shared ones give it back. */
  async succeeded(t: AttemptTicket): Promise<void> {
    // two writes at once: with group commit one fsync covers both
    await Promise.all([this.counters.clear([t.keys.own]), this.counters.release(t.keys.shared)]);
  }

  /**
   * Remembers the network (and device) of a successful sign-in, in the sign-in's transaction: one
   * statement, and none for a context the sign-in's own reads found seen within REMEMBER_EVERY_MS.
   */
  async remember(
    tx: Tx,
    accountId: string,
    ip: string,
    deviceToken: string | undefined,
    at: number,
    seen: Seen = {},
  ) {
    const fresh = (t: number | undefined) => t !== undefined && at - t < REMEMBER_EVERY_MS;
    const rows: Array<{ kind: 'network' | 'device'; key: string }> = [];
    if (!fresh(seen.network)) rows.push({ kind: 'network', key: networkOf(ip) });
    if (deviceToken && !fresh(seen.device)) rows.push({ kind: 'device', key: deviceKey(deviceToken) });
    await q.rememberContexts(tx, accountId, rows, at);
  }

  /** Whether the device token belongs to the account. */
  async knownDevice(accountId: string, token: string | undefined): Promise<boolean> {
    return (await this.deviceSeen(accountId, token)) !== undefined;
  }

  /** When the account last signed in from the device of this token; undefined when it is not its. */
  async deviceSeen(accountId: string, token: string | undefined): Promise<number | undefined> {
    if (!token || !DEVICE_TOKEN_RE.test(token)) return undefined;
    return (await q.knownContext(this.db, accountId, 'device', deviceKey(token)))?.last_at;
  }
}
