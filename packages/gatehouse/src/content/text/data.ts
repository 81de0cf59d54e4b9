/**
 * Labelled data (`label<TAB>text`, one message a line, label 0 = normal, 1 = spam/scam/ad), the
 * fixed validation split, and the metrics. Pure functions: reading files lives in loader.ts.
 */
import type { Example } from './model.ts';
import { hashString } from './features.ts';
import { normalize } from './normalize.ts';

export interface BadLine {
  line: number;
  reason: string;
}

export interface ParsedData {
  examples: Example[];
  bad: BadLine[];
}

/** Parses `label<TAB>text` lines. Empty lines are skipped; anything else malformed is reported. */
export function parseLabelled(content: string): ParsedData {
  const examples: Example[] = [];
  const bad: BadLine[] = [];
  const lines = content.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (i === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim() === '') continue;
    const tab = line.indexOf('\t');
    if (tab < 0) {
      bad.push({ line: i + 1, reason: 'no TAB between label and text' });
      continue;
    }
    const label = line.slice(0, tab).trim();
    if (label !== '0' && label !== '1') {
      bad.push({ line: i + 1, reason: `label must be 0 or 1, got "${label.slice(0, 20)}"` });
      continue;
    }
    const text = line.slice(tab + 1);
    if (text.trim() === '') {
      bad.push({ line: i + 1, reason: 'empty text' });
      continue;
    }
    examples.push({ text, label: label === '1' ? 1 : 0 });
  }
  return { examples, bad };
}

/**
 * The fixed validation split: a message is in validation when the FNV-1a hash of its NORMALISED
 * text falls in the lowest 20 % (hash % 100 < 20). Exact and disguised duplicates therefore always
 * land on the same side.
 */
export function isValidation(text: string, percent = 20): boolean {
  const h = hashString(0x5e1, normalize(text).text) >>> 0;
  return h % 100 < percent;
}

export function split(examples: readonly Example[], percent = 20): { train: Example[]; valid: Example[] } {
  const train: Example[] = [];
  const valid: Example[] = [];
  for (const e of examples) (isValidation(e.text, percent) ? valid : train).push(e);
  return { train, valid };
}

export interface Metrics {
  n: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  fpr: number;
  threshold: number;
}

export function metrics(labels: ArrayLike<number>, probs: ArrayLike<number>, threshold: number): Metrics {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const yes = probs[i]! >= threshold;
    if (labels[i] === 1) {
      if (yes) tp++;
      else fn++;
    } else if (yes) fp++;
    else tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const n = labels.length;
  return {
    n,
    precision,
    recall,
    f1,
    accuracy: n === 0 ? 0 : (tp + tn) / n,
    fpr: fp + tn === 0 ? 0 : fp / (fp + tn),
    threshold,
  };
}
