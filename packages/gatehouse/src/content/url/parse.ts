/**
 * URL parsing and extraction from free text. A hand-written linear scanner over the cleaned text (see
 * normalize.ts): every character is looked at a bounded number of times, so no input can make it slow.
 */
import { domainInfo, parseIpv4, parseIpv6, toAscii, toUnicode, validHostname } from './domain.ts';
import type { Ipv4Form } from './domain.ts';
import { isAsciiAlnum, isAuthorityChar, isHostChar, isPathEnd } from './chars.ts';
import {
  F_APP_LINK,
  F_DEFANGED,
  F_NO_SCHEME,
  F_REDIRECT,
  flagNames,
  HIDING_FLAGS,
  normalize,
} from './normalize.ts';
import type { ObfuscationFlag } from './normalize.ts';
import { APP_SCHEMES, embeddedUrls } from './deep-link.ts';

export type HostKind = 'domain' | 'ipv4' | 'ipv6' | 'none' | 'invalid';

export interface ParsedUrl {
  /** de-obfuscated URL with a scheme */
  url: string;
  /** lower-case scheme ("http" when none was written; "hxxp" is read as "http") */
  scheme: string;
  schemeGiven: boolean;
  userinfo: string | null;
  /** lower-case ASCII host ('' when there is none or it is invalid) */
  host: string;
  /** the host as written after cleaning (for error reports) */
  hostRaw: string;
  hostUnicode: string;
  hostKind: HostKind;
  /** canonical dotted quad for IPv4 hosts, text for IPv6 */
  ip: string | null;
  ipv4Form: Ipv4Form | null;
  port: number | null;
  /** path, query and fragment as written */
  path: string;
  /** obfuscation bits (normalize.ts F_*) */
  flagBits: number;
  /** why the URL is malformed, or null */
  problem: string | null;
}

export const MAX_HOST = 253;
export const MAX_URL = 8192;

const WEB_SCHEMES = new Map<string, [string, number]>([
  ['http', ['http', 0]],
  ['https', ['https', 0]],
  ['hxxp', ['http', F_DEFANGED]],
  ['hxxps', ['https', F_DEFANGED]],
  ['hxtp', ['http', F_DEFANGED]],
  ['hxtps', ['https', F_DEFANGED]],
  ['htp', ['http', F_DEFANGED]],
  ['htps', ['https', F_DEFANGED]],
  ['ttp', ['http', F_DEFANGED]],
  ['ttps', ['https', F_DEFANGED]],
  ['ftp', ['ftp', 0]],
  ['ftps', ['ftps', 0]],
  ['ws', ['ws', 0]],
  ['wss', ['wss', 0]],
]);
const SCRIPT_SCHEMES = new Set(['javascript', 'vbscript', 'data']);

