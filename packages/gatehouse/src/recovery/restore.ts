import type { LoggedEvent } from './ports.ts';

/** The `account.restore` instruction sent to the platform: undo what the intruder changed. */
export interface RestorePlan {
  /** Friends the intruder removed (and who were not re-added in the window): add them back. */
  friends: string[];
  /** Groups the intruder left (and did not rejoin): rejoin them. */
  groups: string[];
  /** Profile fields the intruder changed: set back to the value before the first change. */
  profile: Array<{ field: string; value: string | null }>;
}

export const RESTORE_EVENT_TYPES = [
  'friend.removed',
  'friend.added',
  'group.left',
  'group.joined',
  'profile.changed',
] as const;

/**
 * Works out the restore plan from the account's events in the compromise window (oldest first). Pure.
 * A friend removed then re-added, a group left then rejoined, or a field changed and changed back, needs
 * nothing.
 */
export function planRestore(events: readonly LoggedEvent[]): RestorePlan {
  const friends = new Map<string, boolean>(); // friend → removed (true) / re-added (false)
  const groups = new Map<string, boolean>();
  const firstOld = new Map<string, string | null>();
  const latest = new Map<string, string | null>();
  for (const e of [...events].sort((a, b) => a.time - b.time)) {
    if (e.type === 'friend.removed' && typeof e.friend === 'string') friends.set(e.friend, true);
    else if (e.type === 'friend.added' && typeof e.friend === 'string' && friends.has(e.friend))
      friends.set(e.friend, false);
    else if (e.type === 'group.left' || e.type === 'group.joined') {
      const g = (e.group as { id?: unknown } | undefined)?.id;
      if (typeof g !== 'string') continue;
      if (e.type === 'group.left') groups.set(g, true);
      else if (groups.has(g)) groups.set(g, false);
    } else if (e.type === 'profile.changed' && typeof e.field === 'string') {
      const old = typeof e.old === 'string' ? e.old : null;
      const nu = typeof e.new === 'string' ? e.new : null;
      if (!firstOld.has(e.field)) firstOld.set(e.field, old);
      latest.set(e.field, nu);
    }
  }
  return {
    friends: [...friends].filter(([, removed]) => removed).map(([f]) => f),
    groups: [...groups].filter(([, left]) => left).map(([g]) => g),
    profile: [...firstOld]
      .filter(([field, value]) => latest.get(field) !== value)
      .map(([field, value]) => ({ field, value })),
  };
}
