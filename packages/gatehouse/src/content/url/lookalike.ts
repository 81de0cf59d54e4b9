/**
 * Lookalike detection in the reverse direction: instead of generating permutations of each brand (as
 * dnstwist does), the candidate's labels are compared with the brands' labels: equal skeletons, one-edit
 * differences classified into dnstwist's fuzzer families, and brand labels found inside longer labels.
 *
 * Short labels get stricter rules (see README): a brand label of 3 characters or fewer ("qq") only matches
 * by skeleton, exact label with another suffix, as a whole hyphen-separated token or next to dictionary
 * words, and in subdomains/paths only as its full domain ("qq.com.evil.cn").
 */
import type { BrandIndex, Target } from './brands.ts';
import type { Hit } from './automaton.ts';
import { sameGlyph, scriptsOf, skeleton } from './confusables.ts';
import type { DomainInfo } from './domain.ts';
import { hostSuffixes, toUnicode } from './domain.ts';
import { fuzzyBrand, lureWordsIn, RISKY_TLDS } from './fuzzy.ts';
import { keyboardAdjacent } from './keyboard.ts';

export type LookalikeRule =
  | 'addition'
  | 'bitsquatting'
  | 'cyrillic'
  | 'homoglyph'
  | 'hyphenation'
  | 'insertion'
  | 'omission'
  | 'plural'
  | 'repetition'
  | 'replacement'
  | 'subdomain'
  | 'transposition'
  | 'vowel-swap'
  | 'dictionary'
  | 'tld-swap'
  | 'various'
  | 'combosquatting'
  | 'keyword'
  | 'brand-subdomain'
  | 'brand-path'
  | 'edit-distance'
  | 'fuzzy-combo';

export interface LookalikeMatch {
  rule: LookalikeRule;
  brand: string;
  /** the label (or token, subdomain, path part) that imitates the brand */
  label: string;
  /** the brand label or keyword it imitates */
  target: string;
  /** the brand's official domain behind target, when it is a domain label */
  official?: string;
  positions?: number[];
  char?: string;
  from?: string;
  to?: string;
  keyboard?: boolean;
  bit?: number;
  words?: string[];
  suffix?: string;
  scripts?: string[];
  /** true when the brand was found only after folding confusable characters */
  homoglyph?: boolean;
  /** edit-distance / fuzzy-combo: Damerau–Levenshtein edits over the skeletons */
  distance?: number;
  /** fuzzy-combo: lure words next to the brand */
  lures?: string[];
}

/** Strictness tier by brand label length: 0 (≤3), 1 (4–5), 2 (6–7), 3 (≥8). */
export function tier(len: number): number {
  return len <= 3 ? 0 : len <= 5 ? 1 : len <= 7 ? 2 : 3;
}

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

function tailEq(a: string, i: number, b: string, j: number): boolean {
  if (a.length - i !== b.length - j) return false;
  for (; i < a.length; i++, j++) if (a.charCodeAt(i) !== b.charCodeAt(j)) return false;
  return true;
}

function base(t: Target, label: string, rule: LookalikeRule): LookalikeMatch {
  const m: LookalikeMatch = { rule, brand: t.brand, label, target: t.text };
  if (t.domain) m.official = t.domain;
  return m;
}

