import {
  delayBefore,
  hashCounterKey as hashKey,
  type CounterRule,
  type CounterStore,
  type Reservation,
} from './counters.ts';

interface Counter {
  windowStart: number;
  count: number;
  lastAt: number;
  expiresAt: number;
}

/**
 * The attempt counters of the embedded default (one process on SQLite): in this process's memory, so an
 * attempt costs no disk write on the sign-in path (a counter transaction with `synchronous = FULL` costs
 * an fsync, about 5 ms of blocked event loop on this machine, three times per sign-in). One process
 * runs the JavaScript one turn at a time, so `reserve` checks and counts every rule at once, atomically,
 * like the database's locked rows and Redis's script. The counters start empty when the process
 * starts (a restart forgets recent attempts; several processes need the database or Redis counters).
 * Memory is bounded: expired counters are swept, and at `maxKeys` the ones nearest their end go first.
 */
export class MemoryCounters implements CounterStore {
  private readonly counters = new Map<string, Counter>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(opts: { now?: () => number; maxKeys?: number } = {}) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 500_000;
  }

  async reserve(rules: readonly CounterRule[]): Promise<Reservation> {
    const t = this.now();
    const byKey = new Map(rules.map((r) => [hashKey(r.key), r]));
    const next: Array<[string, Counter]> = [];
    for (const [key, rule] of byKey) {
      const c = this.counters.get(key);
      const fresh = !c || c.windowStart + rule.windowMs <= t;
      const start = fresh ? t : c.windowStart;
      const count = fresh ? 0 : c.count;
      const retry = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
      if (count >= rule.limit)
        return {
          allowed: false,
          key: rule.key,
          retryAfterSeconds: retry(start + rule.windowMs - t),
          reason: 'limit',
        };
      if (rule.delay) {
        const wait = delayBefore(count, rule.delay);
        const lastAt = c?.lastAt ?? 0;
        if (wait > 0 && t < lastAt + wait)
          return {
            allowed: false,
            key: rule.key,
            retryAfterSeconds: retry(lastAt + wait - t),
            reason: 'delay',
          };
      }
      next.push([
        key,
        {
          windowStart: start,
          count: count + 1,
          lastAt: t,
          expiresAt: start + rule.windowMs + (rule.delay?.capMs ?? 0),
        },
      ]);
    }
    for (const [key, c] of next) {
      if (!this.counters.has(key) && this.counters.size >= this.maxKeys) this.sweep(t);
      this.counters.set(key, c);
    }
    return { allowed: true };
  }

  async release(keys: readonly string[]): Promise<void> {
    for (const key of new Set(keys.map(hashKey))) {
      const c = this.counters.get(key);
      if (c && c.count > 0) c.count--;
    }
  }

  async clear(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.counters.delete(hashKey(key));
  }

  async count(key: string, windowMs: number): Promise<number> {
    const c = this.counters.get(hashKey(key));
    if (!c || c.windowStart + windowMs <= this.now()) return 0;
    return c.count;
  }

  /** The hashed keys held (tests: no logical key is kept). */
  keys(): string[] {
    return [...this.counters.keys()];
  }

  get size(): number {
    return this.counters.size;
  }

  private sweep(t: number): void {
    for (const [k, c] of this.counters) if (c.expiresAt <= t) this.counters.delete(k);
    const excess = this.counters.size - Math.floor(this.maxKeys * 0.9);
    if (excess <= 0) return;
    const byEnd = [...this.counters].sort((a, b) => a[1].expiresAt - b[1].expiresAt);
    for (let i = 0; i < excess; i++) this.counters.delete(byEnd[i]![0]);
  }
}
