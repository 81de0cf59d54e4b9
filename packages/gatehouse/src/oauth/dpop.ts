import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { GatehouseError } from '../errors/index.ts';

/** Algorithms accepted in DPoP proofs (as the provider's token endpoint). */
export const DPOP_ALGS = ['ES256', 'EdDSA', 'Ed25519'];
/** A proof's iat may be this far from now (seconds). */
const IAT_WINDOW_S = 60;

export interface DpopCheck {
  /** The proof header value. */
  proof: string | undefined;
  method: string;
  /** The URL the request was sent to (scheme, host and path; query and fragment are ignored). */
  url: string;
  accessToken: string;
  /** The token's bound key thumbprint. */
  jkt: string;
  /** Records the proof's jti; false when it was seen before (a replay). */
  unique(jti: string, expiresAtSeconds: number): Promise<boolean>;
  nowSeconds?: number;
}

function refuse(detail: string): GatehouseError {
  return new GatehouseError('OAUTH_DPOP_INVALID', detail, {
    headers: { 'www-authenticate': `DPoP error="invalid_dpop_proof", error_description="${detail}"` },
    extra: { error: 'invalid_dpop_proof' },
  });
}

const htuOf = (u: string) => {
  const x = new URL(u);
  return `${x.protocol}//${x.host}${x.pathname}`;
};

/**
 * RFC 9449 proof of possession at the resource API: the proof is signed by the key the token is bound
 * to, names this method and URL, is fresh, carries the token's hash and has never been seen before.
 */
export async function checkDpop(c: DpopCheck): Promise<void> {
  if (!c.proof) throw refuse('a DPoP proof is required for this token');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(c.proof);
  } catch {
    throw refuse('the DPoP proof is not a JWT');
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(c.proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGS }));
  } catch {
    throw refuse('the DPoP proof signature or header is invalid');
  }
  const jwk = header.jwk as JWK | undefined;
  if (!jwk || (await calculateJwkThumbprint(jwk)) !== c.jkt)
    throw refuse('the DPoP proof is signed by another key than the token is bound to');
  if (payload.htm !== c.method) throw refuse('the DPoP proof is for another HTTP method');
  let htu: string;
  try {
    htu = htuOf(String(payload.htu));
  } catch {
    throw refuse('the DPoP proof htu is not a URL');
  }
  if (htu !== htuOf(c.url)) throw refuse('the DPoP proof is for another URL');
  const now = c.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > IAT_WINDOW_S)
    throw refuse('the DPoP proof is not fresh');
  const ath = createHash('sha256').update(c.accessToken).digest('base64url');
  if (payload.ath !== ath) throw refuse('the DPoP proof is for another access token');
  if (typeof payload.jti !== 'string' || payload.jti.length < 8 || payload.jti.length > 256)
    throw refuse('the DPoP proof has no usable jti');
  if (!(await c.unique(payload.jti, now + IAT_WINDOW_S * 2))) throw refuse('the DPoP proof was already used');
}