/** One Damerau edit between candidate a and brand label t, classified into a family, or null. */
export function classifyEdit(a: string, t: Target, b = t.text): LookalikeMatch | null {
  const la = a.length;
  const lb = b.length;
  const lv = tier(t.len);
  let p = 0;
  const min = la < lb ? la : lb;
  while (p < min && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  if (la === lb) {
    if (p === la) return null;
    if (tailEq(a, p + 1, b, p + 1)) {
      const from = b[p]!;
      const to = a[p]!;
      let m: LookalikeMatch | null = null;
      const x = from.charCodeAt(0) ^ to.charCodeAt(0);
      if (sameGlyph(from, to)) m = base(t, a, 'homoglyph');
      // A changed first letter that does not look the same is what a reader notices first: on the
      // blocklist's development half no lookalike rests on one (xfinity is not dfinity).
      else if (p === 0) return null;
      else if (lv >= 2 && VOWELS.has(from) && VOWELS.has(to)) m = base(t, a, 'vowel-swap');
      else if (lv >= 2 && keyboardAdjacent(from, to)) {
        m = base(t, a, 'replacement');
        m.keyboard = true;
      } else if (lv >= 2 && (x & (x - 1)) === 0 && /^[a-z0-9-]$/.test(to)) {
        m = base(t, a, 'bitsquatting');
        m.bit = Math.log2(x);
      } else if (lv >= 3) {
        m = base(t, a, 'replacement');
        m.keyboard = false;
      }
      if (m) {
        m.positions = [p];
        m.from = from;
        m.to = to;
      }
      return m;
    }
    if (lv >= 1 && p + 1 < la && a[p] === b[p + 1] && a[p + 1] === b[p] && tailEq(a, p + 2, b, p + 2)) {
      const m = base(t, a, 'transposition');
      m.positions = [p, p + 1];
      return m;
    }
    return null;
  }
  if (la === lb + 1) {
    if (!tailEq(a, p + 1, b, p)) return null;
    const ch = a[p]!;
    let m: LookalikeMatch | null = null;
    if (ch === '-') m = lv >= 1 ? base(t, a, 'hyphenation') : null;
    else if ((p > 0 && a[p - 1] === ch) || (p + 1 < la && a[p + 1] === ch))
      m = lv >= 1 ? base(t, a, 'repetition') : null;
    else if (p === lb && ch === 's') m = lv >= 1 ? base(t, a, 'plural') : null;
    else if (p === lb) m = lv >= 2 ? base(t, a, 'addition') : null;
    else if (lv >= 2 && ((p > 0 && keyboardAdjacent(b[p - 1]!, ch)) || keyboardAdjacent(b[p]!, ch))) {
      m = base(t, a, 'insertion');
      m.keyboard = true;
    } else if (lv >= 3) {
      m = base(t, a, 'insertion');
      m.keyboard = false;
    }
    if (m) {
      m.positions = [p];
      m.char = ch;
    }
    return m;
  }
  if (la === lb - 1) {
    if (lv < 2 || !tailEq(a, p, b, p + 1)) return null;
    const m = base(t, a, 'omission');
    m.positions = [p];
    m.char = b[p]!;
    return m;
  }
  return null;
}

/** Is the candidate's ASCII label one edit (or a plural "es") away from a brand domain label? */
function fuzzy(label: string, idx: BrandIndex): LookalikeMatch | null {
  const L = label.length;
  for (const len of [L, L - 1, L + 1]) {
    const ts = idx.byLength.get(len);
    if (!ts) continue;
    for (const t of ts) {
      const m = classifyEdit(label, t);
      if (m) return m;
    }
  }
  if (L > 5 && label.endsWith('es')) {
    const ts = idx.byText.get(label.slice(0, -2));
    if (ts && tier(ts[0]!.len) >= 1) {
      const m = base(ts[0]!, label, 'plural');
      m.positions = [L - 2];
      m.char = 'es';
      return m;
    }
  }
  return null;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return false;
  return true;
}

function splitWords(s: string): string[] {
  const out: string[] = [];
  for (const w of s.split('-')) if (w !== '') out.push(w);
  return out;
}

/**
 * Classifies a brand found inside a longer label (in skeleton space). Returns null when the short-label
 * rules say the occurrence is too weak.
 */
function combo(
  sk: string,
  h: Hit<Target>,
  idx: BrandIndex,
  labelShown: string,
  rawAscii: string | null,
): LookalikeMatch | null {
  const t = h.value;
  let map: number[] | null = null;
  if (rawAscii !== null) {
    // the brand must cover whole characters of the label ("soundcloud" folds to "…clcl…", not "icloud")
    map = rawOffsets(rawAscii);
    if (h.start > 0 && map[h.start] === map[h.start - 1]) return null;
    if (h.end < sk.length && map[h.end] === map[h.end - 1]) return null;
  }
  const pre = sk.slice(0, h.start);
  const post = sk.slice(h.end);
  const bounded = (h.start === 0 || sk[h.start - 1] === '-') && (h.end === sk.length || sk[h.end] === '-');
  const words = [...splitWords(pre), ...splitWords(post)];
  if (words.length === 0) return null;
  const allDict = words.every((w) => idx.dictionary.has(w));
  const lv = tier(t.len);
  let rule: LookalikeRule;
  if (
    t.kind === 'domain' &&
    ((pre === '' && idx.tldWords.has(post.replace(/^-/, ''))) ||
      (post === '' && (pre === 'vvvvvv' || pre === 'vvvvvv-')))
  )
    rule = 'various';
  else if (allDict && words.length === 1 && !pre.includes('-') && !post.includes('-')) rule = 'dictionary';
  else if (
    allDict ||
    lv >= 3 ||
    (lv === 2 && (bounded || (t.kind === 'domain' && pre === '' && post.length >= 3)))
  )
    rule = 'combosquatting';
  else return null;
  const m = base(t, labelShown, rule);
  m.words = words;
  if (rawAscii === null) {
    // Unicode label: report its other hyphen-separated tokens as written
    const tokens = splitWords(labelShown);
    if (tokens.length > 1) m.words = tokens.filter((w) => !skeleton(w).includes(t.skel));
  } else if (map !== null) {
    const a = map[h.start]!;
    const b = map[h.end]!;
    m.words = [...splitWords(rawAscii.slice(0, a)), ...splitWords(rawAscii.slice(b))];
    m.positions = [a, b];
  }
  if (rawAscii === null || !rawAscii.includes(t.text)) m.homoglyph = true;
  return m;
}

/** For an ASCII label: skeleton offset → label offset (skeleton() may expand a char, e.g. "d" → "cl"). */
function rawOffsets(raw: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const n = skeleton(raw[i]!).length;
    for (let k = 0; k < n; k++) out.push(i);
  }
  out.push(raw.length);
  return out;
}

