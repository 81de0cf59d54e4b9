import { availableParallelism } from 'node:os';

/**
 * A bound on the Argon2id computations running at once. @node-rs/argon2 runs each one on a thread of
 * libuv's pool, which also runs the file system work (the SQLite group commit's fsync) and DNS lookups:
 * with every pool thread hashing, a sign-in's commit waits in the queue behind a whole hash (~15-40 ms)
 * while its own hash is long done. Leaving one thread free keeps that work moving; the hashes still fill
 * every core as long as the pool is larger than the machine's cores.
 */
export class HashGate {
  readonly limit: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`hash gate limit ${limit} < 1`);
    this.limit = limit;
  }

  /** How many computations run now (tests, metrics). */
  get active(): number {
    return this.running;
  }

  /** How many wait for a free slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` when fewer than `limit` others run; in arrival order. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // the slot passes straight to the next in line (running stays the same)
      if (next) next();
      else this.running--;
    }
  }
}

/** libuv's thread pool size for this process (UV_THREADPOOL_SIZE, 4 by default, at most 1024). */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.UV_THREADPOOL_SIZE);
  return Number.isSafeInteger(n) && n >= 1 ? Math.min(n, 1024) : 4;
}

/**
 * Hashes at once for this process: one pool thread left free for the rest, and never fewer than the
 * cores (a pool no larger than the machine's cores is left as it is: every core keeps hashing).
 */
export function defaultHashConcurrency(pool = threadPoolSize(), cores = availableParallelism()): number {
  return Math.max(1, Math.min(pool, Math.max(pool - 1, cores)));
}

/** The process's one gate: every hasher shares libuv's one pool. */
export const processHashGate = new HashGate(defaultHashConcurrency());
