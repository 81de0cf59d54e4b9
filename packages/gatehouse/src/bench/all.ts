// Importing a benchmark module registers it. Add new benchmarks here.
import '../content/image/bench.ts';
