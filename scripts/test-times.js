#!/usr/bin/env node
// per-file timing reporter: wall time from first to last event of a file, and the sum of top-level durations
import { writeFileSync } from 'node:fs';
export default async function* (source) {
  const files = new Map();
  const t0 = Date.now();
  for await (const ev of source) {
    const d = ev.data ?? {};
    if (!d.file) continue;
    const now = Date.now();
    let f = files.get(d.file);
    if (!f) files.set(d.file, (f = { first: now, last: now, top: 0, fail: 0, pass: 0 }));
    f.last = now;
    if ((ev.type === 'test:pass' || ev.type === 'test:fail') && d.nesting === 0) {
      f.top += d.details?.duration_ms ?? 0;
      if (ev.type === 'test:fail') f.fail++;
      else f.pass++;
    }
    if (ev.type === 'test:fail' && d.nesting === 0) yield `FAIL ${d.file} :: ${d.name}\n`;
  }
  const rows = [...files].map(([k, v]) => ({
    file: k.replace(/^.*?\/(packages|examples)\//, '$1/'),
    wall: (v.last - v.first) / 1000,
    top: v.top / 1000,
    fail: v.fail,
    pass: v.pass,
  }));
  rows.sort((a, b) => b.wall - a.wall);
  const out = process.env.GATEHOUSE_TEST_TIMES_OUT ?? 'test-times.json';
  writeFileSync(out, JSON.stringify({ total: (Date.now() - t0) / 1000, rows }, null, 1));
  yield (
    `total ${(Date.now() - t0) / 1000}s\n` +
    rows
      .slice(0, 40)
      .map(
        (r) =>
          `${r.wall.toFixed(1).padStart(7)} ${r.top.toFixed(1).padStart(7)} ${r.fail ? 'F' : ' '} ${r.file}`,
      )
      .join('\n') +
    '\n'
  );
}
