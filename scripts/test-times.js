#!/usr/bin/env node
// Per-file timing reporter (GATEHOUSE_TEST_TIMES=1 npm test): the wall time and the CPU time of each file
// in its test process (sent by scripts/test/run.js as a `gatehouse:file` event; without one, the wall
// time from a file's first to its last event), the CPU time of the processes it spawned (CLIs, servers,
// browsers), the sum of its top-level tests' durations and its count of tests (at every level: compare it
// between two runs to see that no test went missing). Slowest CPU first: on a shared machine CPU is the
// figure that load does not inflate.
import { writeFileSync } from 'node:fs';
export default async function* (source) {
  const files = new Map();
  const t0 = Date.now();
  for await (const ev of source) {
    const d = ev.data ?? {};
    const file = d.testFile ?? d.file;
    if (!file) continue;
    const now = Date.now();
    let f = files.get(file);
    if (!f) files.set(file, (f = { first: now, last: now, top: 0, fail: 0, pass: 0, tests: 0 }));
    f.last = now;
    if (ev.type === 'gatehouse:file') {
      f.cpu = d.cpu;
      f.children = d.children;
      f.wall = d.wall;
    }
    if ((ev.type === 'test:pass' || ev.type === 'test:fail') && d.details?.type !== 'suite') f.tests++;
    if ((ev.type === 'test:pass' || ev.type === 'test:fail') && d.nesting === 0) {
      f.top += d.details?.duration_ms ?? 0;
      if (ev.type === 'test:fail') f.fail++;
      else f.pass++;
    }
    if (ev.type === 'test:fail' && d.nesting === 0) yield `FAIL ${file} :: ${d.name}\n`;
  }
  const rows = [...files].map(([k, v]) => ({
    file: k.replace(/^.*?\/(packages|examples)\//, '$1/'),
    wall: v.wall ?? (v.last - v.first) / 1000,
    cpu: v.cpu ?? null,
    children: v.children ?? null,
    tests: v.tests,
    top: v.top / 1000,
    fail: v.fail,
    pass: v.pass,
  }));
  const total = (r) => (r.cpu ?? r.wall) + (r.children ?? 0);
  rows.sort((a, b) => total(b) - total(a));
  const cpu = rows.reduce((s, r) => s + (r.cpu ?? 0), 0);
  const children = rows.reduce((s, r) => s + (r.children ?? 0), 0);
  const tests = rows.reduce((s, r) => s + r.tests, 0);
  const out = process.env.GATEHOUSE_TEST_TIMES_OUT ?? 'test-times.json';
  writeFileSync(
    out,
    JSON.stringify({ total: (Date.now() - t0) / 1000, cpu, children, tests, rows }, null, 1),
  );
  const n = (x) => (x === null ? '-' : x.toFixed(1)).padStart(7);
  yield (
    `total ${(Date.now() - t0) / 1000}s wall, ${cpu.toFixed(1)}s CPU in the test processes, ` +
    `${children.toFixed(1)}s in the processes they spawned; ${tests} tests\n` +
    `${'wall'.padStart(7)} ${'cpu'.padStart(7)} ${'spawned'.padStart(7)} ${'in tests'.padStart(8)} ${'tests'.padStart(5)}\n` +
    rows
      .slice(0, 40)
      .map(
        (r) =>
          `${n(r.wall)} ${n(r.cpu)} ${n(r.children)} ${n(r.top).padStart(8)} ${String(r.tests).padStart(5)} ${r.fail ? 'F' : ' '} ${r.file}`,
      )
      .join('\n') +
    '\n'
  );
}
