/**
 * Which regular expressions can match a text at all, from one pass over its code units. Scoring runs
 * fourteen global patterns (structure features and the intent lexicons) over every message; each
 * exec costs a fixed entry into the regex engine even when nothing matches, and that entry was the
 * largest single cost of feature extraction on short chat. So each pattern's possible first code
 * units are derived from its source once, at load; a pattern none of whose first units occurs in the
 * text cannot match it and is skipped.
 *
 * Sound by construction: the derivation understands a small subset of the syntax (literals, escaped
 * punctuation, `\d` `\w`, classes with ranges, groups and alternation, look-arounds as zero-width,
 * quantifiers) and answers "any unit" for everything else (`.`, `\s`, negated classes, `\p{…}`, the
 * `i` flag, …), so a pattern it cannot read is always run. `prefilter.test.ts` checks on the data sets
 * that every match starts with a unit of its pattern's set.
 */

const UNITS = 0x10000;

interface Part {
  /** Possible first code units, or null for any. */
  first: Set<number> | null;
  /** The part can match the empty string (its successor's first units count too). */
  nullable: boolean;
}

class Reader {
  i = 0;
  readonly s: string;
  constructor(s: string) {
    this.s = s;
  }
  peek(k = 0): string {
    return this.s[this.i + k] ?? '';
  }
}

function union(a: Set<number> | null, b: Set<number> | null): Set<number> | null {
  if (a === null || b === null) return null;
  for (const u of b) a.add(u);
  return a;
}

function addUnit(set: Set<number>, cp: number): void {
  // an astral first character starts with its high surrogate in UTF-16
  set.add(cp >= 0x10000 ? 0xd800 + ((cp - 0x10000) >> 10) : cp);
}

/** Adds a range of BMP units; false when it is not one (or too wide to be worth listing). */
function addRange(set: Set<number>, a: number, b: number): boolean {
  if (b < a || b >= 0x10000 || b - a > 4096) return false;
  for (let c = a; c <= b; c++) set.add(c);
  return true;
}

const DIGITS: ReadonlyArray<[number, number]> = [[0x30, 0x39]];
const WORD: ReadonlyArray<[number, number]> = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];

