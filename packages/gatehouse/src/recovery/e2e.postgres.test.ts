// The suite of e2e.test.ts, run on PostgreSQL.
import { onPostgres } from '../testing/backends.ts';

await onPostgres(new URL('./e2e.test.ts', import.meta.url));
