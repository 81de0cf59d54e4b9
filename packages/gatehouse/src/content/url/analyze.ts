/**
 * The entry points: analyzeUrl (one link) and analyzeText (every link in a message). Pure and
 * synchronous; never throws. Verdicts: blocked (operator blocklist) > lookalike (imitates a protected
 * brand) > suspicious (risk signals add up to ctx.suspiciousAt) > clean.
 */
import type { BrandIndex } from './brands.ts';
import { isMixedScript, scriptsOf } from './confusables.ts';
import { HOSTING, SHORTENERS } from './data.ts';
import type { HostingKind } from './data.ts';
import { domainInfo, hostSuffixes } from './domain.ts';
import type { DomainInfo } from './domain.ts';
import { matchList } from './lists.ts';
import type { DomainList } from './lists.ts';
import { lureWordsIn, RISKY_TLDS } from './fuzzy.ts';
import { countryDomainBrand, detectLookalike, officialBrand } from './lookalike.ts';
import type { LookalikeMatch } from './lookalike.ts';
import { lookalikeReason, reason } from './messages.ts';
import type { Reason } from './messages.ts';
import { HIDING_FLAGS, flagNames } from './normalize.ts';
import type { ObfuscationFlag } from './normalize.ts';
import { extractUrls, parseUrl } from './parse.ts';
import { userContentPage } from './user-content.ts';
import type { ExtractOptions, ParsedUrl } from './parse.ts';

export type Verdict = 'blocked' | 'lookalike' | 'suspicious' | 'clean';

export interface UrlContext {
  /** compiled protected brands (compileBrands / loadBrands / watchBrands().current()) */
  brands?: BrandIndex | null;
  /** operator blocklist: a match gives verdict "blocked" */
  block?: DomainList | null;
  /** operator allowlist: a match gives verdict "clean" and beats lookalike verdicts */
  allow?: DomainList | null;
  /** when a registered domain (or bare IP) was first seen on the platform, epoch ms; undefined = never */
  firstSeen?: ((domain: string) => number | undefined) | ReadonlyMap<string, number>;
  /** "now" for firstSeen, epoch ms (default Date.now()) */
  now?: number;
  /** a domain first seen less than this long ago is "new" (default 7 days) */
  newDomainMs?: number;
  /** score from which a URL is "suspicious" (default 40) */
  suspiciousAt?: number;
}

export interface UrlAnalysis {
  /** the de-obfuscated URL */
  url: string;
  /** lower-case ASCII host ('' when none or invalid) */
  host: string;
  registeredDomain: string | null;
  /**
   * A page anyone may publish on a shared platform (a form, a document, a file share): the platform host
   * and the page's path (user-content.ts). Its author, not the domain's owner, controls it.
   */
  site?: string;
  verdict: Verdict;
  /** the protected brand a lookalike imitates */
  brand?: string;
  lookalike?: LookalikeMatch;
  reasons: Reason[];
  /** 0–100: the sum of the reasons' weights, capped */
  score: number;
}

const DAY = 86_400_000;
const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21, ftps: 990 };

type Listed = { kind: HostingKind | 'shortener'; suffix: string };
const LISTED = new Map<string, Listed>();
for (const [d, kind] of HOSTING) LISTED.set(d, { kind, suffix: d });
for (const d of SHORTENERS) LISTED.set(d, { kind: 'shortener', suffix: d });

function listed(suffixes: readonly string[]): Listed | undefined {
  for (const h of suffixes) {
    const l = LISTED.get(h);
    if (l) return l;
  }
  return undefined;
}

/**
 * A listed host is shared by everyone who publishes on it: the site of one of its links is the tenant's
 * host (`photos.000webhostapp.com`, a bucket's host), a path-style bucket (`storage…/<bucket>`) or a
 * short link's code (`t.cn/A6hK2mQ9`) — not the service, which an owner and an intruder may both have
 * linked. A free TLD's domains are their registrants' already.
 */
function tenantSite(l: Listed, host: string, path: string): string | undefined {
  // an IPFS gateway's path names the content after /ipfs/ or /ipns/
  const seg = /^\/((?:ip[fn]s\/)?[\w.-]{2,64})/.exec(path)?.[1];
  if (l.kind === 'free-tld') return undefined;
  const bare = host.startsWith('www.') ? host.slice(4) : host;
  if (l.kind !== 'shortener' && bare !== l.suffix) return bare;
  return seg !== undefined ? `${bare}/${seg}` : undefined;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return false;
  return true;
}

