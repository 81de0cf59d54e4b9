/**
 * Lookalike evaluation on public lists that are not in this repository (dev dependencies, never
 * shipped): `npm run eval:lookalike [-- --json]`.
 *
 * - Phishing: the blocklist of `eth-phishing-detect` (MetaMask's list of crypto phishing domains), with
 *   its own `fuzzylist` (the sites those domains imitate) as the protected brands, plus the example
 *   brands file. "Brand phishing" is the subset whose label (hyphens and digits dropped) contains a
 *   fuzzylist label or is within Levenshtein 2 of one — a labeller that is not ours. The rest of the
 *   list (airdrops, fake dapps of brands nobody listed) is reported as "all".
 * - Benign: the dataset's top-50 sites and 48 dapp sites ("popular"); its allowlist (1,138 real sites,
 *   most added there because they resemble a brand: "near-brand", a deliberately hard set); and the 120k
 *   domains of `disposable-email-domains` (throwaway mail hosts: the long tail).
 * - Own popular list: testdata/popular-benign.txt (1,089 domains written by hand for this project:
 *   worldwide and Chinese sites, big brands' country sites), all of it (not split), reported as "ours".
 * - Split: a domain is on the test side when FNV-1a(domain) is odd; rules were developed on the even
 *   side only. Figures are for the test side.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyzeUrl, type UrlContext } from './analyze.ts';
import { compileBrands, parseBrandsText, type Brand } from './brands.ts';
import { domainInfo } from './domain.ts';

const require = createRequire(import.meta.url);

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function lev(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = t;
    }
  }
  return prev[b.length]!;
}

export interface LookalikeEval {
  side: 'dev' | 'test';
  brandPhishing: { n: number; caught: number; lookalike: number; recall: number };
  allPhishing: { n: number; caught: number; lookalike: number; recall: number };
  popularBenign: { n: number; flagged: number; lookalike: number; rate: number };
  nearBrandBenign: { n: number; flagged: number; lookalike: number; rate: number };
  longTailBenign: { n: number; flagged: number; lookalike: number; rate: number };
  ownPopularBenign: { n: number; flagged: number; lookalike: number; rate: number; sample: string[] };
  domainsPerSecond: number;
  missesSample: string[];
}

export function evalLookalikes(side: 'dev' | 'test' = 'test'): LookalikeEval {
  const cfg = require('eth-phishing-detect/src/config.json') as {
    fuzzylist: string[];
    whitelist: string[];
    blacklist: string[];
  };
  const alexa = require('eth-phishing-detect/test/alexa.json') as string[];
  const dapps = require('eth-phishing-detect/test/dapps.json') as string[];
  const disposable = require('disposable-email-domains') as string[];
  const example = parseBrandsText(
    readFileSync(fileURLToPath(new URL('../../../config/brands.example.json', import.meta.url)), 'utf8'),
  );
  const brands: Brand[] = [...example];
  const taken = new Set(brands.flatMap((b) => b.domains));
  const fuzzLabels: string[] = [];
  for (const d of cfg.fuzzylist) {
    const info = domainInfo(d);
    if (!info.registeredDomain || !info.label || taken.has(info.registeredDomain)) continue;
    taken.add(info.registeredDomain);
    fuzzLabels.push(info.label);
    brands.push({ name: info.label, domains: [info.registeredDomain], keywords: [] });
  }
  const ctx: UrlContext = { brands: compileBrands(brands) };
  const onSide = (d: string) => (fnv(d) & 1) === (side === 'test' ? 1 : 0);
  const isBrandPhish = (d: string) => {
    const label = domainInfo(d).label ?? '';
    const bare = label.replace(/[-0-9]/g, '');
    return fuzzLabels.some((f) => bare.includes(f) || (bare.length >= 4 && lev(bare, f) <= 2));
  };
  const verdictOf = (d: string) => analyzeUrl(d, ctx).verdict;
  const t0 = performance.now();
  let analysed = 0;
  const brandP = { n: 0, caught: 0, lookalike: 0, recall: 0 };
  const allP = { n: 0, caught: 0, lookalike: 0, recall: 0 };
  const misses: string[] = [];
  const official = new Set(cfg.whitelist.map((d) => d.toLowerCase()));
  for (const raw of cfg.blacklist) {
    const d = raw.toLowerCase();
    if (!onSide(d) || official.has(d)) continue;
    const v = verdictOf(d);
    analysed++;
    const hit = v !== 'clean';
    const bp = isBrandPhish(d);
    for (const s of bp ? [brandP, allP] : [allP]) {
      s.n++;
      if (hit) s.caught++;
      if (v === 'lookalike') s.lookalike++;
    }
    if (bp && !hit && misses.length < 40) misses.push(d);
  }
  brandP.recall = brandP.caught / Math.max(1, brandP.n);
  allP.recall = allP.caught / Math.max(1, allP.n);
  const benign = (list: Iterable<string>) => {
    const s = { n: 0, flagged: 0, lookalike: 0, rate: 0 };
    for (const raw of list) {
      const d = raw.toLowerCase();
      if (!onSide(d)) continue;
      const v = verdictOf(d);
      analysed++;
      s.n++;
      if (v === 'lookalike') s.lookalike++;
      if (v !== 'clean') s.flagged++;
    }
    s.rate = s.flagged / Math.max(1, s.n);
    return s;
  };
  const popular = benign(new Set([...alexa, ...dapps]));
  const nearBrand = benign(new Set(cfg.whitelist));
  const tail = benign(new Set(disposable));
  const own = { n: 0, flagged: 0, lookalike: 0, rate: 0, sample: [] as string[] };
  for (const d of readFileSync(
    fileURLToPath(new URL('./testdata/popular-benign.txt', import.meta.url)),
    'utf8',
  )
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .flatMap((l) => l.split(/\s+/))
    .filter((x) => x.length > 0)) {
    const v = verdictOf(d);
    analysed++;
    own.n++;
    if (v === 'lookalike') own.lookalike++;
    if (v !== 'clean') {
      own.flagged++;
      if (own.sample.length < 20) own.sample.push(d);
    }
  }
  own.rate = own.flagged / Math.max(1, own.n);
  const secs = (performance.now() - t0) / 1000;
  return {
    side,
    brandPhishing: brandP,
    allPhishing: allP,
    popularBenign: popular,
    nearBrandBenign: nearBrand,
    longTailBenign: tail,
    ownPopularBenign: own,
    domainsPerSecond: Math.round(analysed / secs),
    missesSample: misses,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const side = process.argv.includes('--dev') ? 'dev' : 'test';
  const r = evalLookalikes(side);
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
  else {
    const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
    console.log(`side: ${r.side}`);
    console.log(
      `brand phishing: ${r.brandPhishing.caught}/${r.brandPhishing.n} caught (${pct(r.brandPhishing.recall)}), lookalike ${r.brandPhishing.lookalike}`,
    );
    console.log(
      `all phishing:   ${r.allPhishing.caught}/${r.allPhishing.n} caught (${pct(r.allPhishing.recall)}), lookalike ${r.allPhishing.lookalike}`,
    );
    console.log(
      `popular benign: ${r.popularBenign.flagged}/${r.popularBenign.n} flagged (${pct(r.popularBenign.rate)}), lookalike ${r.popularBenign.lookalike}`,
    );
    console.log(
      `near-brand benign: ${r.nearBrandBenign.flagged}/${r.nearBrandBenign.n} flagged (${pct(r.nearBrandBenign.rate)}), lookalike ${r.nearBrandBenign.lookalike}`,
    );
    console.log(
      `long-tail benign: ${r.longTailBenign.flagged}/${r.longTailBenign.n} flagged (${pct(r.longTailBenign.rate)}), lookalike ${r.longTailBenign.lookalike}`,
    );
    console.log(
      `own popular benign: ${r.ownPopularBenign.flagged}/${r.ownPopularBenign.n} flagged (${pct(r.ownPopularBenign.rate)}), lookalike ${r.ownPopularBenign.lookalike} ${r.ownPopularBenign.sample.join(' ')}`,
    );
    console.log(`${r.domainsPerSecond} domains/s`);
    if (side === 'dev') console.log(`misses: ${r.missesSample.join(' ')}`);
  }
}