/** Builds a ParsedUrl from its parts: splits userinfo and port, classifies the host. */
export function buildParsed(
  scheme: string,
  schemeGiven: boolean,
  authority: string,
  path: string,
  flagBits: number,
): ParsedUrl {
  let problem: string | null = null;
  let userinfo: string | null = null;
  let hostPort = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    userinfo = authority.slice(0, at);
    hostPort = authority.slice(at + 1);
  }
  let hostRaw = hostPort;
  let port: number | null = null;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    hostRaw = close < 0 ? hostPort : hostPort.slice(0, close + 1);
    const rest = close < 0 ? '' : hostPort.slice(close + 1);
    if (rest.startsWith(':') && rest.length > 1) port = portOf(rest.slice(1));
    else if (rest !== '') problem = 'bad-port';
  } else {
    const colon = hostPort.indexOf(':');
    if (colon >= 0) {
      hostRaw = hostPort.slice(0, colon);
      const p = hostPort.slice(colon + 1);
      if (p !== '') port = portOf(p);
    }
  }
  if (port === -1) {
    port = null;
    problem = 'bad-port';
  }
  let hostKind: HostKind = 'domain';
  let host = '';
  let hostUnicode = '';
  let ip: string | null = null;
  let ipv4Form: Ipv4Form | null = null;
  if (hostRaw.length > MAX_HOST) {
    hostKind = 'invalid';
    problem = 'host-too-long';
  } else if (hostRaw === '') {
    hostKind = 'invalid';
    problem = 'no-host';
  } else if (hostRaw.startsWith('[')) {
    const v6 = parseIpv6(hostRaw);
    if (v6 === null) {
      hostKind = 'invalid';
      problem = 'bad-ipv6';
    } else {
      hostKind = 'ipv6';
      host = hostUnicode = hostRaw.toLowerCase();
      ip = v6;
    }
  } else {
    let h = hostRaw.endsWith('.') ? hostRaw.slice(0, -1) : hostRaw;
    h = toAscii(h);
    const v4 = h === '' ? null : parseIpv4(h);
    if (v4 === 'invalid') {
      hostKind = 'invalid';
      problem = 'bad-ipv4';
    } else if (v4 !== null) {
      hostKind = 'ipv4';
      host = hostUnicode = h;
      ip = v4.ip;
      ipv4Form = v4.form;
    } else if (h === '' || !validHostname(h)) {
      hostKind = 'invalid';
      problem = 'bad-host';
    } else {
      host = h;
      hostUnicode = toUnicode(h);
    }
  }
  if (hostKind === 'invalid') host = hostUnicode = '';
  const shownHost = hostKind === 'invalid' ? hostRaw.slice(0, MAX_HOST) : host;
  const url =
    `${scheme}://${userinfo !== null ? `${userinfo}@` : ''}${shownHost}${port !== null ? `:${port}` : ''}` +
    (path.length > MAX_URL ? path.slice(0, MAX_URL) : path);
  return {
    url,
    scheme,
    schemeGiven,
    userinfo,
    host,
    hostRaw: hostRaw.length > MAX_HOST ? hostRaw.slice(0, MAX_HOST) : hostRaw,
    hostUnicode,
    hostKind,
    ip,
    ipv4Form,
    port,
    path,
    flagBits,
    problem,
  };
}

function portOf(p: string): number {
  if (p.length > 5 || !/^[0-9]+$/.test(p)) return -1;
  const n = Number(p);
  return n > 65535 ? -1 : n;
}

function scriptParsed(scheme: string, rest: string, flagBits: number): ParsedUrl {
  const body = rest.length > MAX_URL ? rest.slice(0, MAX_URL) : rest;
  return {
    url: `${scheme}:${body}`,
    scheme,
    schemeGiven: true,
    userinfo: null,
    host: '',
    hostRaw: '',
    hostUnicode: '',
    hostKind: 'none',
    ip: null,
    ipv4Form: null,
    port: null,
    path: body,
    flagBits,
    problem: null,
  };
}

/**
 * Parses one URL string as a whole (the argument of analyzeUrl): cleans obfuscation, accepts a missing
 * scheme, never throws. Unknown schemes and invalid hosts come back with `problem` set.
 */
