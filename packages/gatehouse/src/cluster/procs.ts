/**
 * The scale-out shape on one machine, as real processes (`gatehouse serve --role …`), for the fault
 * test and `gatehouse bench scaleout`: start, kill (SIGKILL) and stop roles; read who owns which
 * partition and what each partition's last snapshot covers. Not used by the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Db } from '../store/db.ts';
import { leaseEntries, type ClusterLink } from './nats.ts';
import { clusterNames } from './partition.ts';
import { clusterStore } from './store.ts';

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

export interface RoleProcess {
  role: string;
  child: ChildProcess;
  /** Where it listens (every role serves /healthz and /metrics). */
  url: string;
  exited: Promise<number | null>;
  /** The last 8,000 characters it wrote (its log, stdout and stderr), for a failure's message. */
  output(): string;
}

/** Starts `gatehouse serve --role <role>` with `env` (GATEHOUSE_* settings); resolves once it listens. */
export function startRole(
  role: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<RoleProcess> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', BIN, 'serve', '--role', role],
    {
      env: { ...process.env, ...env, GATEHOUSE_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let out = '';
  let err = '';
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
    tail = (tail + d.toString()).slice(-8000);
  });
  child.stdout!.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-8000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${role} did not start in ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ role, child, url: m[1]!, exited, output: () => tail });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited (${code}) before listening: ${err}`));
    });
  });
}

/** Graceful stop (SIGTERM: partitions handed over); resolves with the exit code. */
export async function stopRole(p: RoleProcess): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  return p.exited;
}

/** Partition → owning worker id (from the lease bucket). */
export async function owners(link: ClusterLink): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const [k, v] of await leaseEntries(link, 'p.')) out.set(Number(k.slice(2)), v);
  return out;
}

/** The worker id of an engine process: `<host>-<pid>-<random>`. */
export function isWorkerOf(id: string, pid: number | undefined): boolean {
  return pid !== undefined && id.includes(`-${pid}-`);
}

/** Each partition's snapshot position and how many events its state has applied (engine stats). */
export async function snapshotCoverage(
  db: Db,
  partitions: number,
): Promise<Array<{ partition: number; position: number; events: number } | undefined>> {
  const out: Array<{ partition: number; position: number; events: number } | undefined> = [];
  for (let p = 0; p < partitions; p++) {
    const s = await clusterStore.snapshot(db, p);
    if (!s) {
      out.push(undefined);
      continue;
    }
    const text = gunzipSync(Buffer.from(s.data, 'base64')).toString('utf8');
    const first = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
    const meta = JSON.parse(first) as ['meta', { stats: { events: number } }];
    out.push({ partition: p, position: Number(s.position), events: meta[1].stats.events });
  }
  return out;
}

/** The last stream sequence of each partition's subject in a deployment's stream (0 when it has none). */
export async function lastSeqs(natsUrl: string, clusterName: string, partitions: number): Promise<number[]> {
  const names = clusterNames(clusterName);
  const nc = await connect({ servers: natsUrl.split(',') });
  try {
    const jsm = await jetstreamManager(nc);
    const out: number[] = [];
    for (let p = 0; p < partitions; p++) {
      const m = await jsm.streams
        .getMessage(names.stream, { last_by_subj: names.events(p) })
        .catch(() => null);
      out.push(m?.seq ?? 0);
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** True when a NATS server answers at `url` within 2 s. */
export async function natsAvailable(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url.split(','), timeout: 10_000, maxReconnectAttempts: 0 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}
