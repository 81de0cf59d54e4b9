import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { GatehouseError } from '../errors/index.ts';

/**
 * P-256 public keys that clients hold the private half of (WebCrypto ECDSA, non-extractable): a QR login's
 * requester key, a device-bound session's key. Stored as canonical JWK JSON; signatures are ES256 in the
 * IEEE P1363 form (r‖s, 64 bytes) that WebCrypto returns.
 */
export function p256Key(jwk: unknown, field = 'publicKey'): { key: KeyObject; canonical: string } {
  const j = jwk as { kty?: unknown; crv?: unknown; x?: unknown; y?: unknown } | null;
  if (j?.kty !== 'EC' || j.crv !== 'P-256' || typeof j.x !== 'string' || typeof j.y !== 'string')
    throw new GatehouseError('VALIDATION_FAILED', `${field} must be a P-256 public JWK (ES256)`, {
      extra: { field },
    });
  try {
    const canonical = JSON.stringify({ kty: 'EC', crv: 'P-256', x: j.x, y: j.y });
    const key = createPublicKey({ key: JSON.parse(canonical) as JsonWebKey, format: 'jwk' });
    return { key, canonical };
  } catch {
    throw new GatehouseError('VALIDATION_FAILED', `${field} is not a valid P-256 public key`, {
      extra: { field },
    });
  }
}

/** Whether `signature` (base64url, P1363) is the key's ES256 signature of `message`. */
export function verifyEs256(canonicalKey: string, message: string, signature: string): boolean {
  const sig = Buffer.from(signature, 'base64url');
  if (sig.length !== 64) return false;
  const { key } = p256Key(JSON.parse(canonicalKey));
  return verify('sha256', Buffer.from(message, 'utf8'), { key, dsaEncoding: 'ieee-p1363' }, sig);
}
