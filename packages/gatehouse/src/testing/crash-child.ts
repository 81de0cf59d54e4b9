/**
 * The crash tests' child: one process for the test's databases (one Node start-up instead of one per
 * database) commits some work on each and dies by SIGKILL before anything drains it; each backend's test
 * then starts Gatehouse on what its database kept.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.ts';
import { testConfig, type Backend } from './index.ts';

export interface Crashed<T> {
  config: Config;
  cleanup: () => Promise<void>;
  /** How the child ended (the tests assert SIGKILL, with `stderr`). */
  signal: NodeJS.Signals | null;
  stderr: string;
  /** What the child wrote for this database (undefined when it wrote nothing readable). */
  result: T | undefined;
}

/** A module of `packages/gatehouse/src`, as a JSON string for the child's `import()`. */
export const srcModule = (path: string): string =>
  JSON.stringify(fileURLToPath(new URL(`../${path}`, import.meta.url)));

/**
 * Runs `script(dbs)` as an ES module in a child process: `dbs` holds each database's `dataDir` and
 * `databaseUrl` (SQLite, and PostgreSQL unless `pgSkip`), and the script writes a JSON array with one
 * result per database, in that order, to stdout, then kills itself. `settings`: the databases' configs.
 */
export async function crashChild<T>(
  pgSkip: string | undefined,
  script: (dbs: Array<{ dataDir: string; databaseUrl: string }>) => string,
  o: { settings?: Record<string, unknown>; timeoutMs?: number } = {},
): Promise<Map<Backend, Crashed<T>>> {
  const backends = (['sqlite', 'postgres'] as Backend[]).filter((b) => b === 'sqlite' || !pgSkip);
  const made = await Promise.all(
    backends.map((b) => testConfig(b, { ...o.settings, sqliteSynchronous: 'FULL' }, { migrated: true })),
  );
  const dbs = made.map(({ config }) => ({
    dataDir: config.dataDir,
    databaseUrl: config.database.kind === 'postgres' ? config.database.url : '',
  }));
  const r = spawnSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script(dbs)],
    { encoding: 'utf8', timeout: o.timeoutMs ?? 120_000 },
  );
  let results: T[] = [];
  try {
    results = JSON.parse(r.stdout) as T[];
  } catch {
    // the test's assertion on the signal reports it (with stderr)
  }
  return new Map(
    backends.map((b, i) => [b, { ...made[i]!, signal: r.signal, stderr: r.stderr, result: results[i] }]),
  );
}
