/**
 * Protected brands: the operator's JSON file, validated with zod, compiled once into indexes that make
 * lookalike checks cheap (by skeleton, by length, by exact text, and an Aho-Corasick automaton).
 */
import { z } from 'zod';
import { GatehouseError } from '../../errors/index.ts';
import { skeleton } from './confusables.ts';
import { DICTIONARY, TLD_WORDS } from './data.ts';
import { domainInfo, toAscii, validHostname } from './domain.ts';
import { Automaton } from './automaton.ts';
import { indexPlatforms, type Platform, type PlatformIndex } from './user-content.ts';

const KEYWORD = /^[a-z0-9-]{2,63}$/;
/** A group with a quantifier inside, itself quantified: "(a+)+", "(\\w*x)*", "([a-z]+){2,}". */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/;

export const BrandSchema = z
  .object({
    name: z.string().trim().min(1).max(64),
    domains: z.array(z.string().trim().min(1).max(253)).min(1).max(1000),
    keywords: z.array(z.string().trim().min(1).max(63)).max(1000).optional(),
    /**
     * Whether the brand's domain labels under a country suffix (google.de, google.co.jp) are its own
     * and never a lookalike (default true). Set false for a brand that runs no country sites (a game
     * platform, a wallet), so that discord.co.uk stays a lookalike: see README "Country domains".
     */
    countryDomains: z.boolean().optional(),
    /**
     * Pages anyone may publish on the brand's own hosts (a form builder, a mini-site, a group's invite):
     * never `url.official`, each page a site of its own (user-content.ts). `host` is one of the brand's
     * domains or a host under one (".example.com" for it and every tenant host under it); `page` a pattern
     * (JavaScript regular expression, anchored at the path's start) of the path that names one page.
     */
    userContent: z
      .array(
        z
          .object({
            host: z.string().trim().min(1).max(253),
            page: z.string().min(3).max(300),
            name: z.string().trim().min(1).max(64).optional(),
            /** a query parameter that names the page where the path does not (`?k=<group>`) */
            param: z
              .string()
              .regex(/^[\w.-]{1,32}$/)
              .optional(),
          })
          .strict(),
      )
      .max(100)
      .optional(),
  })
  .strict();

export const BrandsFileSchema = z.array(BrandSchema).max(10_000);

export type Brand = z.infer<typeof BrandSchema>;

export interface Target {
  brand: string;
  /** ASCII text matched in host labels: a brand domain's registrable label, or a keyword */
  text: string;
  kind: 'domain' | 'keyword';
  /** the brand domain this label comes from (domain targets) */
  domain: string | null;
  skel: string;
  len: number;
}

export interface BrandIndex {
  brands: readonly Brand[];
  /** official domain (ASCII) → brand name */
  official: Map<string, string>;
  targets: Target[];
  bySkeleton: Map<string, Target[]>;
  /** domain targets by length, for one-edit checks */
  byLength: Map<number, Target[]>;
  /** domain targets of 6+ characters by skeleton length, for one-edit checks after folding confusables */
  bySkeletonLength: Map<number, Target[]>;
  /** domain targets by exact text */
  byText: Map<string, Target[]>;
  /** targets' skeletons, for finding brands inside longer labels */
  automaton: Automaton<Target>;
  /** skeletons of dictionary words and TLD words */
  dictionary: Set<string>;
  tldWords: Set<string>;
  /** official domains in the form matched inside paths, longest first */
  pathDomains: Array<[string, string]>;
  /** registrable labels (4+ characters) of brands whose country domains are their own → brand */
  countryLabels: Map<string, string>;
  /** the brands' own pages anyone may publish (`userContent`), or undefined when none names any */
  userContent: PlatformIndex | undefined;
}

function fail(detail: string, extra?: Record<string, unknown>): never {
  throw new GatehouseError('BRANDS_INVALID', detail, extra ? { extra } : {});
}

/**
 * Validates a parsed brands file. Errors name the entry ("entry 2 (discord): domains[1] …").
 * Throws GatehouseError BRANDS_INVALID.
 */
