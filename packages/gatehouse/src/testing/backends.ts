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

/**
 * Registers `name (sqlite)` and `name (postgres)`, each calling `fn` with its backend. `atOnce`: the two
 * run at the same time (each on its own database, its tests in order), under one suite `name` — for
 * suites that mostly wait (mail, retries, a cache's time to live, a restart).
 */
export function describeBackends(
  name: string,
  fn: (backend: Backend) => void,
  opts: { atOnce?: boolean } = {},
): void {
  const each = () => {
    for (const backend of BACKENDS)
      describe(
        `${name} (${backend})`,
        { skip: backend === 'postgres' ? pgSkip : undefined, ...(opts.atOnce ? { concurrency: 1 } : {}) },
        () => fn(backend),
      );
  };
  if (opts.atOnce) describe(name, { concurrency: 2 }, each);
  else each();
}

/**
 * The database a whole suite file runs on: SQLite, or PostgreSQL when its `*.postgres.test.ts` sibling
 * loads it through `onPostgres`. Called with the suite file's `import.meta`: the PostgreSQL run is a
 * module instance of its own (`x.test.ts?backend=postgres`), so that both runs register their tests and
 * each keeps its database when the two files share a test process (scripts/test/run.js): a process-wide
 * flag, or one module instance for both, ran one of them on the other's database or not at all.
 */
export function fileBackend(meta: ImportMeta): Backend {
  return new URL(meta.url).searchParams.get('backend') === 'postgres' ? 'postgres' : 'sqlite';
}

/** Loads a suite file (`new URL('./x.test.ts', import.meta.url)`) with `fileBackend` answering postgres. */
export async function onPostgres(suite: URL): Promise<void> {
  if (pgSkip) {
    describe('PostgreSQL run', { skip: pgSkip }, () => undefined);
    return;
  }
  const url = new URL(suite);
  url.searchParams.set('backend', 'postgres');
  await import(url.href);
}
