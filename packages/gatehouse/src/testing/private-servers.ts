// Test-only: a NATS server (JetStream) and a PostgreSQL cluster of the test's own, on loopback ports of
// their own, that a test may stop and start again (the shared servers on 4222 and 5432 are never
// touched). PostgreSQL runs from the machine's binaries as the `postgres` user when the test runs as
// root (initdb refuses root). Never imported by production code.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { natsAvailable } from '../cluster/procs.ts';
import { pgAnswers, tempDir } from './index.ts';
import { until } from './receiver.ts';

/** A free loopback port (listen on 0, close). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function which(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    const p = join(dir, bin);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The nats-server binary, or undefined. */
export const NATS_SERVER = which('nats-server');

/** The directory of PostgreSQL's server binaries (initdb, pg_ctl), or undefined. */
export const PG_BIN: string | undefined = (() => {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'pg_ctl'))) return join(base, v, 'bin');
  return undefined;
})();

export interface PrivateNats {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A nats-server with JetStream, its store in a temp dir, on a port of its own. */
export async function privateNats(): Promise<PrivateNats> {
  if (!NATS_SERVER) throw new Error('nats-server is not installed');
  const tmp = tempDir('gatehouse-nats-');
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', tmp.dir], {
      stdio: 'ignore',
    });
    await until(() => natsAvailable(url), 'the private NATS server to answer', 30_000);
  };
  /** A clean stop (SIGTERM: the server flushes its store and exits). */
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url,
    stop,
    start,
    close: async () => {
      await stop();
      tmp.cleanup();
    },
  };
}

export interface PrivatePostgres {
  url: string;
  /** An immediate stop: every connection is cut, and the next start runs crash recovery. */
  crash(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A PostgreSQL cluster of its own (initdb in a temp dir, trust on loopback), or an Error saying why not. */
export async function privatePostgres(): Promise<PrivatePostgres> {
  if (!PG_BIN) throw new Error('PostgreSQL server binaries are not installed');
  const tmp = tempDir('gatehouse-pg-');
  const asRoot = process.getuid?.() === 0;
  const run = (bin: string, args: string[]) => {
    const cmd = join(PG_BIN!, bin);
    return asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' })
      : execFileSync(cmd, args, { stdio: 'pipe' });
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(tmp.dir, uid, gid);
  }
  const data = join(tmp.dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  // fsync off: a test's own cluster, stopped and crashed as a process (never the machine), where the
  // kernel keeps what was written; the disk waits of fsync are the shared machine's, not the test's
  const opts = `-p ${port} -k ${tmp.dir} -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off`;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const start = async () => {
    run('pg_ctl', ['-D', data, '-o', opts, '-l', join(tmp.dir, 'log'), '-w', 'start']);
    await until(() => pgAnswers(url), 'the private PostgreSQL to answer', 30_000);
  };
  const crash = async () => {
    run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  };
  await start();
  return {
    url,
    crash,
    start,
    close: async () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      tmp.cleanup();
    },
  };
}
