import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type * as IoRedis from 'ioredis';

/** ioredis, loaded when a Redis is configured (the embedded default keeps its counters in memory). */
const ioredis = (): typeof IoRedis => createRequire(import.meta.url)('ioredis') as typeof IoRedis;
import { GatehouseError } from '../errors/index.ts';
import {
  hashCounterKey as sha256,
  type CounterRule,
  type CounterStore,
  type Reservation,
} from './counters.ts';

/**
 * The attempt counters in Redis, shared by every Gatehouse process that names the same `redisUrl`:
 * one hash per counter (`gh:rc:<sha256 of the logical key>`, fields ws = window start, c = count,
 * la = last attempt), expiring with its window. `reserve` is one Lua script, so all of an attempt's rules
 * are checked and counted atomically (all or nothing) however many processes race.
 *
 * Redis down: nothing is queued (`enableOfflineQueue: false`) and every command has a timeout, so an
 * attempt never hangs; `reserve` and `count` fail closed with RATE_LIMIT_UNAVAILABLE (503, Retry-After)
 * — no credential is checked without its counter — while `release` and `clear` (a success giving back
 * its attempt) only log: a counter left one higher is the safe side.
 *
 * Times are the process's clock (passed to the script), like the database counters: processes sharing
 * one Redis must share a clock within a second (NTP).
 */
const RESERVE = `
local t = tonumber(ARGV[1])
local out = {}
for i, k in ipairs(KEYS) do
  local b = 2 + (i - 1) * 5
  local limit = tonumber(ARGV[b]); local win = tonumber(ARGV[b + 1])
  local free = tonumber(ARGV[b + 2]); local base = tonumber(ARGV[b + 3]); local cap = tonumber(ARGV[b + 4])
  local v = redis.call('HMGET', k, 'ws', 'c', 'la')
  local ws = tonumber(v[1]) or t
  local c = tonumber(v[2]) or 0
  local la = tonumber(v[3]) or 0
  if ws + win <= t then ws = t; c = 0 end
  if c >= limit then return {i, 1, ws + win - t} end
  local extra = 0
  if free >= 0 then
    extra = cap
    if c >= free then
      local wait = math.min(cap, base * 2 ^ math.min(c - free, 40))
      if wait > 0 and t < la + wait then return {i, 2, la + wait - t} end
    end
  end
  out[i] = {ws, c + 1, ws + win + extra - t}
end
for i, k in ipairs(KEYS) do
  local n = out[i]
  redis.call('HSET', k, 'ws', string.format('%.0f', n[1]), 'c', n[2], 'la', string.format('%.0f', t))
  redis.call('PEXPIRE', k, math.max(1, math.floor(n[3])))
end
return {0}
`;

const RELEASE = `
for _, k in ipairs(KEYS) do
  local c = tonumber(redis.call('HGET', k, 'c') or '0')
  if c > 0 then redis.call('HINCRBY', k, 'c', -1) end
end
return 0
`;

/** Retry-After while the counters are unreachable. */
const UNAVAILABLE_RETRY_SECONDS = 5;

export function countersUnavailable(cause: unknown): GatehouseError {
  return new GatehouseError(
    'RATE_LIMIT_UNAVAILABLE',
    `Shared attempt counters unreachable (${(cause as Error)?.message ?? String(cause)})`,
    {
      headers: { 'retry-after': String(UNAVAILABLE_RETRY_SECONDS) },
      extra: { retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS },
    },
  );
}

export interface RedisCountersOptions {
  url: string;
  /** Milliseconds a command may take before it fails (closed). */
  commandTimeoutMs?: number;
  now?: () => number;
  onError?: (err: Error, what: string) => void;
  /** Key prefix (default `gh:rc:`): deployments or test runs sharing one Redis keep apart. */
  prefix?: string;
}

/** Opens a client that fails fast when Redis is away (no offline queue, bounded retries). */
export function openRedis(url: string, commandTimeoutMs = 1_000): Redis {
  const client = new (ioredis().Redis)(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2_000,
    // keep reconnecting (every 0.2 … 2 s) so the counters come back by themselves
    retryStrategy: (times) => Math.min(200 * times, 2_000),
  });
  // errors surface per command; the connection's own errors would otherwise be unhandled
  client.on('error', () => undefined);
  return client;
}

export class RedisCounters implements CounterStore {
  readonly client: Redis;
  private readonly now: () => number;
  private readonly onError: (err: Error, what: string) => void;

  private readonly prefix: string;

  constructor(opts: RedisCountersOptions) {
    this.client = openRedis(opts.url, opts.commandTimeoutMs);
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? (() => undefined);
    this.prefix = opts.prefix ?? 'gh:rc:';
  }

  private readonly hashKey = (key: string) => this.prefix + sha256(key);

  /** Resolves once the client is connected (or rejects after the connect timeout). */
  async ready(): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('redis connect timeout')), 3_000);
      this.client.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async ping(): Promise<boolean> {
    return (await this.client.ping().catch(() => 'down')) === 'PONG';
  }

  async reserve(rules: readonly CounterRule[]): Promise<Reservation> {
    const byKey = new Map(rules.map((r) => [this.hashKey(r.key), r]));
    if (byKey.size === 0) return { allowed: true };
    const keys = [...byKey.keys()];
    const argv: Array<string | number> = [this.now()];
    for (const k of keys) {
      const r = byKey.get(k)!;
      argv.push(r.limit, r.windowMs, r.delay?.free ?? -1, r.delay?.baseMs ?? 0, r.delay?.capMs ?? 0);
    }
    let res: unknown;
    try {
      res = await this.client.eval(RESERVE, keys.length, ...keys, ...argv);
    } catch (e) {
      throw countersUnavailable(e);
    }
    const [i, reason, ms] = res as [number, number?, number?];
    if (i === 0) return { allowed: true };
    const rule = byKey.get(keys[i - 1]!)!;
    return {
      allowed: false,
      key: rule.key,
      retryAfterSeconds: Math.max(1, Math.ceil(Number(ms) / 1000)),
      reason: reason === 1 ? 'limit' : 'delay',
    };
  }

  async release(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const hashed = [...new Set(keys.map(this.hashKey))];
    try {
      // one decrement per distinct key, like the database's one update per call
      await this.client.eval(RELEASE, hashed.length, ...hashed);
    } catch (e) {
      this.onError(e as Error, 'release');
    }
  }

  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.client.del(...keys.map(this.hashKey));
    } catch (e) {
      this.onError(e as Error, 'clear');
    }
  }

  async count(key: string, windowMs: number): Promise<number> {
    let v: Array<string | null>;
    try {
      v = await this.client.hmget(this.hashKey(key), 'ws', 'c');
    } catch (e) {
      throw countersUnavailable(e);
    }
    if (v[0] == null || v[1] == null) return 0;
    if (Number(v[0]) + windowMs <= this.now()) return 0;
    return Number(v[1]);
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