/** Analyses one parsed URL. */
export function analyzeParsed(p: ParsedUrl, ctx: UrlContext = {}): UrlAnalysis {
  const reasons: Reason[] = [];
  const host = p.host;
  let info: DomainInfo | null = null;
  let registered: string | null = null;
  if (p.hostKind === 'domain' && host !== '') {
    info = domainInfo(host);
    registered = info.registeredDomain;
  } else if (p.hostKind === 'ipv4' || p.hostKind === 'ipv6') registered = p.ip;

  if (p.hostKind === 'none') reasons.push(reason('url.dangerous-scheme', { scheme: p.scheme }));
  else if (p.problem !== null) reasons.push(reason('url.malformed', { problem: p.problem }));

  const suffixes = host === '' ? [] : hostSuffixes(host);
  const blocked = ctx.block ? matchList(ctx.block, host, p.url, suffixes) : null;
  const allowed = !blocked && ctx.allow ? matchList(ctx.allow, host, p.url, suffixes) : null;
  const brands = ctx.brands ?? null;
  const official = brands && host !== '' ? officialBrand(host, brands, suffixes) : undefined;
  // a page anyone may publish on a shared platform is not the brand's word, on the brand's own domain too
  const page =
    p.hostKind === 'domain' && host !== '' ? userContentPage(host, p.path, brands?.userContent) : undefined;
  const trusted = official !== undefined && page === undefined;
  if (blocked)
    reasons.push(reason('url.blocked', { entry: blocked.entry, match: blocked.match, list: blocked.source }));
  if (allowed)
    reasons.push(
      reason('url.allowlisted', { entry: allowed.entry, match: allowed.match, list: allowed.source }),
    );
  if (trusted) reasons.push(reason('url.official', { brand: official }));
  if (page) reasons.push(reason('url.user-content', { platform: page.platform, site: page.site }));
  const country =
    official === undefined && !allowed && brands && info ? countryDomainBrand(info, brands) : undefined;
  if (country !== undefined)
    reasons.push(reason('url.brand-country', { brand: country, suffix: info!.publicSuffix }));

  let look: LookalikeMatch | null = null;
  const lures = info && !trusted && !allowed ? lureWordsIn(host, p.path) : [];
  if (!allowed && official === undefined && brands && info) {
    look = detectLookalike(info, brands, p.path, suffixes, lures);
    if (look) reasons.push(lookalikeReason(look));
  }

  // risk signals
  if (p.hostKind === 'ipv4' || p.hostKind === 'ipv6')
    reasons.push(reason('url.ip-host', { ip: p.ip, form: p.hostKind === 'ipv6' ? 'ipv6' : p.ipv4Form }));
  if (p.port !== null && p.port !== DEFAULT_PORTS[p.scheme])
    reasons.push(reason('url.port', { port: p.port }));
  if (p.userinfo !== null) {
    const ui = p.userinfo.slice(0, 200);
    let deceptive = false;
    let userinfoBrand: string | undefined;
    if (ui.includes('.')) {
      const uh = ui.split(':')[0]!.toLowerCase();
      const ui2 = domainInfo(uh);
      deceptive = ui2.registeredDomain !== null && ui2.knownSuffix;
      const b = brands && deceptive ? officialBrand(ui2.host, brands) : undefined;
      if (b !== undefined) userinfoBrand = b;
    } else if (brands) deceptive = brands.byText.has(ui.toLowerCase());
    reasons.push(
      reason(
        'url.userinfo',
        userinfoBrand
          ? { userinfo: ui, host, deceptive, brand: userinfoBrand }
          : { userinfo: ui, host, deceptive },
      ),
    );
  }
  /** a listed host's tenant, or a short link's code: the link's site (tenantSite) */
  let tenant: string | undefined;
  if (info) {
    if (info.subdomain !== '') {
      let levels = 1;
      for (let i = 0; i < info.subdomain.length; i++) if (info.subdomain.charCodeAt(i) === 46) levels++;
      if (info.subdomain.startsWith('www.')) levels--;
      if (levels >= 4) reasons.push(reason('url.many-subdomains', { levels }));
    }
    const l = listed(suffixes);
    if (l) {
      reasons.push(
        reason(`url.${l.kind}`, l.kind === 'shortener' ? { service: l.suffix } : { suffix: l.suffix }),
      );
      tenant = tenantSite(l, host, p.path);
    }
    if (!info.knownSuffix)
      reasons.push(reason('url.unknown-suffix', { suffix: host.slice(host.lastIndexOf('.') + 1) }));
    if (host.includes('xn--')) {
      reasons.push(reason('url.punycode', { ascii: host, unicode: info.unicode }));
      if (!isAscii(info.unicode)) {
        const scripts = scriptsOf(info.unicode);
        if (isMixedScript(scripts)) reasons.push(reason('url.mixed-script', { scripts }));
      }
    }
  }
  if (info && !trusted && !allowed) {
    if (lures.length > 0) reasons.push(reason('url.lure', { words: lures }));
    const tld = host.slice(host.lastIndexOf('.') + 1);
    if (RISKY_TLDS.has(tld)) reasons.push(reason('url.tld-risk', { tld }));
  }
  const hiding = p.flagBits & HIDING_FLAGS;
  if (hiding) reasons.push(reason('url.obfuscated', { flags: flagNames(hiding) }));
  if (ctx.firstSeen && registered !== null && official === undefined && !allowed) {
    const fs = ctx.firstSeen;
    let t: number | undefined;
    let ok = true;
    try {
      t = typeof fs === 'function' ? fs(registered) : fs.get(registered);
    } catch {
      ok = false; // the caller's lookup failed: no first-seen signal
    }
    if (ok && t === undefined) reasons.push(reason('url.domain-unseen', { domain: registered }));
    else if (ok && typeof t === 'number' && Number.isFinite(t)) {
      const age = (ctx.now ?? Date.now()) - t;
      if (age < (ctx.newDomainMs ?? 7 * DAY))
        reasons.push(
          reason('url.domain-new', {
            domain: registered,
            firstSeen: t,
            ageHours: Math.max(0, Math.round(age / 3_600_000)),
          }),
        );
    }
  }

  let score = 0;
  for (const r of reasons) score += r.weight;
  score = Math.min(100, score);
  let verdict: Verdict;
  if (blocked) {
    verdict = 'blocked';
    score = 100;
  } else if (allowed || trusted) {
    verdict = 'clean';
    score = 0;
  } else if (look) verdict = 'lookalike';
  else verdict = score >= (ctx.suspiciousAt ?? 40) ? 'suspicious' : 'clean';
  const out: UrlAnalysis = { url: p.url, host, registeredDomain: registered, verdict, reasons, score };
  if (page) out.site = page.site;
  else if (tenant !== undefined) out.site = tenant;
  if (look) {
    out.brand = look.brand;
    out.lookalike = look;
  }
  return out;
}