export function parseBrands(json: unknown, source = 'brands'): Brand[] {
  const r = BrandsFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const [idx, ...rest] = issue.path;
    const entry = typeof idx === 'number' && Array.isArray(json) ? json[idx] : undefined;
    const name =
      entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string'
        ? ` (${(entry as { name: string }).name})`
        : '';
    const where = typeof idx === 'number' ? `entry ${idx}${name}: ${rest.join('.') || '(entry)'}` : '(file)';
    fail(`${source}: ${where}: ${issue.message}`, { source, path: issue.path.map(String) });
  }
  const seen = new Map<string, string>();
  r.data.forEach((b, i) => {
    b.domains.forEach((d, j) => {
      const a = toAscii(d.toLowerCase().replace(/\.$/, ''));
      if (a === '' || !validHostname(a) || domainInfo(a).registeredDomain === null)
        fail(`${source}: entry ${i} (${b.name}): domains[${j}] "${d}" is not a registrable domain name`);
      const other = seen.get(a);
      if (other !== undefined && other !== b.name)
        fail(`${source}: entry ${i} (${b.name}): domains[${j}] "${d}" already belongs to brand "${other}"`);
      seen.set(a, b.name);
    });
    (b.userContent ?? []).forEach((u, j) => {
      const at = `${source}: entry ${i} (${b.name}): userContent[${j}]`;
      const h = toAscii(u.host.toLowerCase().replace(/^\./, '').replace(/\.$/, ''));
      if (h === '' || !validHostname(h)) fail(`${at}: host "${u.host}" is not a host name`);
      const own = b.domains.some((d) => {
        const a = toAscii(d.toLowerCase().replace(/\.$/, ''));
        return h === a || h.endsWith(`.${a}`);
      });
      if (!own) fail(`${at}: host "${u.host}" is not one of the brand's domains or under one`);
      if (!u.page.startsWith('^/')) fail(`${at}: page "${u.page}" must start with ^/ (anchored at the path)`);
      try {
        new RegExp(u.page);
      } catch (e) {
        fail(`${at}: page "${u.page}" is not a valid pattern: ${(e as Error).message}`);
      }
      // the pattern runs on every link's path, which a stranger writes: a repeated group that repeats
      // inside ("(\\w+)+") can take exponential time on a crafted path
      if (NESTED_QUANTIFIER.test(u.page))
        fail(`${at}: page "${u.page}" repeats a group that repeats inside (slow on a crafted path)`);
    });
    (b.keywords ?? []).forEach((k, j) => {
      if (!KEYWORD.test(k.toLowerCase()))
        fail(
          `${source}: entry ${i} (${b.name}): keywords[${j}] "${k}" must be 2–63 ASCII letters, digits or hyphens (keywords are matched inside host names)`,
        );
    });
  });
  return r.data;
}

/** Parses and validates the text of a brands file. */
export function parseBrandsText(text: string, source = 'brands'): Brand[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  return parseBrands(json, source);
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

/** Builds the lookup indexes for a validated brand list. */
export function compileBrands(brands: readonly Brand[]): BrandIndex {
  const official = new Map<string, string>();
  const targets: Target[] = [];
  const byKey = new Map<string, Target>();
  const pathDomains: Array<[string, string]> = [];
  const countryLabels = new Map<string, string>();
  const platforms: Platform[] = [];
  const add = (brand: string, text: string, kind: 'domain' | 'keyword', domain: string | null) => {
    const prev = byKey.get(text);
    if (prev && (prev.kind === 'domain' || kind === 'keyword')) return;
    const t: Target = { brand, text, kind, domain, skel: skeleton(text), len: text.length };
    if (prev) targets.splice(targets.indexOf(prev), 1, t);
    else targets.push(t);
    byKey.set(text, t);
  };
  for (const b of brands) {
    for (const d of b.domains) {
      const a = toAscii(d.toLowerCase().replace(/\.$/, ''));
      official.set(a, b.name);
      pathDomains.push([a, b.name]);
      const info = domainInfo(a);
      if (info.label && info.registeredDomain) {
        const labelU = domainInfo(info.registeredDomain).unicode.split('.')[0]!;
        add(b.name, labelU === info.label ? info.label : labelU, 'domain', info.registeredDomain);
        if (b.countryDomains !== false && labelU === info.label && info.label.length >= 4)
          countryLabels.set(info.label, b.name);
      }
    }
    for (const k of b.keywords ?? []) add(b.name, k.toLowerCase(), 'keyword', null);
    for (const u of b.userContent ?? []) {
      const suffix = u.host.startsWith('.');
      const h = toAscii(u.host.toLowerCase().replace(/^\./, '').replace(/\.$/, ''));
      platforms.push({
        host: suffix ? `.${h}` : h,
        name: u.name ?? b.name,
        page: new RegExp(u.page),
        ...(u.param !== undefined ? { param: u.param } : {}),
      });
    }
  }
  const bySkeleton = new Map<string, Target[]>();
  const byLength = new Map<number, Target[]>();
  const bySkeletonLength = new Map<number, Target[]>();
  const byText = new Map<string, Target[]>();
  // longer targets first, so the most specific match wins
  targets.sort((x, y) => y.len - x.len || (x.kind === y.kind ? 0 : x.kind === 'domain' ? -1 : 1));
  for (const t of targets) {
    push(bySkeleton, t.skel, t);
    if (t.kind === 'domain') {
      push(byLength, t.len, t);
      if (t.len >= 6) push(bySkeletonLength, t.skel.length, t);
      push(byText, t.text, t);
      if (t.text.includes('-')) push(byText, t.text.replaceAll('-', ''), t);
    }
  }
  const automaton = new Automaton<Target>();
  for (const t of targets) if (t.skel.length >= 2) automaton.add(t.skel, t);
  automaton.build();
  pathDomains.sort((x, y) => y[0].length - x[0].length);
  return {
    brands,
    official,
    targets,
    bySkeleton,
    byLength,
    bySkeletonLength,
    byText,
    automaton,
    dictionary: new Set(DICTIONARY.map(skeleton)),
    tldWords: new Set(TLD_WORDS.map(skeleton)),
    pathDomains,
    countryLabels,
    userContent: platforms.length > 0 ? indexPlatforms(platforms) : undefined,
  };
}
