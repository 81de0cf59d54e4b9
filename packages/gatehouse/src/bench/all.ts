// Importing a benchmark module registers it. Add new benchmarks here.
import './login.ts';
import '../content/bench.ts';
import './webhooks.ts';
import '../engine/bench.ts';
import '../engine/bench-check.ts';
import '../response/bench.ts';
