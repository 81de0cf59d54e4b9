import type { Logger } from 'pino';
import type { Db } from '../store/db.ts';
import { AttemptCounters, type CounterStore } from './counters.ts';
import { MemoryCounters } from './memory.ts';
import { RedisCounters } from './redis.ts';

/**
 * The attempt counters a process uses:
 * - `redisUrl` set: Redis, shared by every process naming it (and off the database's write path);
 * - else on PostgreSQL: the database, shared by every process on it;
 * - else (the embedded default, one process on SQLite): in this process's memory.
 * `ready` feeds /readyz.
 */
export interface SharedCounters {
  counters: CounterStore;
  /** 'database' or 'redis' (for /readyz and the metrics). */
  kind: 'memory' | 'database' | 'redis';
  /** Whether the counters can be reached now. */
  ready(): Promise<boolean>;
  /** Readiness (for /readyz): where the counters live and whether they answer. */
  check(): Promise<{ ok: boolean; kind: string }>;
  close(): Promise<void>;
}

function withCheck(s: Omit<SharedCounters, 'check'>): SharedCounters {
  return { ...s, check: async () => ({ ok: await s.ready(), kind: s.kind }) };
}

export function sharedCounters(
  config: { redisUrl: string; database: { kind: 'sqlite' | 'postgres' } },
  db: Db,
  log: Pick<Logger, 'warn'>,
): SharedCounters {
  if (!config.redisUrl && config.database.kind === 'sqlite')
    return withCheck({
      counters: new MemoryCounters(),
      kind: 'memory',
      ready: async () => true,
      close: async () => undefined,
    });
  if (!config.redisUrl)
    return withCheck({
      counters: new AttemptCounters(db),
      kind: 'database',
      // the database's own check covers it
      ready: async () => true,
      close: async () => undefined,
    });
  const redis = new RedisCounters({
    url: config.redisUrl,
    onError: (err, what) => log.warn({ err: err.message, what }, 'redis counters: not written'),
  });
  return withCheck({
    counters: redis,
    kind: 'redis',
    ready: () => redis.ping(),
    close: () => redis.close(),
  });
}
