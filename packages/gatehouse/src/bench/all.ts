// Importing a benchmark module registers it. Add new benchmarks here.
import '../engine/bench.ts';
