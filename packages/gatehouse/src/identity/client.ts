import type { FastifyRequest } from 'fastify';
import type { KeyService } from '../keys/index.ts';
import type { RequestContext } from './core.ts';
import { canonicalIp, forwardedClient } from './network.ts';

/**
 * The end user's address and User-Agent for a request. The address is the TCP peer's, or what
 * X-Forwarded-For says when the peer is one of the configured proxies (`trustProxy` with
 * `trustedProxies`, resolved by the HTTP server into `req.ip`), or when the caller is the platform's own
 * back end forwarding for its user: X-Forwarded-For together with an operator key that has the
 * `accounts:forward` scope in X-API-Key (the SDK's `forwardedFor`). Anyone else's X-Forwarded-For is
 * ignored, so rotating it dodges no per-network limit. A key that fails to verify is an error.
 */
export function clientContext(keys: KeyService) {
  return async (req: FastifyRequest): Promise<RequestContext> => {
    const userAgent = typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : '';
    const key = req.headers['x-api-key'];
    const fwd = forwardedClient(req.headers['x-forwarded-for']);
    if (typeof key === 'string' && fwd) {
      await keys.verify(key, 'accounts:forward');
      return { ip: fwd, userAgent };
    }
    return { ip: canonicalIp(req.ip) ?? req.ip, userAgent };
  };
}
