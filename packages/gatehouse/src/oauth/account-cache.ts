/**
 * The accounts behind the tokens the provider and the resource API validate on every request (is it
 * still active, its display name), kept in memory for `ttlMs` so an app's repeated reads cost no
 * account read.
 *
 * A state change is seen here at once: identity's state hook (`changing`, inside the change's
 * transaction) forgets the account, and the account is not cached again until a read returns the new
 * state — proof that the change committed (on PostgreSQL a read between the hook and the commit still
 * sees the old state; cached, it would outlive the freeze). A read that was under way when the change
 * began is answered but not cached (the epoch moved). A change that rolls back leaves the account
 * uncached until `holdMs` passes. Another process's change is seen once the entry ages out: at most
 * `ttlMs` (one second, the bound of the token cache and the app registry).
 */
export class AccountCache<A extends { state: string }> {
  private readonly rows = new Map<string, { account: A; at: number }>();
  private readonly held = new Map<string, { to: string; until: number }>();
  private epoch = 0;
  private readonly read: (id: string) => Promise<A | undefined>;
  private readonly ttlMs: number;
  private readonly holdMs: number;
  private readonly max: number;
  private readonly now: () => number;
  /** Hits and misses (tests). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    read: (id: string) => Promise<A | undefined>,
    opts: { ttlMs?: number; holdMs?: number; max?: number; now?: () => number } = {},
  ) {
    this.read = read;
    this.ttlMs = opts.ttlMs ?? 1000;
    this.holdMs = opts.holdMs ?? 60_000;
    this.max = opts.max ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** The account (the cached row while it is fresh), or undefined when it does not exist. */
  async get(id: string): Promise<A | undefined> {
    const e = this.rows.get(id);
    if (e && this.now() - e.at < this.ttlMs) {
      this.stats.hits++;
      return e.account;
    }
    this.stats.misses++;
    const mark = this.epoch;
    const account = await this.read(id);
    if (account && mark === this.epoch && this.settled(id, account.state)) {
      if (!e && this.rows.size >= this.max) this.rows.delete(this.rows.keys().next().value!);
      this.rows.set(id, { account, at: this.now() });
    } else if (e) this.rows.delete(id);
    return account;
  }

  /** Inside the transaction that moves the account to state `to`. */
  changing(id: string, to: string): void {
    this.epoch++;
    this.rows.delete(id);
    const t = this.now();
    // an account changed and never read here again leaves its hold: they go once past (bounded by the
    // changes made within `holdMs`)
    if (this.held.size >= this.max) for (const [k, h] of this.held) if (h.until <= t) this.held.delete(k);
    this.held.set(id, { to, until: t + this.holdMs });
  }

  /** Whether a row read with `state` may be cached: no change of this account is still unconfirmed. */
  private settled(id: string, state: string): boolean {
    const h = this.held.get(id);
    if (!h) return true;
    if (state !== h.to && this.now() < h.until) return false;
    this.held.delete(id);
    return true;
  }
}
