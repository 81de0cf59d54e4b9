// The suite of negative.test.ts, run on PostgreSQL.
import { onPostgres } from '../testing/backends.ts';

await onPostgres(new URL('./negative.test.ts', import.meta.url));
