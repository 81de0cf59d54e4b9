// The suite of http.test.ts, run on PostgreSQL.
import { onPostgres } from '../testing/backends.ts';

await onPostgres(new URL('./http.test.ts', import.meta.url));
