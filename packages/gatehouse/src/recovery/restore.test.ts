// The restore plan worked out from an account's events, and the breached-password list (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isBreachedPassword } from '../identity/index.ts';
import type { LoggedEvent } from './ports.ts';
import { planRestore } from './restore.ts';
import { NEW_PASSWORD } from './service-fixture.ts';

describe('restore plan and breached list (pure)', () => {
  test('removed-then-re-added friends, rejoined groups and reverted fields need nothing', () => {
    const ev = (type: string, time: number, extra: Record<string, unknown>): LoggedEvent => ({
      id: `${type}${time}`,
      type,
      time,
      account: 'a',
      ...extra,
    });
    const plan = planRestore([
      ev('friend.removed', 1, { friend: 'x' }),
      ev('friend.removed', 2, { friend: 'y' }),
      ev('friend.added', 3, { friend: 'y' }),
      ev('group.left', 4, { group: { id: 'g1' } }),
      ev('group.left', 5, { group: { id: 'g2' } }),
      ev('group.joined', 6, { group: { id: 'g2' } }),
      ev('profile.changed', 7, { field: 'nickname', old: 'A', new: 'B' }),
      ev('profile.changed', 8, { field: 'nickname', old: 'B', new: 'C' }),
      ev('profile.changed', 9, { field: 'avatar', old: 'p1', new: 'p2' }),
      ev('profile.changed', 10, { field: 'avatar', old: 'p2', new: 'p1' }),
    ]);
    assert.deepEqual(plan, { friends: ['x'], groups: ['g1'], profile: [{ field: 'nickname', value: 'A' }] });
  });
  test('the breached list knows common passwords and not good passphrases', () => {
    for (const p of ['password123', 'Baseball1', 'qwertyuiop', 'iloveyou1'])
      assert.equal(isBreachedPassword(p), true, p);
    for (const p of [NEW_PASSWORD, 'correct horse battery staple', 'x9!fQ2#mLp'])
      assert.equal(isBreachedPassword(p), false, p);
  });
});