export function parseUrl(input: string): ParsedUrl {
  const long = input.length > 65536;
  const n = normalize(long ? input.slice(0, 65536) : input);
  let s = n.text.trim();
  let bits = 0;
  if (n.flags) for (let i = 0; i < n.flags.length; i++) bits |= n.flags[i]!;
  // scheme
  let k = 0;
  while (k < s.length && k < 32) {
    const c = s.charCodeAt(k);
    if (isAsciiAlnum(c) || c === 43 || c === 45 || c === 46) k++;
    else break;
  }
  let scheme = 'http';
  let schemeGiven = false;
  if (k > 0 && s.charCodeAt(k) === 58) {
    const word = s.slice(0, k).toLowerCase();
    if (SCRIPT_SCHEMES.has(word)) return scriptParsed(word, s.slice(k + 1), bits);
    const web = WEB_SCHEMES.get(word);
    if (s.startsWith('//', k + 1)) {
      schemeGiven = true;
      if (web) {
        scheme = web[0];
        bits |= web[1];
      } else scheme = word;
      s = s.slice(k + 3);
    } else if (web) {
      // "http:qq.com"
      schemeGiven = true;
      scheme = web[0];
      bits |= web[1];
      s = s.slice(k + 1);
    }
  } else if (s.startsWith('//')) s = s.slice(2);
  if (!schemeGiven) bits |= F_NO_SCHEME;
  let a = 0;
  while (a < s.length) {
    const c = s.charCodeAt(a);
    if (c === 47 || c === 63 || c === 35 || c === 92) break;
    a++;
  }
  const p = buildParsed(scheme, schemeGiven, s.slice(0, a), s.slice(a), bits);
  if (long && p.problem === null) p.problem = 'too-long';
  if (p.problem === null && schemeGiven && !WEB_SCHEMES.has(scheme)) p.problem = 'unknown-scheme';
  if (p.problem === null && /\s/.test(s.slice(0, a))) p.problem = 'bad-host';
  return p;
}

export interface ExtractedUrl {
  /** span in the original text: [start, end) in UTF-16 code units */
  start: number;
  end: number;
  /** the original text of the span */
  raw: string;
  /** de-obfuscated URL (with a scheme) */
  url: string;
  /** which obfuscations were undone */
  flags: ObfuscationFlag[];
  parsed: ParsedUrl;
}

export interface ExtractOptions {
  /** scan at most this many characters of the text (default 1 Mi, the default request body limit) */
  maxScan?: number;
  /** stop after this many URLs (default 200) */
  maxUrls?: number;
}

export interface Extraction {
  urls: ExtractedUrl[];
  /** true when the text was longer than maxScan or had more than maxUrls links */
  truncated: boolean;
  /** characters of the original text that were scanned */
  scanned: number;
}

/** TLDs that are also common file extensions: a bare "notes.md" is read as a file name, not a link. */
const FILE_TLDS = new Set([
  'md',
  'py',
  'sh',
  'rs',
  'ts',
  'zip',
  'mov',
  'so',
  'pl',
  'cs',
  'js',
  'go',
  'kt',
  'ps',
  'do',
  'exe',
  'sql',
]);

/** A query value that is a web link (plain, percent-encoded, or base64: "aHR0c" is "http"). */
const REDIRECT_HINT = /=(?:https?(?::|%3a)|aHR0c)/i;

/**
 * A link carried in another link's query — a redirect or a link-out page (`google.com/url?q=<link>`,
 * `link.zhihu.com/?target=<link>`, QQ's `c.pc.qq.com/middlem.html?pfurl=<link>`) — is where the reader
 * lands: it is one of the message's links too, right after the one that carries it (flag `redirect`,
 * the carrier's span), whatever the carrier's domain.
 */
function withRedirectTargets(urls: ExtractedUrl[], maxUrls: number): ExtractedUrl[] {
  let out: ExtractedUrl[] | undefined;
  let added = 0;
  for (let j = 0; j < urls.length; j++) {
    const u = urls[j]!;
    if (out) out.push(u);
    if (u.parsed.hostKind === 'none' || !REDIRECT_HINT.test(u.parsed.path)) continue;
    for (const e of embeddedUrls(u.parsed.path)) {
      const p = parseUrl(e);
      if (p.hostKind === 'invalid' || p.hostKind === 'none' || p.url === u.url) continue;
      if (urls.length + added >= maxUrls) break;
      out ??= urls.slice(0, j + 1);
      added++;
      p.flagBits |= F_REDIRECT | (u.parsed.flagBits & HIDING_FLAGS);
      out.push({
        start: u.start,
        end: u.end,
        raw: u.raw,
        url: p.url,
        flags: flagNames(p.flagBits),
        parsed: p,
      });
    }
  }
  return out ?? urls;
}

/**
 * Finds links in free text: with a scheme, bare domains with a real public suffix ("qq-login.com/x"),
 * IPs with a port or path, javascript:/data: URLs, and all the obfuscated forms normalize.ts undoes.
 */
