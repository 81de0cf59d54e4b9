/**
 * Intent detection from the lexicon. Matches run on the normalised text; every hit reports its span
 * in the normalised text AND in the original text (through the normalisation offset map), plus the
 * original characters, so "加 薇 信" in a message is shown as the original span that reads "加薇信".
 */
import { INTENTS, URGENCY } from './lexicon.ts';
import type { IntentName } from './lexicon.ts';
import type { Normalized } from './normalize.ts';
import { toOriginalSpan } from './normalize.ts';
import { TermGate, type TermList } from './prefilter.ts';

export interface IntentHit {
  intent: IntentName;
  /** What the intent means, for people (English / 简体中文). */
  label: string;
  labelZh: string;
  /** The lexicon term or pattern text that matched (as normalised). */
  term: string;
  /** Offsets in the original text (UTF-16, end exclusive). */
  start: number;
  end: number;
  /** The original characters of the span. */
  original: string;
  /** Offsets in the normalised text. */
  normStart: number;
  normEnd: number;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Latin terms need word boundaries; CJK terms do not. */
function termSource(t: string): string {
  const e = escape(t);
  const head = /^[a-z0-9]/.test(t) ? '(?<![a-z0-9])' : '';
  const tail = /[a-z0-9]$/.test(t) ? '(?![a-z0-9])' : '';
  return head + e + tail;
}

function compile(terms: readonly string[], patterns: readonly string[]): RegExp {
  const sorted = [...terms].sort((a, b) => b.length - a.length);
  // Patterns first: they are the more specific (a term inside them would otherwise win).
  return new RegExp([...patterns.map((p) => `(?:${p})`), ...sorted.map(termSource)].join('|'), 'gu');
}

const COMPILED: ReadonlyArray<{ name: IntentName; label: string; labelZh: string; re: RegExp }> = INTENTS.map(
  (d) => ({
    name: d.name,
    label: d.label,
    labelZh: d.labelZh,
    re: compile([...d.zh, ...d.en], d.patterns),
  }),
);

export const URGENCY_RE: RegExp = compile([...URGENCY.zh, ...URGENCY.en], []);

/** The intent patterns, by intent index. */
export const INTENT_PATTERNS: readonly RegExp[] = COMPILED.map((c) => c.re);

/** What URGENCY_RE and each intent pattern (by index) are compiled from, for a `TermGate`. */
export const URGENCY_TERMS: TermList = { terms: [...URGENCY.zh, ...URGENCY.en], patterns: [] };
export const INTENT_TERMS: readonly TermList[] = INTENTS.map((d) => ({
  terms: [...d.zh, ...d.en],
  patterns: d.patterns,
}));
const GATE = new TermGate(INTENT_TERMS);

/**
 * Calls `onHit(intentIndex, normStart, normEnd)` for each intent match; no allocation beyond the
 * regex's. `gate`: bit i set when intent i's pattern can match (prefilter.ts; computed when absent).
 */
export function scanIntents(
  norm: string,
  onHit: (intent: number, start: number, end: number) => void,
  gate: number = GATE.of(norm),
): void {
  for (let i = 0; i < COMPILED.length; i++) {
    if ((gate & (1 << i)) === 0) continue;
    const re = COMPILED[i]!.re;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(norm)) !== null) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      onHit(i, m.index, m.index + m[0].length);
    }
  }
}

export function intentName(i: number): IntentName {
  return COMPILED[i]!.name;
}

export const INTENT_COUNT = COMPILED.length;

/** Every intent hit in a message, with original offsets. */
export function detectIntents(original: string, norm: Normalized): IntentHit[] {
  const triples: number[] = [];
  scanIntents(norm.text, (i, s, e) => triples.push(i, s, e));
  return intentHits(original, norm, triples);
}

/** Builds the hits from (intent, normStart, normEnd) triples (as `extractFeatures` collects them). */
export function intentHits(original: string, norm: Normalized, triples: readonly number[]): IntentHit[] {
  const hits: IntentHit[] = [];
  for (let k = 0; k + 2 < triples.length; k += 3) {
    const i = triples[k]!;
    const s = triples[k + 1]!;
    const e = triples[k + 2]!;
    const o = toOriginalSpan(norm, s, e);
    hits.push({
      intent: COMPILED[i]!.name,
      label: COMPILED[i]!.label,
      labelZh: COMPILED[i]!.labelZh,
      term: norm.text.slice(s, e),
      start: o.start,
      end: o.end,
      original: original.slice(o.start, o.end),
      normStart: s,
      normEnd: e,
    });
  }
  return hits.sort((a, b) => a.start - b.start || a.end - b.end || a.intent.localeCompare(b.intent));
}
