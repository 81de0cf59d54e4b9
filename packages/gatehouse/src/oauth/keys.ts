import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, calculateJwkThumbprint, type JWK } from 'jose';
import type { Db } from '../store/db.ts';
import type { SecretBox } from '../webhooks/index.ts';
import { oauthStore as q } from './store.ts';

/**
 * The provider's signing keys. ES256 signs what Gatehouse's apps get by default (fast, small); RS256 is
 * there because OpenID Connect requires every provider to support it. Private keys are sealed with the
 * server's secret key (AES-256-GCM) at rest. Rotation makes a new key the signing one at once and keeps
 * the old one published (verification only) until the overlap ends, so tokens it signed still verify.
 */
export const KEY_ALGS = ['ES256', 'RS256'] as const;
export type KeyAlg = (typeof KEY_ALGS)[number];

export interface KeyInfo {
  kid: string;
  alg: string;
  createdAt: number;
  retiredAt: number | null;
  expiresAt: number | null;
  /** "signing" (current) or "published" (retired, still in the JWKS during the overlap). */
  state: 'signing' | 'published';
}

async function newKey(alg: KeyAlg): Promise<{ kid: string; jwk: JWK }> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  });
  const jwk = await exportJWK(privateKey);
  const kid = `${(await calculateJwkThumbprint(jwk)).slice(0, 16)}-${randomBytes(3).toString('hex')}`;
  return { kid, jwk: { ...jwk, kid, alg, use: 'sig' } };
}

export class SigningKeys {
  private readonly db: Db;
  private readonly box: SecretBox;
  private readonly now: () => number;
  constructor(db: Db, box: SecretBox, now: () => number = Date.now) {
    this.db = db;
    this.box = box;
    this.now = now;
  }

  /** Creates the first key of each algorithm when there is none (first start). */
  async ensure(): Promise<void> {
    const live = await q.liveKeys(this.db, this.now());
    for (const alg of KEY_ALGS) {
      if (live.some((k) => k.alg === alg && k.retired_at === null)) continue;
      await this.add(alg);
    }
  }

  private async add(alg: KeyAlg): Promise<string> {
    const { kid, jwk } = await newKey(alg);
    await q.insertKey(this.db, {
      kid,
      alg,
      jwk_enc: this.box.seal(JSON.stringify(jwk), `oauth:key:${kid}`),
      created_at: this.now(),
      retired_at: null,
      expires_at: null,
    });
    return kid;
  }

  /**
   * New signing keys for every algorithm; the previous ones stay published for `overlapMs`. In one
   * transaction, so a crash never leaves an algorithm without a signing key.
   */
  async rotate(overlapMs: number): Promise<{ added: string[]; retired: number }> {
    const fresh = await Promise.all(KEY_ALGS.map(async (alg) => ({ alg, ...(await newKey(alg)) })));
    const t = this.now();
    let retired = 0;
    await this.db.transaction().execute(async (tx) => {
      for (const k of fresh) {
        retired += await q.retireCurrent(tx, k.alg, t, t + overlapMs);
        await q.insertKey(tx, {
          kid: k.kid,
          alg: k.alg,
          jwk_enc: this.box.seal(JSON.stringify(k.jwk), `oauth:key:${k.kid}`),
          created_at: t,
          retired_at: null,
          expires_at: null,
        });
      }
    });
    return { added: fresh.map((k) => k.kid), retired };
  }

  /** The private JWKS for the provider: signing keys first (the provider signs with the first match). */
  async jwks(): Promise<{ keys: JWK[] }> {
    const live = await q.liveKeys(this.db, this.now());
    const ordered = [
      ...live.filter((k) => k.retired_at === null),
      ...live.filter((k) => k.retired_at !== null),
    ];
    return {
      keys: ordered.map((k) => {
        const jwk = JSON.parse(this.box.open(k.jwk_enc, `oauth:key:${k.kid}`)) as JWK;
        // a retired key only verifies: the provider never picks it to sign
        return k.retired_at === null ? jwk : { ...jwk, key_ops: ['verify'] };
      }),
    };
  }

  async list(): Promise<KeyInfo[]> {
    return (await q.liveKeys(this.db, this.now())).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      createdAt: k.created_at,
      retiredAt: k.retired_at,
      expiresAt: k.expires_at,
      state: k.retired_at === null ? 'signing' : 'published',
    }));
  }

  version(): Promise<string> {
    return q.keysVersion(this.db);
  }
}
