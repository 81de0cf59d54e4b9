import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A figure a benchmark reports. Numbers are medians over the benchmark's own rounds. */
export type Figures = Record<string, number>;

export interface Benchmark {
  name: string;
  description: string;
  /** Runs the benchmark and returns its figures (the JSON object `gatehouse bench NAME --json` prints). */
  run(opts: BenchOptions): Promise<Figures>;
  /** False for a benchmark too long for `bench all` (it runs only by name). */
  inAll?: boolean;
}

export interface BenchOptions {
  /** Scale factor: 1 is the full benchmark; smaller values run a quick smoke version. */
  scale: number;
  log: (line: string) => void;
  /** `--minutes` and `--rate`, for the benchmarks that take them (soak). */
  minutes?: number;
  rate?: number;
  /** Samples over time a benchmark records (soak: memory), written beside its figures. */
  series?: Array<Record<string, number>>;
}

const registry = new Map<string, Benchmark>();

export function registerBenchmark(b: Benchmark): void {
  registry.set(b.name, b);
}

export function benchmarks(): Benchmark[] {
  return [...registry.values()];
}

export function getBenchmark(name: string): Benchmark | undefined {
  return registry.get(name);
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

/** Formats rows of figures as an aligned text table. */
export function table(rows: Array<{ bench: string; figure: string; value: number }>): string {
  const fmt = (v: number) =>
    Number.isInteger(v) ? v.toLocaleString('en-US') : Math.abs(v) < 10 ? v.toFixed(3) : v.toFixed(1);
  const cells = [['benchmark', 'figure', 'value'], ...rows.map((r) => [r.bench, r.figure, fmt(r.value)])];
  const w = [0, 1, 2].map((i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `| ${c[0]!.padEnd(w[0]!)} | ${c[1]!.padEnd(w[1]!)} | ${c[2]!.padStart(w[2]!)} |`;
  const sep = `|${'-'.repeat(w[0]! + 2)}|${'-'.repeat(w[1]! + 2)}|${'-'.repeat(w[2]! + 1)}:|`;
  return [line(cells[0]!), sep, ...cells.slice(1).map(line)].join('\n');
}

export function writeResults(
  dir: string,
  name: string,
  figures: Figures,
  series?: Array<Record<string, number>>,
): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const body = { name, at: new Date().toISOString(), node: process.version, figures };
  writeFileSync(file, JSON.stringify(series?.length ? { ...body, series } : body, null, 2));
  return file;
}

/** Formats samples over time (rows of the same keys) as an aligned text table. */
export function seriesTable(rows: Array<Record<string, number>>): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const cells = [keys, ...rows.map((r) => keys.map((k) => String(r[k] ?? '')))];
  const w = keys.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padStart(w[i]!)).join(' | ')} |`;
  const sep = `|${w.map((n) => '-'.repeat(n + 1)).join('-|')}:|`;
  return [line(cells[0]!), sep, ...cells.slice(1).map(line)].join('\n');
}
