import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../testing/cli.ts';
import { tempDir } from '../testing/index.ts';

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));

test('every command has --help', async () => {
  // in-process (testing/cli.ts, the binary's own main): the serve test below runs the real binary
  const top = await runCli(['--help']);
  assert.equal(top.status, 0);
  for (const cmd of ['serve', 'migrate', 'keys', 'bench']) {
    assert.match(top.stdout, new RegExp(`\\b${cmd}\\b`));
    const h = await runCli([cmd, '--help']);
    assert.equal(h.status, 0, `${cmd} --help: ${h.stderr}`);
    assert.match(h.stdout, /Usage: gatehouse/);
  }
  for (const sub of ['create', 'list', 'revoke'])
    assert.equal((await runCli(['keys', sub, '--help'])).status, 0);
});

test('migrate, then keys create, list and revoke against a data directory', async () => {
  const t = tempDir();
  try {
    const m = await runCli(['migrate', '-d', t.dir]);
    assert.equal(m.status, 0, m.stderr);
    assert.match(m.stdout, /applied \d+ migration/);
    assert.match((await runCli(['migrate', '-d', t.dir])).stdout, /up to date/);
    const c = await runCli([
      'keys',
      'create',
      '-d',
      t.dir,
      '--name',
      'chat backend',
      '--scopes',
      'accounts:read,accounts:write',
      '--json',
    ]);
    assert.equal(c.status, 0, c.stderr);
    const created = JSON.parse(c.stdout) as { key: string; id: string; scopes: string[] };
    assert.match(created.key, /^ghk_/);
    assert.deepEqual(created.scopes, ['accounts:read', 'accounts:write']);
    const l = await runCli(['keys', 'list', '-d', t.dir]);
    assert.match(
      l.stdout,
      new RegExp(`${created.id}\\tchat backend\\taccounts:read,accounts:write\\tactive`),
    );
    assert.ok(!l.stdout.includes(created.key), 'list never shows the secret');
    assert.equal((await runCli(['keys', 'revoke', '-d', t.dir, created.id])).status, 0);
    assert.match((await runCli(['keys', 'list', '-d', t.dir])).stdout, /revoked/);
    const again = await runCli(['keys', 'revoke', '-d', t.dir, created.id]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /KEY_NOT_FOUND/);
    const bad = await runCli(['keys', 'create', '-d', t.dir, '--name', 'x', '--scopes', 'root']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown scope "root"/);
  } finally {
    t.cleanup();
  }
});

test('an invalid setting stops start-up with a message naming the key and the expected form', async () => {
  // in-process (the same main as the binary): the settings are read before anything starts
  const r = await runCli(['serve'], { GATEHOUSE_PORT: '99999' });
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /CONFIG_INVALID: invalid value "99999" for port \(environment variable GATEHOUSE_PORT\): expected integer 0-65535/,
  );
});

test('serve prints where it listens, answers, and stops cleanly on SIGTERM', async () => {
  const t = tempDir();
  let child: ChildProcess | undefined;
  try {
    const c = spawn(process.execPath, [BIN, 'serve', '--port', '0', '-d', t.dir], {
      env: { ...cleanEnv, GATEHOUSE_LOG_LEVEL: 'warn' },
    });
    child = c;
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listen line: ${out} ${err}`)), 120_000);
      c.stdout.on('data', () => {
        const m = /listening on (http:\/\/[^\s]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const exit = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
    c.kill('SIGTERM');
    assert.equal(await exit, 0, err);
    assert.match(out, /stopped/);
  } finally {
    // a failed start must not leave the server running (it would keep the test process alive)
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    t.cleanup();
  }
});
