// The suite of attacks.test.ts (issue 10's account-control attacks over HTTP), run on PostgreSQL.
import { onPostgres } from '../testing/backends.ts';

await onPostgres(new URL('./attacks.test.ts', import.meta.url));
