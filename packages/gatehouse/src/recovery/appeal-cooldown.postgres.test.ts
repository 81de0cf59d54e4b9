// The suite of appeal-cooldown.test.ts (denied sanction appeals cool down), run on PostgreSQL.
import { onPostgres } from '../testing/backends.ts';

await onPostgres(new URL('./appeal-cooldown.test.ts', import.meta.url));
