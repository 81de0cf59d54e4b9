/**
 * Helpers for the engine's scenario tests: the real content analysis (the shipped text and scam models, the
 * example brands) shared by every test in a process, and a decision's signals read as a failure message.
 */
import { fileURLToPath } from 'node:url';
import { loadBrands } from '../content/url/index.ts';
import { createContentAnalyzer } from '../engine/content.ts';
import type { Decision } from '../engine/types.ts';

let real: ReturnType<typeof createContentAnalyzer> | undefined;

/** The content part as production runs it (loaded once per process). */
export function realContent(): ReturnType<typeof createContentAnalyzer> {
  const brands = loadBrands(fileURLToPath(new URL('../../config/brands.example.json', import.meta.url)));
  return (real ??= createContentAnalyzer({ url: { brands } }));
}

/** "action: signal=log-odds, …" — what a failing assertion prints. */
export function decisionNames(d: Decision): string {
  return `${d.action}: ${d.signals.map((s) => `${s.name}=${s.logOdds.toFixed(2)}`).join(', ')}`;
}

export function hasSignal(d: Decision, s: string): boolean {
  return d.signals.some((x) => x.name === s);
}