export function extractUrls(text: string, opts: ExtractOptions = {}): Extraction {
  const maxScan = opts.maxScan ?? 1 << 20;
  const maxUrls = opts.maxUrls ?? 200;
  const norm = normalize(text, maxScan);
  const s = norm.text;
  const n = s.length;
  const urls: ExtractedUrl[] = [];
  let truncated = norm.truncated;
  const orig = (k: number) => (norm.map ? norm.map[k]! : k);
  const bitsIn = (a: number, b: number) => {
    if (!norm.flags) return 0;
    let f = 0;
    for (let k = a; k < b; k++) f |= norm.flags[k]!;
    return f;
  };
  const push = (a: number, b: number, p: ParsedUrl) => {
    p.flagBits |= bitsIn(a, b);
    const start = orig(a);
    const end = orig(b);
    urls.push({
      start,
      end,
      raw: text.slice(start, end),
      url: p.url,
      flags: flagNames(p.flagBits),
      parsed: p,
    });
  };

  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (!isHostChar(c)) {
      i++;
      continue;
    }
    if (urls.length >= maxUrls) {
      truncated = true;
      break;
    }
    // scheme word?
    let k = i;
    while (k < n && k - i < 12 && isAsciiAlnum(s.charCodeAt(k))) k++;
    // "h**ps://x", "https//x", "https;//x": a scheme masked, or its separator broken, on purpose
    const d = defangedScheme(s, i, k);
    if (d) {
      const r = linkAfterScheme(s, d.at, d.scheme, d.bits);
      if (r.authEnd > d.at && r.p.hostKind !== 'invalid') {
        push(i, r.end, r.p);
        i = Math.max(r.end, k + 1);
        continue;
      }
    }
    if (k < n && s.charCodeAt(k) === 58 && k > i) {
      const word = s.slice(i, k).toLowerCase();
      const web = WEB_SCHEMES.get(word);
      if (web && s.startsWith('//', k + 1)) {
        const r = linkAfterScheme(s, k + 3, web[0], web[1]);
        push(i, r.end, r.p);
        i = Math.max(r.end, k + 1);
        continue;
      }
      if (
        APP_SCHEMES.has(word) &&
        s.startsWith('//', k + 1) &&
        (i === 0 || !isHostChar(s.charCodeAt(i - 1)))
      ) {
        // an app link: the web pages it carries are its links (deep-link.ts); the rest of it is no host
        const e = pathEnd(s, k + 1);
        for (const u of embeddedUrls(s.slice(i, e))) {
          const p = parseUrl(u);
          if (p.hostKind === 'invalid' || p.hostKind === 'none') continue;
          p.flagBits |= F_APP_LINK;
          push(i, e, p);
        }
        i = e;
        continue;
      }
      if (SCRIPT_SCHEMES.has(word) && (i === 0 || !isHostChar(s.charCodeAt(i - 1)))) {
        const ok =
          word === 'data' ? looksLikeDataUrl(s, k + 1) : k + 1 < n && !isPathEnd(s.charCodeAt(k + 1));
        if (ok) {
          const e = pathEnd(s, k + 1);
          push(i, e, scriptParsed(word, s.slice(k + 1, e), 0));
          i = e;
          continue;
        }
      }
    }
    // bare host: the run of host chars and dots
    let h = i;
    while (h < n && h - i <= 2048) {
      const c2 = s.charCodeAt(h);
      if (c2 === 46 || isHostChar(c2)) h++;
      else break;
    }
    const runEnd = h;
    while (h > i && (s.charCodeAt(h - 1) === 46 || s.charCodeAt(h - 1) === 45)) h--;
    const prevC = i > 0 ? s.charCodeAt(i - 1) : 0;
    const bare = bareHost(s, i, h, prevC);
    if (bare) {
      let e = h;
      let authEnd = h;
      // "steamcommunity.com@evil.ru/login": what stands before "@" is the user name of a link to the host
      // after it (where a browser goes), not a link of its own
      const target = s.charCodeAt(h) === 64 ? hostAfterAt(s, h + 1) : -1;
      if (target > 0) e = authEnd = target;
      // port
      if (e < n && s.charCodeAt(e) === 58) {
        let d = e + 1;
        while (d < n && d - e <= 6 && s.charCodeAt(d) >= 48 && s.charCodeAt(d) <= 57) d++;
        if (d > e + 1 && d - e <= 6 && (d >= n || !isHostChar(s.charCodeAt(d)))) e = authEnd = d;
      }
      const ip = bare === 'ip';
      if (e < n && s.charCodeAt(e) === 47) e = pathEnd(s, e);
      if (!ip || e > h) {
        const p = buildParsed('http', false, s.slice(i, authEnd), s.slice(authEnd, e), F_NO_SCHEME);
        if (p.hostKind !== 'invalid') {
          push(i, e, p);
          i = e;
          continue;
        }
      }
    }
    i = Math.max(runEnd, i + 1);
  }
  return {
    urls: withRedirectTargets(urls, maxUrls),
    truncated,
    scanned: norm.map ? norm.map[norm.map.length - 1]! : n,
  };
}

