import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lockConflict, retryTransient } from './db.ts';

const failing = (codes: string[]) => {
  let calls = 0;
  const run = async () => {
    const code = codes[calls++];
    if (code) throw Object.assign(new Error(code), { code });
    return 'done';
  };
  return { run, calls: () => calls };
};

test('a deadlock victim is run again; with lockConflict a unique violation is the answer, tried once', async () => {
  const deadlock = failing(['40P01']);
  assert.equal(await retryTransient(deadlock.run, 3, undefined, lockConflict), 'done');
  assert.equal(deadlock.calls(), 2);

  const taken = failing(['23505']);
  await assert.rejects(retryTransient(taken.run, 3, undefined, lockConflict), { code: '23505' });
  assert.equal(taken.calls(), 1);

  // the default (transientDbError) retries it, up to the attempts given
  const busy = failing(['23505', '23505', '23505']);
  await assert.rejects(retryTransient(busy.run, 3), { code: '23505' });
  assert.equal(busy.calls(), 3);
});
