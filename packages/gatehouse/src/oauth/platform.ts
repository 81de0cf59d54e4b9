import type { ProfileFields } from './scopes.ts';

/** One platform event as the engine's event log keeps it. */
export interface PlatformEventRecord {
  id: string;
  type: string;
  time: number;
  account: string;
  [k: string]: unknown;
}

/** What the OAuth part reads from the engine's per-account event log (the engine's `eventLog`). */
export interface PlatformEventLog {
  between(
    account: string,
    from: number,
    to: number,
    opts?: { types?: readonly string[]; limit?: number },
  ): Promise<PlatformEventRecord[]>;
}

/** What Gatehouse knows of a user beyond its own account row: profile fields and friends. */
export interface PlatformFacts {
  /** Latest value of each profile field the platform reported (nickname, avatar, region, phone, email). */
  profile(account: string): Promise<Omit<ProfileFields, 'friendCount'>>;
  /** Current friends (platform account ids), from friend.added / friend.removed. */
  friends(account: string): Promise<string[]>;
}

const PROFILE_FIELDS = new Set(['nickname', 'avatar', 'region', 'phone', 'email']);

/** Folds profile.changed and friend.added/removed events (any order) into the current state. */
export function foldPlatformEvents(events: readonly PlatformEventRecord[]): {
  profile: Omit<ProfileFields, 'friendCount'>;
  friends: string[];
} {
  const profile: Record<string, string> = {};
  const friends = new Map<string, number>();
  for (const e of [...events].sort((a, b) => a.time - b.time)) {
    if (e.type === 'profile.changed' && typeof e.field === 'string' && PROFILE_FIELDS.has(e.field)) {
      if (typeof e.new === 'string' && e.new !== '') profile[e.field] = e.new;
      else delete profile[e.field];
    } else if (e.type === 'friend.added' && typeof e.friend === 'string') {
      if (!friends.has(e.friend)) friends.set(e.friend, e.time);
    } else if (e.type === 'friend.removed' && typeof e.friend === 'string') friends.delete(e.friend);
  }
  return { profile, friends: [...friends.keys()] };
}

/**
 * PlatformFacts over the engine's event log, cached per account for `ttlMs` (an app's burst of reads
 * costs one log scan; a friend removed shows within the TTL). Bounded: at most `max` accounts cached.
 */
export function factsFromEventLog(
  log: PlatformEventLog,
  opts: { ttlMs?: number; max?: number; now?: () => number } = {},
): PlatformFacts {
  const ttl = opts.ttlMs ?? 5000;
  const max = opts.max ?? 10_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; v: Promise<ReturnType<typeof foldPlatformEvents>> }>();
  const get = (account: string) => {
    const t = now();
    const c = cache.get(account);
    if (c && t - c.at < ttl) return c.v;
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    const v = log
      .between(account, 0, t, { types: ['profile.changed', 'friend.added', 'friend.removed'] })
      .then(foldPlatformEvents);
    v.catch(() => cache.delete(account));
    cache.set(account, { at: t, v });
    return v;
  };
  return {
    profile: async (a) => (await get(a)).profile,
    friends: async (a) => (await get(a)).friends,
  };
}
