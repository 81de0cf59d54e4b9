/**
 * Test-only: one suite registered once per database, so the same tests run on SQLite and on PostgreSQL
 * (the PostgreSQL copy skips visibly when the server is absent, and fails under
 * GATEHOUSE_REQUIRE_SERVICES=1).
 */
import { describe } from 'node:test';
import { postgresSkip, type Backend } from './index.ts';

// asked once, before any suite runs (a busy event loop must not time the check out)
const pgSkip = await postgresSkip();

export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];

/** Registers `name (sqlite)` and `name (postgres)`, each calling `fn` with its backend. */
export function describeBackends(name: string, fn: (backend: Backend) => void): void {
  for (const backend of BACKENDS)
    describe(`${name} (${backend})`, { skip: backend === 'postgres' ? pgSkip : undefined }, () =>
      fn(backend),
    );
}

const FILE_BACKEND = Symbol.for('gatehouse.test.fileBackend');

/**
 * The database a whole suite file runs on: SQLite, or PostgreSQL when its `*.postgres.test.ts` sibling
 * loads it through `onPostgres` (each test file runs in a process of its own).
 */
export function fileBackend(): Backend {
  return ((globalThis as Record<symbol, unknown>)[FILE_BACKEND] as Backend | undefined) ?? 'sqlite';
}

/** Loads a suite file (`() => import('./x.test.ts')`) with `fileBackend()` answering postgres. */
export async function onPostgres(load: () => Promise<unknown>): Promise<void> {
  if (pgSkip) {
    describe('PostgreSQL run', { skip: pgSkip }, () => undefined);
    return;
  }
  (globalThis as Record<symbol, unknown>)[FILE_BACKEND] = 'postgres';
  await load();
}
