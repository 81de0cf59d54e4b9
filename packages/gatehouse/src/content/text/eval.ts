/**
 * `npm run eval:content`: evaluation of the text model on the shared datasets (not a test).
 *
 * Split: fixed, 20 % validation by the FNV-1a hash of the NORMALISED text (data.ts `isValidation`),
 * so duplicates and disguised duplicates never sit on both sides. Models (same hyper-parameters as
 * `gatehouse train`, sources balanced):
 *   - shipped: sms-spam-collection + qq-group-ads (what text-default.bin is trained on; here only on
 *     the training side of the split, so validation is honest);
 *   - all: the three sets, tg-spam included (GPL: evaluation only, never shipped);
 *   - per-set: one model per set.
 * Prints precision / recall / F1 on each set's validation side, and the F1 loss of the all-sets
 * model against each per-set model. Datasets: $GATEHOUSE_DATASETS or ../shared/datasets.
 */
import { existsSync } from 'node:fs';
import { metrics, split } from './data.ts';
import type { Metrics } from './data.ts';
import { DATASETS, datasetPath, readLabelledFile } from './loader.ts';
import type { DatasetName } from './loader.ts';
import { balanceSources, DEFAULT_SOURCE_WEIGHTS, train } from './model.ts';
import type { Example, TextModel } from './model.ts';
import { scoreProbability } from './score.ts';

export interface EvalRow {
  model: string;
  set: DatasetName;
  metrics: Metrics;
}

export function evaluate(model: TextModel, valid: readonly Example[], source?: string): Metrics {
  return metrics(
    valid.map((e) => e.label),
    valid.map((e) => scoreProbability(model, e.text, source)),
    model.threshold,
  );
}

export function loadSplits(
  names: readonly DatasetName[] = DATASETS,
): Map<DatasetName, { train: Example[]; valid: Example[] }> {
  const out = new Map<DatasetName, { train: Example[]; valid: Example[] }>();
  for (const n of names) out.set(n, split(readLabelledFile(datasetPath(n)).examples));
  return out;
}

export function trainOn(
  splits: Map<DatasetName, { train: Example[] }>,
  names: readonly DatasetName[],
): TextModel {
  return train(
    balanceSources(
      names.map((n) => splits.get(n)!.train),
      names,
      DEFAULT_SOURCE_WEIGHTS,
    ),
  );
}

function fmt(x: number): string {
  return x.toFixed(4);
}

async function main(): Promise<void> {
  const missing = DATASETS.filter((n) => !existsSync(datasetPath(n)));
  if (missing.length > 0) {
    console.log(
      `eval:content skipped: datasets not found (${missing.map(datasetPath).join(', ')}); set GATEHOUSE_DATASETS`,
    );
    return;
  }
  const t0 = performance.now();
  const splits = loadSplits();
  for (const [n, s] of splits)
    console.log(
      `${n}: train ${s.train.length}, validation ${s.valid.length} (${s.valid.filter((e) => e.label === 1).length} spam)`,
    );
  const configs: Array<{ name: string; sets: DatasetName[] }> = [
    { name: 'shipped (sms+qq)', sets: ['sms-spam-collection', 'qq-group-ads'] },
    { name: 'all (sms+qq+tg)', sets: [...DATASETS] },
    ...DATASETS.map((n) => ({ name: `per-set (${n})`, sets: [n] })),
  ];
  const rows: EvalRow[] = [];
  for (const c of configs) {
    const model = trainOn(splits, c.sets);
    for (const n of c.sets) {
      rows.push({
        model: `${c.name}, source given`,
        set: n,
        metrics: evaluate(model, splits.get(n)!.valid, n),
      });
      if (c.sets.length > 1)
        rows.push({ model: `${c.name}, no source`, set: n, metrics: evaluate(model, splits.get(n)!.valid) });
    }
  }
  const head = ['model', 'set', 'n', 'precision', 'recall', 'F1'];
  const cells = [
    head,
    ...rows.map((r) => [
      r.model,
      r.set,
      String(r.metrics.n),
      fmt(r.metrics.precision),
      fmt(r.metrics.recall),
      fmt(r.metrics.f1),
    ]),
  ];
  const w = head.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    `| ${c.map((x, i) => (i < 2 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join(' | ')} |`;
  console.log();
  console.log(line(cells[0]!));
  console.log(`|${w.map((x, i) => (i < 2 ? '-'.repeat(x + 2) : `${'-'.repeat(x + 1)}:`)).join('|')}|`);
  for (const c of cells.slice(1)) console.log(line(c));
  console.log('\nF1 loss of the all-sets model vs the per-set model (goal: <= 0.02):');
  const f1 = (prefix: string, n: string) =>
    rows.find((r) => r.model.startsWith(prefix) && r.set === n)?.metrics.f1;
  for (const n of DATASETS) {
    const per = f1('per-set', n)!;
    const parts = [`${n.padEnd(20)} per-set ${fmt(per)}`];
    for (const [label, prefix] of [
      ['all+source', 'all (sms+qq+tg), source given'],
      ['all, no source', 'all (sms+qq+tg), no source'],
      ['shipped+source', 'shipped (sms+qq), source given'],
      ['shipped, no source', 'shipped (sms+qq), no source'],
    ] as const) {
      const v = f1(prefix, n);
      if (v !== undefined)
        parts.push(`${label} ${fmt(v)} (loss ${fmt(per - v)}${per - v > 0.02 ? ' > 0.02' : ''})`);
    }
    console.log(`  ${parts.join(' | ')}`);
  }
  console.log(`\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

if (import.meta.main) await main();
