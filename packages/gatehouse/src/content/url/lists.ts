/**
 * Operator block- and allowlists. One entry a line:
 *   example.com            the domain and every subdomain
 *   *.example.com          the same (".example.com" too)
 *   =login.example.com     exactly this host
 *   https://example.com/x  URLs starting with this prefix (http or https alike)
 *   # comment              (also after an entry: "example.com  # why")
 * Matching is a few hash-set lookups walking up the host's labels.
 */
import { GatehouseError } from '../../errors/index.ts';
import { hostSuffixes, parseIpv4, toAscii, validHostname } from './domain.ts';
import { parseUrl } from './parse.ts';

export interface DomainList {
  source: string;
  domains: Set<string>;
  hosts: Set<string>;
  /** host → normalized URL prefixes on that host */
  prefixes: Map<string, string[]>;
  size: number;
}

export interface ListError {
  line: number;
  text: string;
  message: string;
}

export interface ListMatch {
  /** the list entry that matched, as normalized */
  entry: string;
  match: 'domain' | 'host' | 'prefix';
  source: string;
}

export function emptyList(source = 'list'): DomainList {
  return { source, domains: new Set(), hosts: new Set(), prefixes: new Map(), size: 0 };
}

function normHost(h: string): string | null {
  const a = toAscii(h.trim().toLowerCase().replace(/\.$/, ''));
  if (a === '') return null;
  const v4 = parseIpv4(a);
  if (v4 !== null && v4 !== 'invalid') return a;
  return validHostname(a) && a.includes('.') ? a : null;
}

/**
 * Parses list text. Bad lines are reported in `errors` and skipped; with `strict` the first bad line throws
 * GatehouseError DOMAIN_LIST_INVALID naming the line.
 */
export function parseDomainList(
  text: string,
  source = 'list',
  opts: { strict?: boolean } = {},
): { list: DomainList; errors: ListError[] } {
  const list = emptyList(source);
  const errors: ListError[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const hash = line.indexOf('#');
    if (hash === 0) continue;
    if (hash > 0 && /\s/.test(line[hash - 1]!)) line = line.slice(0, hash);
    line = line.trim();
    if (line === '') continue;
    const bad = (message: string) => {
      if (opts.strict)
        throw new GatehouseError(
          'DOMAIN_LIST_INVALID',
          `${source}:${i + 1}: ${message}: "${line.slice(0, 200)}"`,
          {
            extra: { source, line: i + 1 },
          },
        );
      errors.push({ line: i + 1, text: line.slice(0, 200), message });
    };
    if (line.includes('://')) {
      const p = parseUrl(line);
      if (p.problem !== null || p.host === '') {
        bad(`not a valid URL prefix (${p.problem ?? 'no host'})`);
        continue;
      }
      const prefix = withoutScheme(p.url);
      const arr = list.prefixes.get(p.host);
      if (arr) arr.push(prefix);
      else list.prefixes.set(p.host, [prefix]);
    } else if (line.startsWith('=')) {
      const h = normHost(line.slice(1));
      if (h === null) {
        bad('not a valid host name');
        continue;
      }
      list.hosts.add(h);
    } else {
      const h = normHost(line.startsWith('*.') ? line.slice(2) : line.startsWith('.') ? line.slice(1) : line);
      if (h === null) {
        bad('not a valid domain name');
        continue;
      }
      list.domains.add(h);
    }
    list.size++;
  }
  return { list, errors };
}

/** URL prefixes match whatever the scheme (http and https alike). */
function withoutScheme(url: string): string {
  const i = url.indexOf('://');
  return i >= 0 ? url.slice(i + 3) : url;
}

/** Does the host (lower-case ASCII) or URL match the list? `suffixes` = hostSuffixes(host), if at hand. */
export function matchList(
  list: DomainList,
  host: string,
  url?: string,
  suffixes?: readonly string[],
): ListMatch | null {
  if (host === '' || list.size === 0) return null;
  if (list.hosts.has(host)) return { entry: `=${host}`, match: 'host', source: list.source };
  if (url !== undefined && list.prefixes.size > 0) {
    const ps = list.prefixes.get(host);
    if (ps) {
      const u = withoutScheme(url);
      for (const p of ps) if (u.startsWith(p)) return { entry: p, match: 'prefix', source: list.source };
    }
  }
  if (list.domains.size > 0) {
    for (const h of suffixes ?? hostSuffixes(host))
      if (list.domains.has(h)) return { entry: h, match: 'domain', source: list.source };
  }
  return null;
}
