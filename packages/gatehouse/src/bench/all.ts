// Importing a benchmark module registers it. Add new benchmarks here.
import './login.ts';
import '../content/bench.ts';
import './webhooks.ts';
import './incident.ts';
import '../engine/bench.ts';
import './check.ts';
import './response.ts';
import './oauth.ts';
import './oauth-baseline.ts';
import './passkeys.ts';
import './scaleout.ts';
import './soak.ts';
import './soak-cluster.ts';
