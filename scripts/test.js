#!/usr/bin/env node
// Runs every *.test.ts beside the code with Node's own test runner (type stripping, no build).
// GATEHOUSE_REQUIRE_SERVICES=1 (set by .ci/run) turns "server absent: skipped" into a failure.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`Gatehouse needs Node.js >= 22 (this is ${process.version}). Run: . scripts/node-env.sh`);
  process.exit(1);
}
const filters = process.argv.slice(2);
const files = globSync(['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts'], {
  exclude: (p) => p.includes('node_modules'),
})
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-timeout=120000',
    '--disable-warning=ExperimentalWarning',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
