import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { appendAuditInTx } from '../audit/index.ts';
import { hashToken, safeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Db } from '../store/db.ts';
import { keysStore } from './store.ts';

export { keysMigrations, type KeysTables } from './schema.ts';

/** Operator scopes. `admin` grants every scope. Later parts add theirs here. */
export const SCOPES = [
  'accounts:read',
  'accounts:write',
  /** A platform back end: its X-Forwarded-For (the end user's address) is believed at sign-up and sign-in. */
  'accounts:forward',
  'events:write',
  'response:read',
  'response:write',
  'content:read',
  'content:write',
  'incidents:read',
  'incidents:write',
  'webhooks:read',
  'webhooks:write',
  'audit:read',
  'recovery:read',
  'recovery:write',
  'apps:read',
  'apps:write',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKeyView {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const KEY_RE = /^ghk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const TOUCH_EVERY_MS = 60_000;
/**
 * A verified key is trusted again for this long without reading its row (the pre-send check and
 * ingestion answer thousands of requests a second with one key). A revocation in this process drops
 * it at once; one made by another process (the CLI, another Gatehouse process) counts within this time.
 */
export const VERIFIED_TTL_MS = 1000;
/** Most verified keys remembered (an operator deployment has a handful). */
const VERIFIED_MAX = 1000;

export function parseScopes(text: string): Scope[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0)
    throw new GatehouseError('VALIDATION_FAILED', `give at least one scope: ${SCOPES.join(', ')}`);
  for (const s of list) {
    if (!(SCOPES as readonly string[]).includes(s))
      throw new GatehouseError('VALIDATION_FAILED', `unknown scope "${s}"; known: ${SCOPES.join(', ')}`);
  }
  return [...new Set(list)] as Scope[];
}

/**
 * Another way for a person to act as an operator where a key is asked for: the web console's cookie
 * sessions (console/). Answers undefined when the request carries no such session, the operator (with
 * the scopes of their role) when it does, and throws when it is invalid or lacks the scope.
 */
export interface OperatorSessions {
  verify(req: FastifyRequest, scope: Scope): Promise<ApiKeyView | undefined>;
}

/** Operator API keys: shown once at creation, stored as SHA-256 hashes, each with scopes. */
export class KeyService {
  private readonly db: Db;
  private readonly now: () => number;
  /** Set by the console part: operators signed in to the web console pass where a key is required. */
  sessions: OperatorSessions | undefined;
  /**
   * Keys verified in the last VERIFIED_TTL_MS, by the SHA-256 of the whole presented key (the form the
   * table stores; the key itself is never held). A hit is an exact match of the key; a lookup by hash
   * tells a timing observer nothing about a key it does not already have.
   */
  private readonly verified = new Map<string, { view: ApiKeyView; until: number }>();
  /** Counts revocations in this process: a verification that read its row before one is not remembered. */
  private revocations = 0;
  constructor(db: Db, now: () => number = Date.now) {
    this.db = db;
    this.now = now;
  }

  /** Creates a key; `actor` (for the audit log) defaults to "system". */
  async create(name: string, scopes: Scope[], actor = 'system'): Promise<{ key: string; view: ApiKeyView }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const key = `ghk_${id}_${secret}`;
    const row = {
      id,
      name: name.slice(0, 100),
      key_hash: hashToken(key),
      scopes: JSON.stringify(scopes),
      created_at: this.now(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.db.transaction().execute(async (tx) => {
      await keysStore.insert(tx, row);
      await appendAuditInTx(tx, {
        actor,
        action: 'api_key.create',
        subject: id,
        data: { name: row.name, scopes },
        at: row.created_at,
      });
    });
    return { key, view: view(row) };
  }

  async list(): Promise<ApiKeyView[]> {
    return (await keysStore.list(this.db)).map(view);
  }

  async revoke(id: string, actor = 'system'): Promise<void> {
    const t = this.now();
    await this.db.transaction().execute(async (tx) => {
      if (!(await keysStore.revoke(tx, id, t)))
        throw new GatehouseError('KEY_NOT_FOUND', `no live API key with id ${id}`);
      await appendAuditInTx(tx, { actor, action: 'api_key.revoke', subject: id, at: t });
    });
    this.forget(id);
  }

  /** Drops a key revoked by this process from the verified keys. */
  private forget(id: string): void {
    this.revocations++;
    for (const [h, v] of this.verified) if (v.view.id === id) this.verified.delete(h);
  }

  /**
   * A key verified within VERIFIED_TTL_MS, answered from memory (no database read, no await): its view,
   * or undefined when it is not among the verified keys (ask `verify`). Throws API_KEY_SCOPE.
   */
  verifiedNow(presented: string, scope: Scope): ApiKeyView | undefined {
    if (!KEY_RE.test(presented)) return undefined;
    const hit = this.verified.get(hashToken(presented));
    return hit && hit.until > this.now() ? withScope(hit.view, scope) : undefined;
  }

  /** Checks a presented key and the scope the endpoint needs; throws API_KEY_INVALID or API_KEY_SCOPE. */
  async verify(presented: string, scope: Scope): Promise<ApiKeyView> {
    const known = this.verifiedNow(presented, scope);
    if (known) return known;
    const m = KEY_RE.exec(presented);
    if (!m) throw new GatehouseError('API_KEY_INVALID');
    const revocations = this.revocations;
    const hash = hashToken(presented);
    const row = await keysStore.byId(this.db, m[1]!);
    if (!row || !safeEqual(row.key_hash, hash) || row.revoked_at !== null)
      throw new GatehouseError('API_KEY_INVALID');
    const v = view(row);
    const t = this.now();
    // a revocation that committed while the row was read is not undone by remembering the key
    if (revocations === this.revocations) {
      if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(hash, { view: v, until: t + VERIFIED_TTL_MS });
    }
    withScope(v, scope);
    if (row.last_used_at === null || t - row.last_used_at > TOUCH_EVERY_MS)
      await keysStore.touch(this.db, row.id, t);
    return v;
  }
}

/** The key's view when it has the scope (or admin); throws API_KEY_SCOPE. */
function withScope(v: ApiKeyView, scope: Scope): ApiKeyView {
  if (!v.scopes.includes(scope) && !v.scopes.includes('admin')) {
    throw new GatehouseError('API_KEY_SCOPE', `this key lacks the scope ${scope}`, {
      extra: { required: scope },
    });
  }
  return v;
}

function view(r: {
  id: string;
  name: string;
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    scopes: JSON.parse(r.scopes) as Scope[],
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}
