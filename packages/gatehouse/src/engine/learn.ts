/**
 * Learning the weights table from labels. Every signal is a (weight, strength) pair and the score is
 * a logistic model over the strengths, so labelled decisions (e.g. owner-confirmed hijacks and
 * appeals that were upheld) are training examples: x = the strengths by signal name, y = 1 for
 * abuse / 0 for benign. `fitWeights` runs L2-regularised logistic regression (mini-batch gradient
 * descent) starting from the current table; the result can replace `WEIGHTS` / `BIAS` in config.ts
 * or be passed to the engine as `weights` and `bias`.
 */
import type { SignalName, Weights } from './config.ts';
import { BIAS, defaultWeights } from './config.ts';

export interface LabelledDecision {
  /** Stored decisions (JSON): signal names as strings; unknown names are ignored. */
  decision: { signals: ReadonlyArray<{ name: string; strength: number }> };
  /** true = abuse (hijack, spam), false = benign */
  abusive: boolean;
}

export interface FitOptions {
  epochs?: number;
  learningRate?: number;
  /** L2 pull towards the starting weights (keeps rare signals near their expert value). */
  l2?: number;
  start?: { bias: number; weights: Weights };
}

export function fitWeights(
  examples: LabelledDecision[],
  opts: FitOptions = {},
): { bias: number; weights: Weights; logLoss: number } {
  const start = opts.start ?? { bias: BIAS, weights: defaultWeights() };
  const names = Object.keys(start.weights) as SignalName[];
  const index = new Map(names.map((n, i) => [n, i]));
  const w0 = Float64Array.from(names.map((n) => start.weights[n]));
  const w = Float64Array.from(w0);
  let b = start.bias;
  const xs = examples.map((e) => {
    const idx: number[] = [];
    const val: number[] = [];
    for (const s of e.decision.signals) {
      const i = index.get(s.name as SignalName);
      if (i !== undefined) {
        idx.push(i);
        val.push(s.strength);
      }
    }
    return { idx, val, y: e.abusive ? 1 : 0 };
  });
  const epochs = opts.epochs ?? 200;
  const lr = opts.learningRate ?? 0.1;
  const l2 = opts.l2 ?? 0.01;
  const grad = new Float64Array(w.length);
  for (let ep = 0; ep < epochs; ep++) {
    grad.fill(0);
    let gb = 0;
    for (const x of xs) {
      let z = b;
      for (let k = 0; k < x.idx.length; k++) z += w[x.idx[k]!]! * x.val[k]!;
      const err = 1 / (1 + Math.exp(-z)) - x.y;
      gb += err;
      for (let k = 0; k < x.idx.length; k++) grad[x.idx[k]!]! += err * x.val[k]!;
    }
    const n = Math.max(1, xs.length);
    b -= (lr * gb) / n;
    for (let i = 0; i < w.length; i++) w[i]! -= lr * (grad[i]! / n + l2 * (w[i]! - w0[i]!));
  }
  let loss = 0;
  for (const x of xs) {
    let z = b;
    for (let k = 0; k < x.idx.length; k++) z += w[x.idx[k]!]! * x.val[k]!;
    const p = Math.min(1 - 1e-12, Math.max(1e-12, 1 / (1 + Math.exp(-z))));
    loss -= x.y * Math.log(p) + (1 - x.y) * Math.log(1 - p);
  }
  const weights = {} as Weights;
  names.forEach((n, i) => (weights[n] = Math.round(w[i]! * 1000) / 1000));
  return { bias: Math.round(b * 1000) / 1000, weights, logLoss: loss / Math.max(1, xs.length) };
}
