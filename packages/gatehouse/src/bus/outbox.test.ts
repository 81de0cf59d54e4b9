import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { testConfig } from '../testing/index.ts';
import { InProcessBus, type BusEvent } from './index.ts';

test('an event committed just before the process is killed is published by the next start', async () => {
  const { config, cleanup } = await testConfig('sqlite', { sqliteSynchronous: 'FULL' });
  try {
    const gatehouseTs = fileURLToPath(new URL('../gatehouse.ts', import.meta.url));
    const configTs = fileURLToPath(new URL('../config/index.ts', import.meta.url));
    // The child commits an account (and its event) and dies by SIGKILL before any drain can run.
    const child = `
      const { createGatehouse } = await import(${JSON.stringify(gatehouseTs)});
      const { loadConfig } = await import(${JSON.stringify(configTs)});
      const config = loadConfig({ env: {}, overrides: { dataDir: ${JSON.stringify(config.dataDir)}, logLevel: 'silent', argon2MemoryKib: 8192, argon2Iterations: 1 } });
      const gh = await createGatehouse(config);
      const a = await gh.identity.createAccount({ handle: 'crash.victim', password: 'survives a crash' }, { ip: '127.0.0.1', userAgent: 'x' });
      process.stdout.write(a.id);
      process.kill(process.pid, 'SIGKILL');
    `;
    const r = spawnSync(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', child],
      { encoding: 'utf8' },
    );
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const accountId = r.stdout.trim();
    assert.match(accountId, /^acc_/);

    const gh = await createGatehouse(config, { log: createLogger('silent') });
    const seen: BusEvent[] = [];
    gh.bus.subscribe('account.*', (e) => {
      seen.push(e);
    });
    gh.start();
    await gh.drainer.drain();
    await gh.close();
    assert.equal(seen.filter((e) => e.type === 'account.created' && e.account === accountId).length, 1);
  } finally {
    await cleanup();
  }
});

test('the in-process bus matches exact types, prefixes and "*", and survives a failing handler', async () => {
  const bus = new InProcessBus();
  const got: string[] = [];
  bus.subscribe('session.*', (e) => void got.push(`prefix:${e.type}`));
  bus.subscribe('login.failed', (e) => void got.push(`exact:${e.type}`));
  bus.subscribe('*', () => {
    throw new Error('handler bug');
  });
  const off = bus.subscribe('*', (e) => void got.push(`all:${e.type}`));
  await bus.publish({ id: '1', type: 'session.revoked', time: 1 });
  await bus.publish({ id: '2', type: 'login.failed', time: 2 });
  off();
  await bus.publish({ id: '3', type: 'sessionx', time: 3 });
  assert.deepEqual(got, [
    'prefix:session.revoked',
    'all:session.revoked',
    'exact:login.failed',
    'all:login.failed',
  ]);
});

test('events are published in commit order and each exactly once per drain', async () => {
  const { config, cleanup } = await testConfig('sqlite');
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  try {
    const order: string[] = [];
    gh.bus.subscribe('account.created', (e) => void order.push(String(e.handle)));
    for (const h of ['first.one', 'second.one', 'third.one']) {
      await gh.identity.createAccount(
        { handle: h, password: 'a decent password' },
        { ip: '10.0.0.1', userAgent: '' },
      );
    }
    gh.start();
    await gh.drainer.drain();
    await gh.drainer.drain();
    assert.deepEqual(order, ['first.one', 'second.one', 'third.one']);
  } finally {
    await gh.close();
    await cleanup();
  }
});

test('the drainer records published rows in one statement per flush and prunes old ones', async () => {
  const { config, cleanup } = await testConfig('sqlite');
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  try {
    for (const h of ['p.one', 'p.two'])
      await gh.identity.createAccount(
        { handle: h, password: 'a decent password' },
        { ip: '10.0.0.2', userAgent: '' },
      );
    gh.start();
    await gh.drainer.drain();
    const rows = await gh.store.db.selectFrom('outbox').select(['seq', 'published_at']).execute();
    assert.ok(rows.length >= 2);
    assert.ok(rows.every((r) => r.published_at !== null));
    const { outboxStore } = await import('./store.ts');
    await outboxStore.prune(gh.store.db, Date.now() + 1);
    assert.equal((await gh.store.db.selectFrom('outbox').selectAll().execute()).length, 0);
  } finally {
    await gh.close();
    await cleanup();
  }
});
