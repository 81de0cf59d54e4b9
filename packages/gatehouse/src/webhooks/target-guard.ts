import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { GatehouseError } from '../errors/index.ts';

/**
 * Where webhooks may go. An operator key with webhooks:write must not turn Gatehouse into a way into the
 * network it runs in (cloud metadata at 169.254.169.254, a database on 10.0.0.5, the admin port on
 * localhost) nor into a port scanner. Every target address is checked after resolution, at registration
 * and again at every connection, and the connection goes to exactly the address that was checked (a DNS
 * answer that changes between the check and the connect — DNS rebinding — gains nothing). Refused:
 * loopback, private (10/8, 172.16/12, 192.168/16), carrier-grade NAT (100.64/10, where some clouds put
 * their metadata), link-local (169.254/16, fe80::/10), unique-local (fc00::/7), multicast, broadcast,
 * unspecified and every reserved or special-purpose block; only global unicast addresses pass.
 * https is required unless `allowHttp`; loopback only with `allowLoopback` (both development settings).
 */
export interface TargetPolicy {
  allowHttp: boolean;
  allowLoopback: boolean;
}

export const STRICT_TARGETS: TargetPolicy = { allowHttp: false, allowLoopback: false };

/** Stable reasons a target is refused (the only thing an operator reads back about it). */
export type TargetRefusal =
  'http_not_allowed' | 'loopback' | 'private' | 'link_local' | 'special' | 'unresolvable';

export class TargetRefused extends Error {
  readonly reason: TargetRefusal;
  constructor(reason: TargetRefusal) {
    super(`target_not_allowed: ${reason}`);
    this.name = 'TargetRefused';
    this.reason = reason;
  }
}

const PRIVATE = new Set(['private', 'uniqueLocal', 'carrierGradeNat']);
const LINK_LOCAL = new Set(['linkLocal']);

/** Why an address may not be a webhook target, or undefined when it may. */
export function refusal(address: string, policy: TargetPolicy): TargetRefusal | undefined {
  if (!ipaddr.isValid(address)) return 'unresolvable';
  let a = ipaddr.parse(address);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  const range = a.range();
  if (range === 'loopback') return policy.allowLoopback ? undefined : 'loopback';
  if (PRIVATE.has(range)) return 'private';
  if (LINK_LOCAL.has(range)) return 'link_local';
  if (range !== 'unicast') return 'special';
  return undefined;
}

/** Checks the URL's scheme and, when its host is an IP literal, the address. */
export function checkUrl(url: URL, policy: TargetPolicy): void {
  if (url.protocol === 'http:' && !policy.allowHttp) throw new TargetRefused('http_not_allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const why = refusal(host, policy);
    if (why) throw new TargetRefused(why);
  }
}

type Lookup = (
  hostname: string,
  options: { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** Resolves a host name and checks every address it resolves to; the first allowed one is used. */
export function resolveChecked(
  host: string,
  policy: TargetPolicy,
  lookup: Lookup = dnsLookup as unknown as Lookup,
) {
  return new Promise<{ address: string; family: number }>((resolve, reject) => {
    lookup(host, { all: true }, (err, addresses) => {
      if (err || !addresses?.length) return reject(new TargetRefused('unresolvable'));
      // every address must pass: a name that resolves to a public and a private address is refused
      for (const a of addresses) {
        const why = refusal(a.address, policy);
        if (why) return reject(new TargetRefused(why));
      }
      resolve({ address: addresses[0]!.address, family: addresses[0]!.family });
    });
  });
}

/**
 * A `lookup` for http(s).request / net.connect that resolves, checks and hands the socket exactly the
 * checked address: the connection cannot reach an address that was not checked.
 */
export function guardedLookup(policy: TargetPolicy, lookup?: Lookup): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    resolveChecked(hostname, policy, lookup).then(
      (r) =>
        options?.all
          ? callback(null, [{ address: r.address, family: r.family }])
          : callback(null, r.address, r.family),
      (e: unknown) => callback(e),
    );
  }) as unknown as LookupFunction;
}

/**
 * For endpoint registration: the URL's scheme and every address its host resolves to, or
 * WEBHOOK_TARGET_REFUSED (with a stable reason). A name that does not resolve yet is accepted.
 */
export async function assertTargetAllowed(url: string, policy: TargetPolicy, lookup?: Lookup): Promise<void> {
  const u = new URL(url);
  try {
    checkUrl(u, policy);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    // a name that does not resolve yet is accepted: every connection is checked again anyway
    if (!isIP(host))
      await resolveChecked(host, policy, lookup).catch((e: unknown) => {
        if (!(e instanceof TargetRefused && e.reason === 'unresolvable')) throw e;
      });
  } catch (e) {
    if (!(e instanceof TargetRefused)) throw e;
    throw new GatehouseError(
      'WEBHOOK_TARGET_REFUSED',
      e.reason === 'http_not_allowed'
        ? 'webhook URLs must use https'
        : 'the URL resolves to an address Gatehouse does not deliver to',
      { extra: { reason: e.reason } },
    );
  }
}

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/**
 * POSTs one webhook, connecting only to a checked address. Resolves with the HTTP status; rejects with
 * TargetRefused (the target is not allowed) or another error (could not connect, timed out, TLS…):
 * callers report those only as stable codes (see `stableError`).
 */
export async function deliver(
  url: string,
  o: {
    headers: Record<string, string>;
    body: string;
    timeoutMs: number;
    policy: TargetPolicy;
    lookup?: Lookup;
  },
): Promise<number> {
  const u = new URL(url);
  checkUrl(u, o.policy);
  const secure = u.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      u,
      {
        method: 'POST',
        headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
        agent: secure ? agents.https : agents.http,
        lookup: guardedLookup(o.policy, o.lookup),
        signal: AbortSignal.timeout(o.timeoutMs),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/**
 * What an operator reads back about a failed attempt: a stable code, never the address, port or the
 * system's error text (which would let a webhook endpoint map a network, port by port).
 */
export function stableError(e: unknown): string {
  if (e instanceof TargetRefused) return 'target_not_allowed';
  return 'unreachable';
}
