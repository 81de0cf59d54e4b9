/** The work behind `gatehouse train` and `gatehouse eval` (loaded only when one of them runs). */
import { basename, dirname, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { GatehouseError } from '../../errors/index.ts';
import { metrics } from './data.ts';
import type { Metrics, ParsedData } from './data.ts';
import { DEFAULT_MODEL_PATH, readLabelledFile, readModelFile, writeModelFile } from './loader.ts';
import { balanceSources, DEFAULT_SOURCE_WEIGHTS, nonZero, train } from './model.ts';
import { scoreProbability } from './score.ts';

function reportBad(file: string, parsed: ParsedData, err: (s: string) => void): void {
  for (const b of parsed.bad.slice(0, 20)) err(`${file}:${b.line}: ${b.reason}`);
  if (parsed.bad.length > 20) err(`${file}: … and ${parsed.bad.length - 20} more bad lines`);
}

/**
 * A source's name from its file: the file name without extension, or the folder's name when the
 * file has a generic name (train.tsv, data.tsv …): ../datasets/qq-group-ads/train.tsv → qq-group-ads.
 */
export function sourceName(file: string): string {
  const stem = basename(file).replace(/\.[^.]*$/, '');
  return /^(train|test|valid|validation|data|all|eval)$/i.test(stem)
    ? basename(dirname(resolve(file)))
    : stem;
}

function intOption(v: string, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new GatehouseError('BAD_REQUEST', `${name} must be an integer in [${min}, ${max}]`);
  return n;
}

export interface TrainCliOptions {
  data: string[];
  out: string;
  epochs: string;
  seed: string;
  bits: string;
  threshold: string;
  strict?: boolean;
  progress: boolean;
}

export function runTrain(
  opts: TrainCliOptions,
  err: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): {
  examples: number;
  bytes: number;
  nonZero: number;
} {
  const sources = opts.data.map((file) => {
    const parsed = readLabelledFile(file);
    reportBad(file, parsed, err);
    if (opts.strict && parsed.bad.length > 0)
      throw new GatehouseError('TEXT_DATA_INVALID', `${file}: ${parsed.bad.length} bad lines (--strict)`, {
        extra: { bad: parsed.bad.slice(0, 100) },
      });
    const spam = parsed.examples.reduce((s, e) => s + e.label, 0);
    err(`${file}: ${parsed.examples.length} examples (${spam} spam, ${parsed.examples.length - spam} ham)`);
    return parsed.examples;
  });
  const examples = balanceSources(
    sources,
    opts.data.map((f) => sourceName(f)),
    DEFAULT_SOURCE_WEIGHTS,
  );
  if (examples.length === 0) throw new GatehouseError('TEXT_DATA_INVALID', 'no valid examples in the data');
  const threshold = Number(opts.threshold);
  if (!(threshold > 0 && threshold < 1))
    throw new GatehouseError('BAD_REQUEST', '--threshold must be in (0, 1)');
  const bar =
    opts.progress && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          { format: 'training [{bar}] {percentage}% | {value}/{total} updates', stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : null;
  const epochs = intOption(opts.epochs, '--epochs', 1, 100);
  bar?.start(epochs * examples.length, 0);
  const model = train(examples, {
    epochs,
    seed: intOption(opts.seed, '--seed', 0, 0xffffffff),
    bits: intOption(opts.bits, '--bits', 10, 24),
    threshold,
    onProgress: (done) => bar?.update(done),
  });
  bar?.stop();
  const bytes = writeModelFile(opts.out, model);
  const nz = nonZero(model);
  err(`wrote ${opts.out}: ${bytes} bytes, ${nz} non-zero weights, ${examples.length} examples`);
  return { examples: examples.length, bytes, nonZero: nz };
}

export function runEval(
  opts: { data: string; model?: string; source?: string },
  err: (s: string) => void,
): Metrics {
  const parsed = readLabelledFile(opts.data);
  const model = readModelFile(opts.model ?? DEFAULT_MODEL_PATH);
  reportBad(opts.data, parsed, err);
  if (opts.source !== undefined && !model.sources.includes(opts.source))
    err(
      `source "${opts.source}" is not one the model knows (${model.sources.join(', ')}): shared weights only`,
    );
  const labels = parsed.examples.map((e) => e.label);
  const probs = parsed.examples.map((e) => scoreProbability(model, e.text, opts.source));
  return metrics(labels, probs, model.threshold);
}