/** A `\x` escape as a set of ranges; undefined when it is not one we read (→ any unit). */
function escapeRanges(ch: string): ReadonlyArray<[number, number]> | undefined {
  if (ch === 'd') return DIGITS;
  if (ch === 'w') return WORD;
  // escaped punctuation stands for itself
  if (/^[\\/.*+?^$()[\]{}|\-:'"@#%&=!<>,~`]$/.test(ch)) return [[ch.charCodeAt(0), ch.charCodeAt(0)]];
  return undefined;
}

/** Reads a character class after its "["; null when it may hold any unit. */
function readClass(r: Reader): Set<number> | null {
  const set = new Set<number>();
  let any = false;
  if (r.peek() === '^') any = true;
  let prev = -1;
  while (r.i < r.s.length && r.peek() !== ']') {
    const ch = r.peek();
    if (ch === '\\') {
      const rg = escapeRanges(r.peek(1));
      r.i += 2;
      if (rg === undefined) {
        any = true;
        prev = -1;
        continue;
      }
      for (const [a, b] of rg) addRange(set, a, b);
      prev = rg.length === 1 && rg[0]![0] === rg[0]![1] ? rg[0]![0] : -1;
      continue;
    }
    if (ch === '-' && prev >= 0 && r.peek(1) !== ']' && r.peek(1) !== '') {
      r.i++;
      let hi: number;
      if (r.peek() === '\\') {
        const rg = escapeRanges(r.peek(1));
        r.i += 2;
        if (rg === undefined || rg.length !== 1 || rg[0]![0] !== rg[0]![1]) {
          any = true;
          prev = -1;
          continue;
        }
        hi = rg[0]![0];
      } else {
        hi = r.s.codePointAt(r.i)!;
        r.i += hi >= 0x10000 ? 2 : 1;
      }
      if (!addRange(set, prev, hi)) any = true;
      prev = -1;
      continue;
    }
    const lo = r.s.codePointAt(r.i)!;
    r.i += lo >= 0x10000 ? 2 : 1;
    if (lo >= 0x10000)
      any = true; // an astral range would need more than a high surrogate
    else set.add(lo);
    prev = lo;
  }
  r.i++; // "]"
  return any ? null : set;
}

/** Skips a quantifier after an atom; returns whether it allows zero repetitions (or undefined: none). */
function readQuantifier(r: Reader): boolean | undefined {
  const ch = r.peek();
  let zero: boolean | undefined;
  if (ch === '?' || ch === '*') {
    r.i++;
    zero = true;
  } else if (ch === '+') {
    r.i++;
    zero = false;
  } else if (ch === '{') {
    const m = /^\{(\d+)(?:,\d*)?\}/.exec(r.s.slice(r.i));
    if (!m) return undefined; // a literal "{"
    r.i += m[0].length;
    zero = Number(m[1]) === 0;
  } else return undefined;
  if (r.peek() === '?') r.i++; // lazy
  return zero;
}

function readAlternation(r: Reader): Part {
  let first: Set<number> | null = new Set<number>();
  let nullable = false;
  for (;;) {
    const seq = readSequence(r);
    first = union(first, seq.first);
    nullable ||= seq.nullable;
    if (r.peek() !== '|') break;
    r.i++;
  }
  return { first, nullable };
}

function readSequence(r: Reader): Part {
  let first: Set<number> | null = new Set<number>();
  let open = true; // every atom so far can be empty
  while (r.i < r.s.length && r.peek() !== '|' && r.peek() !== ')') {
    const atom = readAtom(r);
    const zero = readQuantifier(r);
    const nullable = atom.nullable || zero === true;
    if (open) first = union(first, atom.first);
    open &&= nullable;
  }
  return { first, nullable: open };
}

function readAtom(r: Reader): Part {
  const ch = r.peek();
  if (ch === '(') {
    r.i++;
    let zeroWidth = false;
    if (r.peek() === '?') {
      const look = r.s.slice(r.i, r.i + 3);
      if (look.startsWith('?:')) r.i += 2;
      else if (look === '?<!' || look === '?<=' || look.startsWith('?!') || look.startsWith('?=')) {
        zeroWidth = true;
        r.i += look.startsWith('?<') ? 3 : 2;
      } else if (look.startsWith('?<')) {
        const close = r.s.indexOf('>', r.i);
        r.i = close < 0 ? r.s.length : close + 1; // a named group
      } else {
        // a modifier group or other syntax we do not read
        const inner = readAlternation(r);
        r.i++;
        return { first: null, nullable: inner.nullable };
      }
    }
    const inner = readAlternation(r);
    r.i++; // ")"
    // a look-around neither consumes nor begins a match
    return zeroWidth ? { first: new Set<number>(), nullable: true } : inner;
  }
  if (ch === '[') {
    r.i++;
    return { first: readClass(r), nullable: false };
  }
  if (ch === '\\') {
    const e = r.peek(1);
    r.i += 2;
    if (e === 'b' || e === 'B') return { first: new Set<number>(), nullable: true };
    const rg = escapeRanges(e);
    if (rg === undefined) return { first: null, nullable: false };
    const set = new Set<number>();
    for (const [a, b] of rg) addRange(set, a, b);
    return { first: set, nullable: false };
  }
  if (ch === '^' || ch === '$') {
    r.i++;
    return { first: new Set<number>(), nullable: true };
  }
  if (ch === '.') {
    r.i++;
    return { first: null, nullable: false };
  }
  const cp = r.s.codePointAt(r.i)!;
  r.i += cp >= 0x10000 ? 2 : 1;
  const set = new Set<number>();
  addUnit(set, cp);
  return { first: set, nullable: false };
}

/**
 * The UTF-16 code units a match of `re` can begin with, or null when any unit may begin one (or
 * the pattern can match the empty string, or uses syntax not read here).
 */
export function firstUnits(re: RegExp): Set<number> | null {
  if (re.flags.includes('i') || re.flags.includes('v') || re.flags.includes('x')) return null;
  const r = new Reader(re.source);
  const p = readAlternation(r);
  if (r.i < r.s.length) return null; // an unbalanced ")": not read
  return p.nullable ? null : p.first;
}

/**
 * A gate over up to 32 patterns: `of(text)` is the bit set of those that can match the text (bit k
 * for pattern k), from one pass over its units.
 */
export class RegexGate {
  private readonly table = new Uint32Array(UNITS);
  private readonly always: number;

  constructor(patterns: readonly RegExp[]) {
    if (patterns.length > 32) throw new Error('RegexGate takes at most 32 patterns');
    let always = 0;
    patterns.forEach((re, k) => {
      const set = firstUnits(re);
      if (set === null) always |= 1 << k;
      else for (const c of set) this.table[c]! |= 1 << k;
    });
    this.always = always;
  }

  of(text: string): number {
    const table = this.table;
    let bits = this.always;
    for (let i = 0; i < text.length; i++) bits |= table[text.charCodeAt(i)]!;
    return bits;
  }
}

/** A word list with its patterns, as one alternation compiles them (intents.ts `compile`). */
export interface TermList {
  /** Literal terms: a match is the term's units exactly (no `i` flag; look-arounds only beside it). */
  terms: readonly string[];
  /** Regular-expression sources of the other alternatives. */
  patterns: readonly string[];
}

/** Slots of the hashed pair and triple tables (2^14: a few hundred terms leave most of them empty). */
const NGRAM_BITS = 14;

function pairSlot(a: number, b: number): number {
  return Math.imul(Math.imul(a, 0x9e3779b1) ^ b, 0x85ebca6b) >>> (32 - NGRAM_BITS);
}

function tripleSlot(a: number, b: number, c: number): number {
  return Math.imul(Math.imul(Math.imul(a, 0x9e3779b1) ^ b, 0x85ebca6b) ^ c, 0xc2b2ae35) >>> (32 - NGRAM_BITS);
}

/**
 * A gate over up to 8 word lists (the intent lexicons), sharper than `RegexGate` for them: bit k is
 * set when a term of list k can begin somewhere in the text — its first three units occur there in a
 * row (both units of a two-unit term, the unit of a one-unit term) — or a first unit of one of its
 * patterns occurs. A first-unit gate runs nearly every list on chat in Latin letters ("see you"
 * begins "sex", "send", "selected"); three units in a row rule most of them out. The pairs and
 * triples are kept hashed: a collision only lets a list run, never skips one. One byte per entry
 * (up to 8 lists) keeps the tables small enough to stay in cache.
 */
export class TermGate {
  private readonly one = new Uint8Array(UNITS);
  private readonly two = new Uint8Array(1 << NGRAM_BITS);
  private readonly three = new Uint8Array(1 << NGRAM_BITS);
  private readonly always: number;

  constructor(lists: readonly TermList[]) {
    if (lists.length > 8) throw new Error('TermGate takes at most 8 lists');
    let always = 0;
    lists.forEach((l, k) => {
      const bit = 1 << k;
      for (const t of l.terms) {
        if (t.length === 0) always |= bit;
        else if (t.length === 1) this.one[t.charCodeAt(0)]! |= bit;
        else if (t.length === 2) this.two[pairSlot(t.charCodeAt(0), t.charCodeAt(1))]! |= bit;
        else this.three[tripleSlot(t.charCodeAt(0), t.charCodeAt(1), t.charCodeAt(2))]! |= bit;
      }
      for (const p of l.patterns) {
        const set = firstUnits(new RegExp(`(?:${p})`, 'u'));
        if (set === null) always |= bit;
        else for (const c of set) this.one[c]! |= bit;
      }
    });
    this.always = always;
  }

  of(text: string): number {
    let bits = this.always;
    const n = text.length;
    if (n === 0) return bits;
    let a = text.charCodeAt(0);
    let b = n > 1 ? text.charCodeAt(1) : -1;
    for (let i = 0; i < n; i++) {
      bits |= this.one[a]!;
      if (b < 0) break;
      const c = i + 2 < n ? text.charCodeAt(i + 2) : -1;
      bits |= this.two[pairSlot(a, b)]!;
      if (c >= 0) bits |= this.three[tripleSlot(a, b, c)]!;
      a = b;
      b = c;
    }
    return bits;
  }
}
