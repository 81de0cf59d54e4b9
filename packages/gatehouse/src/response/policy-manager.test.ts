import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import type { Policy } from './policy.ts';
import { DEFAULT_POLICY_FILE, PolicyManager } from './policy-manager.ts';

const ok = (v: number) =>
  `version: ${v}\nrules:\n  - id: r\n    when: { decision: [contain] }\n    actions: [freeze_account]\n`;

test('loads the shipped default when no file is configured', () => {
  const m = new PolicyManager('');
  assert.equal(m.state.file, DEFAULT_POLICY_FILE);
  assert.ok(m.current.rules.length >= 3);
});

test('an invalid file stops start-up with the line and the problem', () => {
  const t = tempDir();
  try {
    const f = join(t.dir, 'policy.yaml');
    writeFileSync(f, 'version: 1\nrules:\n  - id: r\n    when: {}\n    actions: [explode]\n');
    assert.throws(
      () => new PolicyManager(f),
      /policy\.yaml: line 5:\d+ rules\.0\.actions\.0: unknown action "explode"/,
    );
    assert.throws(() => new PolicyManager(join(t.dir, 'missing.yaml')), /cannot read the policy file/);
  } finally {
    t.cleanup();
  }
});

test('reloads on change; a broken edit keeps the previous policy and records the error; each version is reported', async () => {
  const t = tempDir();
  try {
    const f = join(t.dir, 'policy.yaml');
    writeFileSync(f, ok(1));
    const loaded: Policy[] = [];
    const m = new PolicyManager(f, { onLoad: (p) => void loaded.push(p) });
    await m.start(25);
    assert.equal(loaded.length, 1);
    writeFileSync(f, ok(2));
    await until(() => m.current.version === 2, 'the edited policy loaded');
    assert.equal(m.current.version, 2);
    writeFileSync(f, 'version: 3\nrules: [oops\n');
    await until(() => m.state.lastError !== undefined, 'the broken edit reported');
    assert.equal(m.current.version, 2, 'the previous policy stays in force');
    assert.ok(m.state.lastError!.problems.length > 0);
    assert.deepEqual(
      loaded.map((p) => p.version),
      [1, 2],
    );
    assert.equal(loaded[1]!.text, readFileSync(f, 'utf8').length > 0 ? ok(2) : '');
    m.stop();
  } finally {
    t.cleanup();
  }
});