/**
 * The authority and path written from a0, after a scheme: the link's parse, where its authority ends
 * (trailing dots are the sentence's) and where the link ends.
 */
function linkAfterScheme(
  s: string,
  a0: number,
  scheme: string,
  bits: number,
): { p: ParsedUrl; authEnd: number; end: number } {
  const n = s.length;
  let a = a0;
  while (a < n && a - a0 <= 2048 && isAuthorityChar(s.charCodeAt(a))) a++;
  let authEnd = a;
  while (authEnd > a0 && s.charCodeAt(authEnd - 1) === 46) authEnd--;
  let end = authEnd;
  if (authEnd === a && a < n) {
    const c = s.charCodeAt(a);
    if (c === 47 || c === 63 || c === 35) end = pathEnd(s, a);
  }
  return { p: buildParsed(scheme, true, s.slice(a0, authEnd), s.slice(authEnd, end), bits), authEnd, end };
}

/**
 * A scheme written to dodge link filters at i (its word ends at k): masked, "h" + two masking characters
 * + "p" (+ "s") before a separator ("h**ps://", "h__p://", "h..ps//" — letters do not mask: hxxp is a
 * scheme word of its own), or a web scheme whose separator is broken ("https//", "https;//", "http:\\\\",
 * "https:/ /": no app makes such a link clickable, the reader is to type it). Read as a defanged scheme;
 * `at` is where the authority starts. Undefined when there is none.
 */
function defangedScheme(
  s: string,
  i: number,
  k: number,
): { scheme: string; bits: number; at: number } | undefined {
  if (i > 0 && isHostChar(s.charCodeAt(i - 1))) return undefined;
  const masks = (x: number) => x === 42 || x === 95 || x === 46 || x === 45 || x === 0x2022 || x === 0xb7;
  if (
    (s.charCodeAt(i) | 32) === 104 &&
    masks(s.charCodeAt(i + 1)) &&
    masks(s.charCodeAt(i + 2)) &&
    (s.charCodeAt(i + 3) | 32) === 112
  ) {
    const e = (s.charCodeAt(i + 4) | 32) === 115 ? i + 5 : i + 4;
    const sep = s.startsWith('://', e) ? 3 : brokenSeparator(s, e);
    return sep > 0 ? { scheme: e - i === 5 ? 'https' : 'http', bits: F_DEFANGED, at: e + sep } : undefined;
  }
  const web = k > i ? WEB_SCHEMES.get(s.slice(i, k).toLowerCase()) : undefined;
  const sep = web ? brokenSeparator(s, k) : 0;
  return web && sep > 0 ? { scheme: web[0], bits: web[1] | F_DEFANGED, at: k + sep } : undefined;
}

