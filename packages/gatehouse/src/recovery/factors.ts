import type { RecoveryChannelsTable, RecoveryCodesTable, RecoveryFriendSetsTable } from './schema.ts';

/**
 * Which recovery factors count, and when. Whoever holds the account right now is not trusted to change
 * who can get it back: a new or changed factor (a generation of codes, a version of the trusted-friend
 * list, a channel verified or removed) counts only `coolingOffMs` after the change, and the previous
 * one keeps counting meanwhile; a change made inside the compromise window of a containment never
 * counts for that containment's appeal. Pure functions over the stored rows.
 */
export interface FactorScope {
  accountId: string;
  /** The moment of the check (epoch ms). */
  now: number;
  coolingOffMs: number;
  /** The compromise window of the containment being appealed, when it is known. */
  window?: { start: number; end: number } | undefined;
}

/** Whether a change made at `at` counts in this scope. */
export function changeCounts(at: number, s: FactorScope): boolean {
  if (at + s.coolingOffMs > s.now) return false;
  if (s.window && at >= s.window.start && at <= s.window.end) return false;
  return true;
}

/** The generation of codes that counts (the newest one that does), or undefined. */
export function countingGeneration(codes: readonly RecoveryCodesTable[], s: FactorScope): number | undefined {
  const generations = [...new Set(codes.map((c) => c.created_at))].sort((a, b) => b - a);
  return generations.find((g) => changeCounts(g, s));
}

/** The unused codes that verify in this scope. */
export function usableCodes(codes: readonly RecoveryCodesTable[], s: FactorScope): RecoveryCodesTable[] {
  const g = countingGeneration(codes, s);
  return g === undefined ? [] : codes.filter((c) => c.created_at === g && c.used_at === null);
}

/** The trusted-friend list that counts (the newest version that does), or undefined. */
export function countingFriendSet(
  sets: readonly RecoveryFriendSetsTable[],
  s: FactorScope,
): RecoveryFriendSetsTable | undefined {
  return [...sets].sort((a, b) => b.created_at - a.created_at).find((x) => changeCounts(x.created_at, s));
}

/** Verified channels that a code may be sent to in this scope (a removal counts only once it would). */
export function usableChannels(
  channels: readonly RecoveryChannelsTable[],
  s: FactorScope,
): RecoveryChannelsTable[] {
  return channels.filter(
    (c) =>
      c.reverted_at === null &&
      c.verified_at !== null &&
      changeCounts(c.verified_at, s) &&
      !(c.removed_at !== null && changeCounts(c.removed_at, s)),
  );
}

/** When a change made at `at` starts to count (outside any window). */
export function usableFrom(at: number, coolingOffMs: number): number {
  return at + coolingOffMs;
}
