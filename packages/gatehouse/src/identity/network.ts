import ipaddr from 'ipaddr.js';

/**
 * Addresses as Gatehouse reasons about them: a sign-in's "network" is its IPv4 /24 or IPv6 /64 (the
 * block one household, office or mobile cell usually shares), IPv4-mapped IPv6 addresses count as IPv4,
 * and anything unparseable is its own network.
 */

/** The address in canonical form (IPv4-mapped IPv6 → IPv4), or undefined when it is not an IP address. */
export function canonicalIp(text: string): string | undefined {
  // the common case, a dotted quad in its canonical form, needs no parser
  if (DOTTED_QUAD.test(text)) return text;
  const t = text.trim();
  if (!ipaddr.isValid(t)) return undefined;
  const a = ipaddr.parse(t);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress())
    return (a as ipaddr.IPv6).toIPv4Address().toString();
  return a.toString();
}

/** A canonical IPv4 address: four decimal octets 0-255 without leading zeros (ipaddr.js reads "010" as octal). */
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The network an address belongs to: "203.0.113.0/24", "2001:db8:1:2::/64". */
export function networkOf(ip: string): string {
  if (DOTTED_QUAD.test(ip)) return `${ip.slice(0, ip.lastIndexOf('.'))}.0/24`;
  const c = canonicalIp(ip);
  if (!c) return `raw:${ip.slice(0, 64)}`;
  const a = ipaddr.parse(c);
  if (a.kind() === 'ipv4') {
    const b = (a as ipaddr.IPv4).octets;
    return `${b[0]}.${b[1]}.${b[2]}.0/24`;
  }
  const parts = (a as ipaddr.IPv6).parts.slice(0, 4);
  return `${new ipaddr.IPv6([...parts, 0, 0, 0, 0]).toString()}/64`;
}

/** Parses a comma-separated CIDR list ("127.0.0.1/8, ::1/128, 10.0.0.0/8"); throws on a bad entry. */
export function parseCidrList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const entry = raw.includes('/') ? raw : `${raw}/${ipaddr.parse(raw).kind() === 'ipv4' ? 32 : 128}`;
    ipaddr.parseCIDR(entry);
    out.push(entry);
  }
  return out;
}

/**
 * The client address a platform back end forwarded (X-Forwarded-For): the right-most valid entry, the
 * one the forwarding hop itself added. Undefined when there is none.
 */
export function forwardedClient(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  const entries = value.split(',').map((s) => s.trim());
  for (let i = entries.length - 1; i >= 0; i--) {
    const c = canonicalIp(entries[i]!);
    if (c) return c;
  }
  return undefined;
}