function failed(input: unknown, e: unknown): UrlAnalysis {
  return {
    url: typeof input === 'string' ? input.slice(0, 2048) : '',
    host: '',
    registeredDomain: null,
    verdict: 'suspicious',
    reasons: [reason('url.malformed', { problem: 'internal-error', detail: String(e).slice(0, 200) })],
    score: 20,
  };
}

/** Analyses one URL (a scheme is optional; obfuscated forms are undone). Never throws. */
export function analyzeUrl(url: string, ctx: UrlContext = {}): UrlAnalysis {
  try {
    return analyzeParsed(parseUrl(typeof url === 'string' ? url : String(url)), ctx);
  } catch (e) {
    return failed(url, e);
  }
}

export interface TextUrlAnalysis extends UrlAnalysis {
  /** span in the original text */
  start: number;
  end: number;
  raw: string;
  flags: ObfuscationFlag[];
}

export interface TextAnalysis {
  urls: TextUrlAnalysis[];
  /** the worst verdict of the links (clean when there are none) */
  verdict: Verdict;
  /** the highest link score */
  score: number;
  /** the scan stopped early (text longer than maxScan, or more than maxUrls links) */
  truncated: boolean;
  reasons: Reason[];
}

const RANK: Record<Verdict, number> = { clean: 0, suspicious: 1, lookalike: 2, blocked: 3 };

/** Extracts and analyses every link in a text. Never throws. */
export function analyzeText(text: string, ctx: UrlContext = {}, opts: ExtractOptions = {}): TextAnalysis {
  try {
    const ex = extractUrls(typeof text === 'string' ? text : String(text), opts);
    let verdict: Verdict = 'clean';
    let score = 0;
    const urls: TextUrlAnalysis[] = [];
    for (const u of ex.urls) {
      const a = analyzeParsed(u.parsed, ctx);
      urls.push({ ...a, start: u.start, end: u.end, raw: u.raw, flags: u.flags });
      if (RANK[a.verdict] > RANK[verdict]) verdict = a.verdict;
      if (a.score > score) score = a.score;
    }
    const reasons = ex.truncated
      ? [reason('text.truncated', { scanned: ex.scanned, urls: urls.length })]
      : [];
    return { urls, verdict, score, truncated: ex.truncated, reasons };
  } catch (e) {
    return { urls: [], verdict: 'suspicious', score: 20, truncated: true, reasons: failed(text, e).reasons };
  }
}
