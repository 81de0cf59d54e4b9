/**
 * Host names: IDN conversion both ways, registered domain by the Public Suffix List (tldts), and IP
 * literals in every form a browser accepts (dotted, decimal, hex, octal, short; IPv6 in brackets).
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { parse as tldParse } from 'tldts';

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 128) return false;
  return true;
}

/** Unicode (or mixed) host → lower-case ASCII (xn-- labels). Returns '' when the name is not a valid IDN. */
export function toAscii(host: string): string {
  if (isAscii(host)) return host.toLowerCase();
  try {
    return domainToASCII(host);
  } catch {
    return '';
  }
}

/** ASCII host with xn-- labels → Unicode form for display and skeletons. Invalid punycode stays as it is. */
export function toUnicode(host: string): string {
  if (!host.includes('xn--')) return host;
  try {
    const u = domainToUnicode(host);
    return u === '' ? host : u;
  } catch {
    return host;
  }
}

export interface DomainInfo {
  /** lower-case ASCII host */
  host: string;
  /** Unicode form of the host (differs when it has xn-- labels) */
  unicode: string;
  /** registered (registrable) domain by the full Public Suffix List, private section included; null for bare suffixes */
  registeredDomain: string | null;
  publicSuffix: string | null;
  /** true when the suffix comes from the ICANN section of the list (false: private section such as github.io) */
  icann: boolean;
  /** true when the suffix is listed at all (false: an unknown TLD matched only by the "*" rule) */
  knownSuffix: boolean;
  /** registrable label: "discord" for "cdn.discord.com" */
  label: string | null;
  /** everything left of the registered domain ("" when none) */
  subdomain: string;
}

const TLD_OPTS = {
  allowPrivateDomains: true,
  extractHostname: false,
  detectIp: false,
  validateHostname: false,
};

/** PSL facts about an ASCII host name (use toAscii first for Unicode input). */
export function domainInfo(host: string): DomainInfo {
  const h = host.endsWith('.') ? host.slice(0, -1) : host;
  const r = tldParse(h, TLD_OPTS);
  return {
    host: h,
    unicode: toUnicode(h),
    registeredDomain: r.domain,
    publicSuffix: r.publicSuffix,
    icann: r.isIcann === true,
    knownSuffix: r.isIcann === true || r.isPrivate === true,
    label: r.domainWithoutSuffix,
    subdomain: r.subdomain ?? '',
  };
}

/** Registered domain of a host by the Public Suffix List (Unicode input allowed), or null. */
export function registeredDomain(host: string): string | null {
  const a = toAscii(host);
  return a === '' ? null : domainInfo(a).registeredDomain;
}

export type Ipv4Form = 'dotted' | 'decimal' | 'hex' | 'octal' | 'short' | 'mixed';

export interface Ipv4 {
  /** canonical dotted quad */
  ip: string;
  form: Ipv4Form;
}

/**
 * Parses an IPv4 host the way WHATWG URL does (1–4 parts, each decimal, 0x-hex or 0-octal; the last part
 * fills the remaining bytes). Returns null when it is not a number-only host, 'invalid' when it is
 * number-like but out of range.
 */
export function parseIpv4(host: string): Ipv4 | null | 'invalid' {
  if (host.length === 0 || host.length > 64) return null;
  const h = host.endsWith('.') ? host.slice(0, -1) : host;
  // fast exit: the last label must start with a digit to be a number
  const c0 = h.charCodeAt(h.lastIndexOf('.') + 1);
  if (!(c0 >= 48 && c0 <= 57)) return null;
  const parts = h.split('.');
  const last = parts[parts.length - 1]!;
  if (!/^(?:0x[0-9a-f]*|[0-9]+)$/i.test(last)) return null;
  if (parts.length > 4) return 'invalid';
  const nums: number[] = [];
  let hex = false;
  let octal = false;
  let plain = true;
  for (const p of parts) {
    let v: number;
    if (/^0x[0-9a-f]*$/i.test(p)) {
      v = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
      hex = true;
      plain = false;
    } else if (/^0[0-7]+$/.test(p)) {
      v = parseInt(p.slice(1), 8);
      octal = true;
      plain = false;
    } else if (/^[0-9]+$/.test(p)) {
      if (p.length > 1 && p[0] === '0') return 'invalid';
      v = Number(p);
    } else return parts.length === 1 ? null : 'invalid';
    if (!Number.isFinite(v) || p.length > 12) return 'invalid';
    nums.push(v);
  }
  const n = nums.length;
  for (let i = 0; i < n - 1; i++) if (nums[i]! > 255) return 'invalid';
  if (nums[n - 1]! >= 256 ** (5 - n)) return 'invalid';
  let value = nums[n - 1]!;
  for (let i = 0; i < n - 1; i++) value += nums[i]! * 256 ** (3 - i);
  const ip = [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
  const form: Ipv4Form =
    hex && octal
      ? 'mixed'
      : hex
        ? 'hex'
        : octal
          ? 'octal'
          : n === 1 && plain
            ? 'decimal'
            : n < 4
              ? 'short'
              : 'dotted';
  return { ip, form };
}

/** A bracketed IPv6 literal ("[::1]") → its text without brackets, or null. Loose check, no backtracking. */
export function parseIpv6(host: string): string | null {
  if (host.length < 4 || host.length > 64 || host[0] !== '[' || host[host.length - 1] !== ']') return null;
  const inner = host.slice(1, -1).toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(inner) || !inner.includes(':')) return null;
  if (inner.split('::').length > 2) return null;
  return inner;
}

/** Host label syntax check for ASCII names (LDH, 1–63 chars each, total ≤ 253). */
export function validHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  let labelLen = 0;
  let prev = 46;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (c === 46) {
      if (labelLen === 0 || prev === 45) return false;
      labelLen = 0;
    } else {
      const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95;
      if (!ok) return false;
      if (labelLen === 0 && c === 45) return false;
      if (++labelLen > 63) return false;
    }
    prev = c;
  }
  return prev !== 45;
}

/** The host and each parent domain, longest first: "a.b.com" → ["a.b.com", "b.com", "com"]. */
export function hostSuffixes(host: string): string[] {
  const out = [host];
  let i = host.indexOf('.');
  while (i >= 0 && out.length < 128) {
    out.push(host.slice(i + 1));
    i = host.indexOf('.', i + 1);
  }
  return out;
}
