// The suite of routes.test.ts, run on PostgreSQL.
import { onPostgres } from '../testing/backends.ts';

await onPostgres(new URL('./routes.test.ts', import.meta.url));
