// Importing a benchmark module registers it. Add new benchmarks here.
import './login.ts';
import '../content/bench.ts';
import './webhooks.ts';
