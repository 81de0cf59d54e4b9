import { GatehouseError } from '../errors/index.ts';

export {
  AttemptCounters,
  delayBefore,
  type CounterRule,
  type CounterStore,
  type Reservation,
} from './counters.ts';
export { MemoryCounters } from './memory.ts';
export { countersUnavailable, openRedis, RedisCounters } from './redis.ts';
export { rateLimitMigrations, type RateLimitTables } from './schema.ts';

/** RATE_LIMITED with Retry-After: the one answer of every limit. */
export function rateLimited(retryAfterSeconds: number): GatehouseError {
  return new GatehouseError('RATE_LIMITED', `Too many attempts; retry in ${retryAfterSeconds} s`, {
    headers: { 'retry-after': String(retryAfterSeconds) },
    extra: { retryAfterSeconds },
  });
}

/**
 * Fixed-window counters keyed by string, in memory (sign-ups per IP and sends per case). Attempts at
 * credentials are counted in the database instead (`AttemptCounters`). Used for failed sign-ins
 * per account and per IP, sign-ups per IP and, later, every verification step. Memory is bounded:
 * expired windows are swept, and the map holds at most `maxKeys` keys (oldest windows dropped first).
 */
export interface LimitResult {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After). */
  retryAfterSeconds: number;
  count: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(opts: { limit: number; windowMs: number; maxKeys?: number; now?: () => number }) {
    this.limit = opts.limit;
    this.windowMs = opts.windowMs;
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.now = opts.now ?? Date.now;
  }

  private entry(key: string): { count: number; resetAt: number } {
    const t = this.now();
    let e = this.windows.get(key);
    if (!e || e.resetAt <= t) {
      if (e) this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.sweep(t);
      e = { count: 0, resetAt: t + this.windowMs };
      this.windows.set(key, e);
    }
    return e;
  }

  /** Whether another attempt is allowed now, without counting it. */
  check(key: string): LimitResult {
    const e = this.windows.get(key);
    const t = this.now();
    if (!e || e.resetAt <= t) return { allowed: true, retryAfterSeconds: 0, count: 0 };
    return {
      allowed: e.count < this.limit,
      retryAfterSeconds: Math.max(1, Math.ceil((e.resetAt - t) / 1000)),
      count: e.count,
    };
  }

  /** Counts one hit and tells whether it was within the limit. */
  hit(key: string): LimitResult {
    const e = this.entry(key);
    e.count++;
    return {
      allowed: e.count <= this.limit,
      retryAfterSeconds: Math.max(1, Math.ceil((e.resetAt - this.now()) / 1000)),
      count: e.count,
    };
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(t: number): void {
    for (const [k, e] of this.windows) if (e.resetAt <= t) this.windows.delete(k);
    // Still full: drop the oldest insertions (Map keeps insertion order).
    const excess = this.windows.size - Math.floor(this.maxKeys * 0.9);
    if (excess > 0) {
      let n = 0;
      for (const k of this.windows.keys()) {
        if (n++ >= excess) break;
        this.windows.delete(k);
      }
    }
  }

  get size(): number {
    return this.windows.size;
  }
}
