import { createHmac } from 'node:crypto';
import { hashToken } from '../crypto/index.ts';

export const LINK_TOKEN_RE = /^ghn_[A-Za-z0-9_-]{43}$/;

/**
 * "This wasn't me" link tokens. A token is derived from the link's id with a key derived from the
 * secret key (HMAC-SHA-256), so it is never stored: the database holds only its SHA-256, and a retry of
 * an email re-creates the same link. Without the secret key nobody can make a token from an id.
 */
export class LinkTokens {
  private readonly key: Buffer;
  constructor(secretKey: Buffer) {
    this.key = createHmac('sha256', secretKey).update('gatehouse/notify/not-me-link/v1').digest();
  }
  token(linkId: string): string {
    return `ghn_${createHmac('sha256', this.key).update(linkId).digest('base64url')}`;
  }
  hash(linkId: string): string {
    return hashToken(this.token(linkId));
  }
}
