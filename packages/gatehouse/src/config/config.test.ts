import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GatehouseError } from '../errors/index.ts';
import { tempDir } from '../testing/index.ts';
import { envName, loadConfig, settingsTable, SETTINGS } from './index.ts';

test('defaults give the embedded SQLite database under the data directory', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.port, 8080);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.database.kind, 'sqlite');
  assert.ok(c.database.kind === 'sqlite' && c.database.path.endsWith('/data/gatehouse.db'));
  assert.equal(c.argon2MemoryKib, 19456);
  assert.equal(c.argon2Iterations, 2);
  assert.equal(c.argon2Parallelism, 1);
});

test('environment overrides file, options override environment', () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'gatehouse.yaml');
    writeFileSync(file, 'port: 9000\nlogLevel: warn\ndatabaseUrl: postgres://u@db:5432/gh\n');
    const c = loadConfig({ env: { GATEHOUSE_PORT: '9100' }, file });
    assert.equal(c.port, 9100);
    assert.equal(c.logLevel, 'warn');
    assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://u@db:5432/gh' });
    assert.equal(
      loadConfig({ env: { GATEHOUSE_PORT: '9100' }, file, overrides: { port: '9200' } }).port,
      9200,
    );
    assert.equal(loadConfig({ env: { GATEHOUSE_TRUST_PROXY: 'true' } }).trustProxy, true);
  } finally {
    t.cleanup();
  }
});

test('an invalid value names the key, its source and the expected form', () => {
  assert.throws(
    () => loadConfig({ env: { GATEHOUSE_PORT: 'eighty' } }),
    (e: GatehouseError) =>
      e.code === 'CONFIG_INVALID' &&
      /port/.test(e.message) &&
      /GATEHOUSE_PORT/.test(e.message) &&
      /integer 0-65535/.test(e.message),
  );
  assert.throws(() => loadConfig({ env: { GATEHOUSE_ARGON2_MEMORY_KIB: '10' } }), /argon2MemoryKib.*KiB/);
  // a number outside its bounds says which bound (an integer was told it was not an integer)
  assert.throws(
    () => loadConfig({ overrides: { loginMaxFailuresPerIp: 1_000_000 } }),
    /loginMaxFailuresPerIp .*expected integer \(at most 100000\)/,
  );
  assert.throws(
    () => loadConfig({ env: { GATEHOUSE_LOGIN_MAX_FAILURES_PER_IP: '0' } }),
    /expected integer \(at least 1\)/,
  );
  assert.throws(() => loadConfig({ env: { GATEHOUSE_DATABASE_URL: 'mysql://x' } }), /databaseUrl/);
  assert.throws(
    () => loadConfig({ env: { GATEHOUSE_PROT: '1' } }),
    /unknown environment variable GATEHOUSE_PROT/,
  );
  const t = tempDir();
  try {
    const bad = join(t.dir, 'bad.json');
    writeFileSync(bad, '{"prot": 1}');
    assert.throws(() => loadConfig({ env: {}, file: bad }), /unknown setting "prot"/);
    writeFileSync(bad, '{nope');
    assert.throws(() => loadConfig({ env: {}, file: bad }), /cannot be parsed/);
    assert.throws(() => loadConfig({ env: {}, file: join(t.dir, 'missing.yaml') }), /does not exist/);
  } finally {
    t.cleanup();
  }
});

test('every setting has an environment name and appears in the settings table', () => {
  const table = settingsTable();
  for (const k of Object.keys(SETTINGS)) {
    assert.match(envName(k), /^GATEHOUSE_[A-Z0-9_]+$/);
    assert.ok(table.includes(`\`${k}\``), k);
  }
  assert.equal(envName('argon2MemoryKib'), 'GATEHOUSE_ARGON2_MEMORY_KIB');
});