function bestCombo(
  sk: string,
  idx: BrandIndex,
  labelShown: string,
  rawAscii: string | null,
  minLen = 0,
): LookalikeMatch | null {
  const hits = idx.automaton.search(sk);
  let best: LookalikeMatch | null = null;
  let bestScore = 0;
  for (const h of hits) {
    const len = h.end - h.start;
    if (h.value.len < minLen || len === sk.length) continue;
    const score = len * 2 + (h.value.kind === 'domain' ? 1 : 0);
    if (score <= bestScore) continue;
    const m = combo(sk, h, idx, labelShown, rawAscii);
    if (m) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

/** Is the host an official brand domain or a subdomain of one? Returns the brand name. */
export function officialBrand(
  host: string,
  idx: BrandIndex,
  suffixes?: readonly string[],
): string | undefined {
  if (host === '' || idx.official.size === 0) return undefined;
  for (const h of suffixes ?? hostSuffixes(host)) {
    const b = idx.official.get(h);
    if (b !== undefined) return b;
  }
  return undefined;
}

/**
 * Country-code TLDs sold worldwide as generic names (and those registered for free): a brand's label
 * under one of these is no country site, so it stays a lookalike (discord.gg aside, which a brand lists).
 */
const GENERIC_CC: ReadonlySet<string> = new Set([
  'ac',
  'ad',
  'ai',
  'as',
  'bz',
  'cc',
  'cd',
  'cf',
  'cx',
  'co',
  'dj',
  'fm',
  'ga',
  'gg',
  'gq',
  'im',
  'io',
  'la',
  'ly',
  'me',
  'ml',
  'ms',
  'nu',
  'pw',
  'sc',
  'sh',
  'so',
  'sr',
  'st',
  'su',
  'tk',
  'to',
  'tv',
  'vu',
  'ws',
]);

/**
 * The brand whose own country domain this is: the registrable label is exactly one of the brand's
 * domain labels (4+ ASCII characters, no homoglyph) and the public suffix is a country's (ICANN
 * section, a two-letter TLD, alone or under a second level: google.de, google.co.jp, google.com.hk),
 * not a generic-use ccTLD, with no lure word in the host, and the brand does not opt out
 * (`countryDomains: false`). Undefined otherwise.
 */
export function countryDomainBrand(info: DomainInfo, idx: BrandIndex): string | undefined {
  const label = info.label;
  const suffix = info.publicSuffix;
  if (!label || !suffix || !info.icann || idx.countryLabels.size === 0) return undefined;
  const brand = idx.countryLabels.get(label);
  if (brand === undefined) return undefined;
  const tld = suffix.slice(suffix.lastIndexOf('.') + 1);
  if (tld.length !== 2 || !/^[a-z]{2}$/.test(tld)) return undefined;
  // a generic-use ccTLD directly (google.io) is no country site; its country's second level is (com.co)
  const levels = suffix.split('.').length;
  if (levels === 1 && GENERIC_CC.has(tld)) return undefined;
  // at most one level under the ccTLD (co.jp, com.hk); longer private-looking suffixes are not countries
  if (levels > 2) return undefined;
  if (info.subdomain !== '' && lureWordsIn(info.subdomain, '').length > 0) return undefined;
  return brand;
}

/** Checks one registrable label (ASCII form and Unicode form). */
function checkLabel(
  label: string,
  labelU: string,
  suffix: string | null,
  idx: BrandIndex,
  baited = false,
): LookalikeMatch | null {
  const sk = skeleton(labelU);
  // 1. same skeleton: the brand label itself under another suffix, or a homoglyph of it
  const same = idx.bySkeleton.get(sk);
  // a one-letter brand label ("t" of t.me) is no name of its own: t.co is not telegram
  if (same && same[0]!.len >= 2) {
    const t = same[0]!;
    if (labelU === t.text) {
      const m = base(t, labelU, t.kind === 'domain' ? 'tld-swap' : 'keyword');
      if (suffix) m.suffix = suffix;
      return m;
    }
    const scripts = scriptsOf(labelU);
    const m = base(t, labelU, scripts.includes('cyrillic') ? 'cyrillic' : 'homoglyph');
    if (!isAscii(labelU)) m.scripts = scripts;
    // the differing stretch: common prefix and suffix removed
    const a = labelU;
    const b = t.text;
    let p = 0;
    while (p < a.length && p < b.length && a[p] === b[p]) p++;
    let q = 0;
    while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
    m.positions = [p, a.length - q];
    m.from = b.slice(p, b.length - q);
    m.to = a.slice(p, a.length - q);
    return m;
  }
  const ascii = isAscii(labelU);
  // 2. hyphenation ("dis-cord"), one edit away, "www"/TLD glued on
  if (ascii) {
    if (label.includes('-')) {
      const ts = idx.byText.get(label.replaceAll('-', ''));
      if (ts && tier(ts[0]!.len) >= 1 && !ts[0]!.text.includes('-')) {
        const m = base(ts[0]!, label, 'hyphenation');
        m.positions = [];
        for (let i = 0; i < label.length; i++) if (label[i] === '-') m.positions.push(i);
        return m;
      }
    }
    const f = fuzzy(label, idx);
    if (f) return f;
  }
  // one edit away once confusables are folded ("dlscrod": l for i, and two letters swapped)
  if (sk !== labelU) {
    const L = sk.length;
    for (const len of [L, L - 1, L + 1]) {
      for (const t of idx.bySkeletonLength.get(len) ?? []) {
        const m = classifyEdit(sk, t, t.skel);
        if (m && m.rule !== 'homoglyph') {
          const out = base(t, labelU, m.rule);
          out.homoglyph = true;
          return out;
        }
      }
    }
  }
  // 3. the brand inside a longer label
  const c = bestCombo(sk, idx, labelU, ascii ? label : null);
  if (c) return c;
  // 4. a brand label one edit away inside a hyphenated name ("steamcomunity-gift")
  if (ascii && label.includes('-')) {
    const tokens = splitWords(label);
    if (tokens.length <= 8) {
      for (const tok of tokens) {
        if (tok.length < 6) continue;
        const m = fuzzy(tok, idx) ?? null;
        if (m) {
          m.words = tokens.filter((w) => w !== tok);
          m.label = label;
          return m;
        }
      }
    }
  }
  // 5. several edits, scaled by the brand label's length, or a brand contained with edits (fuzzy.ts)
  const fz = fuzzyBrand(sk, idx, baited);
  if (fz) {
    const m = base(fz.target, labelU, fz.rule);
    m.distance = fz.distance;
    if (fz.words) m.words = fz.words;
    if (fz.lures && fz.lures.length > 0) m.lures = fz.lures;
    if (fz.positions) m.positions = fz.positions;
    if (sk !== labelU) m.homoglyph = true;
    return m;
  }
  return null;
}

/**
 * Decides whether a host (with its PSL facts and the URL path) imitates a protected brand. Official
 * brand domains and their subdomains never match.
 */
export function detectLookalike(
  info: DomainInfo,
  idx: BrandIndex,
  path = '',
  suffixes?: readonly string[],
  lures?: readonly string[],
): LookalikeMatch | null {
  if (idx.targets.length === 0 || officialBrand(info.host, idx, suffixes) !== undefined) return null;
  const reg = info.registeredDomain;
  if (info.label && reg) {
    const labelU = info.label.includes('xn--') ? toUnicode(info.label) : info.label;
    // short brands several edits away count only next to bait: a lure word or a risky TLD
    const tld = info.host.slice(info.host.lastIndexOf('.') + 1);
    const baited = RISKY_TLDS.has(tld) || (lures ?? lureWordsIn(info.host, path)).length > 0;
    // the brand's own country site (google.co.jp) is no tld-swap of it
    const m =
      countryDomainBrand(info, idx) === undefined
        ? checkLabel(info.label, labelU, info.publicSuffix, idx, baited)
        : null;
    if (m) return m;
  }
  if (info.subdomain !== '') {
    const subs = info.subdomain.split('.');
    if (subs.length <= 32) {
      // dnstwist "subdomain": a dot inserted into the brand label ("dis.cord.com")
      if (info.label) {
        let joined = info.label;
        for (let i = subs.length - 1; i >= 0 && i >= subs.length - 2; i--) {
          joined = subs[i] + joined;
          const ts = idx.byText.get(joined);
          if (ts && tier(ts[0]!.len) >= 1) {
            const m = base(ts[0]!, `${subs.slice(i).join('.')}.${info.label}`, 'subdomain');
            return m;
          }
        }
      }
      // the brand placed in the subdomain of an unrelated domain
      const rest = `${info.subdomain}.${reg ?? ''}`;
      let off = 0;
      for (let i = 0; i < subs.length; i++) {
        const sub = subs[i]!;
        const tail = rest.slice(off);
        off += sub.length + 1;
        if (sub === 'www' || sub === '') continue;
        const ts = idx.byText.get(sub);
        if (ts) {
          for (const t of ts) {
            if (t.domain && tail.startsWith(`${t.domain}.`)) {
              return base(t, tail.slice(0, t.domain.length), 'brand-subdomain');
            }
          }
        }
        const subU = sub.includes('xn--') ? toUnicode(sub) : sub;
        const sk = skeleton(subU);
        const same = idx.bySkeleton.get(sk);
        if (same && tier(same[0]!.len) >= 1) {
          const m = base(same[0]!, subU, 'brand-subdomain');
          if (subU !== same[0]!.text) m.homoglyph = true;
          return m;
        }
        const c = bestCombo(sk, idx, subU, isAscii(subU) ? sub : null, 4);
        if (c) {
          c.rule = 'brand-subdomain';
          return c;
        }
      }
    }
  }
  // the brand's domain in the path of an unrelated site ("example.cn/qq.com/login")
  if (path.length > 3) {
    const q = path.search(/[?#]/);
    const p = (q >= 0 ? path.slice(0, q) : path).slice(0, 512).toLowerCase();
    if (p.includes('.')) {
      for (const [d, brand] of idx.pathDomains) {
        const at = p.indexOf(d);
        if (at < 0) continue;
        const before = at === 0 ? 47 : p.charCodeAt(at - 1);
        const after = at + d.length < p.length ? p.charCodeAt(at + d.length) : 47;
        const edge = (c: number) => !((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46);
        if (edge(before) && edge(after)) {
          const t = idx.targets.find((x) => x.domain === domainOf(d, idx)) ?? null;
          return {
            rule: 'brand-path',
            brand,
            label: d,
            target: t ? t.text : d,
            official: d,
            positions: [at],
          };
        }
      }
    }
  }
  return null;
}

function domainOf(d: string, idx: BrandIndex): string | undefined {
  for (const t of idx.targets)
    if (t.domain && (d === t.domain || d.endsWith(`.${t.domain}`))) return t.domain;
  return undefined;
}