/** Length of a broken scheme separator at k ("//", ";//", ":\\\\", ":/ /"), 0 when none. */
function brokenSeparator(s: string, k: number): number {
  if (s.startsWith('//', k)) return 2;
  if (s.startsWith(';//', k) || s.startsWith(':\\\\', k)) return 3;
  if (s.startsWith(':/ /', k)) return 4;
  return 0;
}

/** End of a bare domain or dotted IPv4 written at k (right after an "@"), or -1. */
function hostAfterAt(s: string, k: number): number {
  let h = k;
  while (h < s.length && h - k <= MAX_HOST) {
    const c = s.charCodeAt(h);
    if (c === 46 || isHostChar(c)) h++;
    else break;
  }
  while (h > k && (s.charCodeAt(h - 1) === 46 || s.charCodeAt(h - 1) === 45)) h--;
  return bareHost(s, k, h, 0) ? h : -1;
}

/** Is s[a, b) a bare domain with a real public suffix (or a dotted IPv4)? */
function bareHost(s: string, a: number, b: number, prevC: number): false | 'domain' | 'ip' {
  if (b - a < 3 || b - a > MAX_HOST) return false;
  // an e-mail address or a path segment of something else
  if (prevC === 64 || prevC === 47 || prevC === 92 || prevC === 46) return false;
  const host = s.slice(a, b);
  const lastDot = host.lastIndexOf('.');
  if (lastDot <= 0) return false;
  const tld = host.slice(lastDot + 1);
  if (/^[0-9]+$/.test(tld)) {
    const v4 = parseIpv4(host);
    return v4 !== null && v4 !== 'invalid' && v4.form === 'dotted' ? 'ip' : false;
  }
  // a bare "Hello.World" is a sentence: the TLD as written must be all lower or all upper case
  if (tld !== tld.toLowerCase() && tld !== tld.toUpperCase()) return false;
  const ascii = toAscii(host);
  if (ascii === '' || !validHostname(ascii)) return false;
  const info = domainInfo(ascii);
  if (info.registeredDomain === null || !info.knownSuffix) return false;
  const asciiTld = ascii.slice(ascii.lastIndexOf('.') + 1);
  if (!info.icann && !ascii.includes('.', ascii.indexOf('.') + 1)) return false;
  if (FILE_TLDS.has(asciiTld) && !ascii.startsWith('www.') && s.charCodeAt(b) !== 47) return false;
  return 'domain';
}

function looksLikeDataUrl(s: string, k: number): boolean {
  // data:[mime/type][;params],…
  let j = k;
  while (j < s.length && j - k < 40) {
    const c = s.charCodeAt(j);
    if (
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      c === 47 ||
      c === 45 ||
      c === 43 ||
      c === 46 ||
      (c >= 48 && c <= 57)
    )
      j++;
    else break;
  }
  const mime = s.slice(k, j);
  const c = s.charCodeAt(j);
  return (mime === '' || mime.includes('/')) && (c === 44 || c === 59);
}

/** End of a path starting at k: up to whitespace/CJK/delimiters, minus trailing punctuation and unbalanced ')'. */
function pathEnd(s: string, k: number): number {
  let e = k;
  const n = s.length;
  let paren = 0; // '(' minus ')'
  let bracket = 0; // '[' minus ']'
  while (e < n && e - k < MAX_URL) {
    const c = s.charCodeAt(e);
    if (isPathEnd(c)) break;
    if (c === 40) paren++;
    else if (c === 41) paren--;
    else if (c === 91) bracket++;
    else if (c === 93) bracket--;
    e++;
  }
  while (e > k) {
    const c = s.charCodeAt(e - 1);
    if (c === 46 || c === 44 || c === 59 || c === 58 || c === 33 || c === 63 || c === 39 || c === 42) e--;
    else if (c === 41 && paren < 0) {
      paren++;
      e--;
    } else if (c === 93 && bracket < 0) {
      bracket++;
      e--;
    } else break;
  }
  return e;
}
