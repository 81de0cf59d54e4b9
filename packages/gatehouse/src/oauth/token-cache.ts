import type { AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  at: number;
  grantId: string | undefined;
  clientId: string | undefined;
}

/**
 * The rows the resource endpoints read on every request (access tokens and grants), kept in memory
 * for `ttlMs` so an app's repeated reads with one token cost no database read.
 *
 * Revocation stays immediate in this process: every deletion here (the adapter's destroy, revoke by
 * grant, a replay revoking its grant, a user revoking an app, containment, the kill switch) forgets the
 * rows it touches, once inside its transaction and again after the commit. A read that was under way
 * while something was forgotten does not put its row in the cache (the epoch moved), so a row read
 * before a deletion committed cannot outlive it here. Another process's deletion is seen once the entry
 * ages out: at most `ttlMs` (one second, as for the app registry and API keys).
 */
export class TokenCache {
  private readonly rows = new Map<string, Entry>();
  private epoch = 0;
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;
  /** Hits and misses (tests and the benchmark's notes). */
  readonly stats = { hits: 0, misses: 0 };

  constructor(opts: { ttlMs?: number; max?: number; now?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? 1000;
    this.max = opts.max ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** Taken before a database read; `set` keeps the row only if nothing was forgotten since. */
  mark(): number {
    return this.epoch;
  }

  /** A copy of the cached row (the provider builds its model from it), or undefined. */
  get(model: string, key: string): AdapterPayload | undefined {
    if (this.ttlMs <= 0) return undefined;
    const k = `${model}\u0000${key}`;
    const e = this.rows.get(k);
    if (!e || this.now() - e.at >= this.ttlMs) {
      if (e) this.rows.delete(k);
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    return { ...e.payload };
  }

  set(model: string, key: string, payload: AdapterPayload, mark: number): void {
    if (this.ttlMs <= 0 || mark !== this.epoch) return;
    if (this.rows.size >= this.max) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(`${model}\u0000${key}`, {
      payload: { ...payload },
      at: this.now(),
      grantId: payload.grantId,
      clientId: payload.clientId,
    });
  }

  forget(model: string, key: string): void {
    this.epoch++;
    this.rows.delete(`${model}\u0000${key}`);
  }

  /** A grant and everything issued under it. */
  forgetGrant(grantId: string): void {
    this.epoch++;
    this.rows.delete(`Grant\u0000${grantId}`);
    for (const [k, e] of this.rows) if (e.grantId === grantId) this.rows.delete(k);
  }

  /** Every row of an app. */
  forgetClient(clientId: string): void {
    this.epoch++;
    for (const [k, e] of this.rows) if (e.clientId === clientId) this.rows.delete(k);
  }

  clear(): void {
    this.epoch++;
    this.rows.clear();
  }
}
