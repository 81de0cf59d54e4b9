// Roles of one binary: the embedded default needs nothing else; a scale-out role refuses to start
// without PostgreSQL and NATS, naming the setting; an account always maps to the same partition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../config/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { partitionOf } from './partition.ts';

test('role all is the default and needs neither PostgreSQL nor NATS', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.role, 'all');
  assert.equal(c.natsUrl, '');
});

test('a scale-out role without PostgreSQL or NATS is CONFIG_INVALID naming the setting', () => {
  const bad = (overrides: Record<string, unknown>, key: string) => {
    assert.throws(
      () => loadConfig({ env: {}, overrides }),
      (e: unknown) => e instanceof GatehouseError && e.code === 'CONFIG_INVALID' && e.extra?.key === key,
    );
  };
  bad({ role: 'engine', natsUrl: 'nats://127.0.0.1:4222' }, 'role');
  bad({ role: 'api', databaseUrl: 'postgres://u@h/db' }, 'natsUrl');
  bad({ role: 'worker' }, 'role');
  bad({ role: 'api', databaseUrl: 'postgres://u@h/db', natsUrl: 'http://x' }, 'natsUrl');
  bad({ clusterPartitions: 0 }, 'clusterPartitions');
  const ok = loadConfig({
    env: { GATEHOUSE_ROLE: 'dispatcher', GATEHOUSE_NATS_URL: 'nats://127.0.0.1:4222' },
    overrides: { databaseUrl: 'postgres://u@h/db' },
  });
  assert.equal(ok.role, 'dispatcher');
});

test('partitions: stable, in range, and spread', () => {
  const counts = new Array<number>(16).fill(0);
  for (let i = 0; i < 16_000; i++) {
    const p = partitionOf(`acc_${i}`, 16);
    assert.ok(p >= 0 && p < 16);
    counts[p]!++;
  }
  assert.equal(partitionOf('acc_42', 16), partitionOf('acc_42', 16));
  for (const n of counts) assert.ok(n > 700 && n < 1300, JSON.stringify(counts));
});
