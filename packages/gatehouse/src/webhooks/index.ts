import { randomBytes } from 'node:crypto';
import {
  WEBHOOK_TYPES,
  WEBHOOKS,
  webhookPatternMatches,
  type WebhookMessage,
  type WebhookPayload,
  type WebhookType,
} from '@gatehouse/sdk';
import { appendAuditInTx } from '../audit/index.ts';
import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { lockAppendOrder, type Db, type Tx } from '../store/db.ts';
import type { WebhookDispatcher } from './dispatcher.ts';
import { assertTargetAllowed, STRICT_TARGETS, type TargetPolicy } from './target-guard.ts';
import type { SecretBox } from './secrets.ts';
import { newSigningSecret } from './signing.ts';
import type { WebhookEndpointsTable } from './schema.ts';
import { webhooksStore as q } from './store.ts';

export { webhooksMigrations, type WebhooksTables, type DeliveryState } from './schema.ts';
export { WebhookDispatcher, backoffMs, type DispatcherOptions } from './dispatcher.ts';
export { SecretBox, resolveSecretKey } from './secrets.ts';
export { signature, signedHeaders, newSigningSecret, secretBytes } from './signing.ts';
export { webhookRoutes } from './routes.ts';
export {
  assertTargetAllowed,
  refusal,
  guardedLookup,
  deliver,
  stableError,
  STRICT_TARGETS,
  TargetRefused,
  type TargetPolicy,
  type TargetRefusal,
} from './target-guard.ts';

/**
 * A message to enqueue: one of the SDK's webhook types with the payload its schema describes (see
 * `WEBHOOKS` in `@gatehouse/sdk`). A payload of another shape does not typecheck, and is refused at run
 * time (WEBHOOK_PAYLOAD_INVALID) if it gets past the compiler.
 */
export type WebhookMessageInput = {
  [T in WebhookType]: {
    type: T;
    /** The account the message is about: messages about one account are delivered in order. */
    account?: string;
    payload: WebhookPayload<T>;
    /** Idempotency key; generated ("msg_…") when absent. Must be unique. */
    id?: string;
    /** Epoch ms; default now. */
    at?: number;
  };
}[WebhookType];

/** What a part that sends webhooks in its own transactions depends on (the webhooks part's enqueueInTx). */
export type EnqueueWebhook = (tx: Tx, msg: WebhookMessageInput) => Promise<unknown>;

/** What receivers get (the JSON body, the pull feed's messages): the SDK's WebhookMessage. */
export type { WebhookMessage };

export interface EndpointView {
  id: string;
  url: string;
  types: string[];
  description: string;
  createdAt: number;
  /** Until when the secret before the last rotation still signs (null: no second secret). */
  previousSecretExpiresAt: number | null;
}

export interface DeadLetter {
  messageId: string;
  endpointId: string;
  type: string;
  account: string | null;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  enqueuedAt: number;
  deadAt: number | null;
}

const TYPE_RE = /^(\*|[a-z0-9_-]+(\.[a-z0-9_-]+)*(\.\*)?)$/;

export function typeMatches(patterns: string[], type: string): boolean {
  return patterns.some(
    (p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))),
  );
}

/**
 * The live endpoints as one transaction read them: its later messages (a first containment enqueues
 * five or six) reuse the read. Only enqueueInTx fills it, only for a transaction (a Kysely instance
 * passed instead lives on), and no transaction enqueues and then changes endpoints.
 */
const endpointsOfTx = new WeakMap<Tx, ReturnType<typeof q.liveEndpoints>>();

/**
 * Writes a message to the outbox inside the caller's transaction (a decision, an action): one row in the
 * pull feed and one delivery per endpoint whose types match. It commits or rolls back with the caller's
 * state change; once committed, a dispatcher delivers it even if this process dies first. Call the
 * dispatcher's poke() after commit for prompt delivery (otherwise the next poll finds it).
 */
export async function enqueueInTx(tx: Tx, msg: WebhookMessageInput): Promise<{ id: string }> {
  const schema = Object.hasOwn(WEBHOOKS, msg.type) ? WEBHOOKS[msg.type] : undefined;
  if (!schema)
    throw new GatehouseError('WEBHOOK_TYPE_UNKNOWN', `no webhook type "${String(msg.type).slice(0, 100)}"`, {
      extra: { validTypes: WEBHOOK_TYPES },
    });
  const parsed = schema.safeParse(msg.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GatehouseError(
      'WEBHOOK_PAYLOAD_INVALID',
      `${msg.type}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    );
  }
  const id = msg.id ?? `msg_${randomBytes(16).toString('base64url')}`;
  const at = msg.at ?? Date.now();
  const body: WebhookMessage = {
    id,
    type: msg.type,
    timestamp: new Date(at).toISOString(),
    ...(msg.account ? { account: msg.account } : {}),
    // exactly the schema's fields: what the platform receives is what the SDK describes
    data: parsed.data as Record<string, unknown>,
  };
  await lockAppendOrder(tx);
  await q.insertMessage(tx, {
    id,
    type: msg.type,
    account: msg.account ?? null,
    body: JSON.stringify(body),
    created_at: at,
  });
  let live = tx.isTransaction ? endpointsOfTx.get(tx) : undefined;
  if (!live) {
    live = q.liveEndpoints(tx);
    if (tx.isTransaction) endpointsOfTx.set(tx, live);
  }
  const endpoints = (await live).filter((e) => typeMatches(JSON.parse(e.types) as string[], msg.type));
  await q.insertDeliveries(
    tx,
    endpoints.map((e) => ({
      message_id: id,
      endpoint_id: e.id,
      account_key: msg.account ?? '',
      state: 'pending' as const,
      attempts: 0,
      next_attempt_at: at,
      lease_until: null,
      created_at: at,
      done_at: null,
      last_status: null,
      last_error: null,
    })),
  );
  return { id };
}

/** enqueueInTx as an object, for parts that take a delivery dependency (response: PlatformDelivery). */
export const webhookDelivery = {
  async enqueueInTx(tx: Tx, msg: WebhookMessageInput): Promise<void> {
    await enqueueInTx(tx, msg);
  },
};

export function validateUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new GatehouseError('WEBHOOK_URL_INVALID', `"${url.slice(0, 200)}" is not an absolute URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new GatehouseError('WEBHOOK_URL_INVALID', `only http and https URLs, not ${u.protocol}`);
  if (u.username || u.password)
    throw new GatehouseError('WEBHOOK_URL_INVALID', 'credentials in the URL are not allowed');
  if (url.length > 2000)
    throw new GatehouseError('WEBHOOK_URL_INVALID', 'the URL is longer than 2000 characters');
  return u.toString();
}

/**
 * An endpoint's type filter: exact types, prefixes ending in ".*" or "*". A pattern that names no real
 * type (a typo such as "messages.retract") is refused with the list of valid types, so an endpoint
 * never silently receives nothing.
 */
export function parseTypes(types: string[] | undefined): string[] {
  const list = types && types.length ? types : ['*'];
  for (const t of list) {
    if (!TYPE_RE.test(t))
      throw new GatehouseError('VALIDATION_FAILED', `invalid event type pattern "${t.slice(0, 100)}"`, {
        extra: { field: 'types' },
      });
  }
  const unknown = list.filter((t) => webhookPatternMatches(t).length === 0);
  if (unknown.length)
    throw new GatehouseError(
      'WEBHOOK_TYPE_UNKNOWN',
      `unknown webhook type ${unknown
        .slice(0, 5)
        .map((t) => JSON.stringify(t.slice(0, 100)))
        .join(', ')}; valid: ${WEBHOOK_TYPES.join(', ')} (or a prefix such as "account.*", or "*")`,
      {
        extra: {
          field: 'types',
          unknown: unknown.slice(0, 20).map((t) => t.slice(0, 100)),
          validTypes: WEBHOOK_TYPES,
        },
      },
    );
  return [...new Set(list)];
}

const CURSOR_RE = /^c1_([0-9]{1,15})$/;
export function encodeCursor(seq: number): string {
  return Buffer.from(`c1_${seq}`).toString('base64url');
}
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const m = CURSOR_RE.exec(
    /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '',
  );
  if (!m)
    throw new GatehouseError('WEBHOOK_CURSOR_INVALID', 'pass back the "next" cursor of a previous page');
  return Number(m[1]);
}

function endpointView(e: WebhookEndpointsTable, now: number): EndpointView {
  return {
    id: e.id,
    url: e.url,
    types: JSON.parse(e.types) as string[],
    description: e.description,
    createdAt: e.created_at,
    previousSecretExpiresAt:
      e.old_secret_enc && (e.old_secret_expires_at ?? 0) > now ? e.old_secret_expires_at : null,
  };
}

export interface WebhookServiceOptions {
  /** How long the previous secret keeps signing after a rotation. */
  secretOverlapMs: number;
  /** Where endpoints may point (default: https to public addresses only). */
  targets?: TargetPolicy;
  now?: () => number;
  /** Called after a commit that enqueued deliveries (pokes the dispatcher). */
  onCommit?: () => void;
}

/** Endpoints, dead letters, replay and the pull feed. Every operator change is audited. */
export class WebhookService {
  private readonly db: Db;
  private readonly box: SecretBox;
  private readonly opts: WebhookServiceOptions;
  private readonly now: () => number;
  dispatcher: WebhookDispatcher | undefined;

  constructor(db: Db, box: SecretBox, opts: WebhookServiceOptions) {
    this.db = db;
    this.box = box;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** Enqueues in a transaction of its own (for callers that have no state change to commit with it). */
  async send(msg: WebhookMessageInput): Promise<{ id: string }> {
    const r = await this.db.transaction().execute((tx) => enqueueInTx(tx, { at: this.now(), ...msg }));
    this.opts.onCommit?.();
    return r;
  }

  async addEndpoint(
    input: { url: string; types?: string[]; description?: string },
    actor = 'system',
  ): Promise<{ endpoint: EndpointView; secret: string }> {
    const url = validateUrl(input.url);
    await assertTargetAllowed(url, this.opts.targets ?? STRICT_TARGETS);
    const types = parseTypes(input.types);
    const id = newId('whe', 9);
    const secret = newSigningSecret();
    const t = this.now();
    const row: WebhookEndpointsTable = {
      id,
      url,
      types: JSON.stringify(types),
      description: (input.description ?? '').slice(0, 200),
      secret_enc: this.box.seal(secret, id),
      old_secret_enc: null,
      old_secret_expires_at: null,
      created_at: t,
      updated_at: t,
      removed_at: null,
    };
    await this.db.transaction().execute(async (tx) => {
      await q.insertEndpoint(tx, row);
      await appendAuditInTx(tx, {
        actor,
        action: 'webhook_endpoint.create',
        subject: id,
        data: { url, types },
        at: t,
      });
    });
    return { endpoint: endpointView(row, t), secret };
  }

  async listEndpoints(): Promise<EndpointView[]> {
    const t = this.now();
    return (await q.liveEndpoints(this.db)).map((e) => endpointView(e, t));
  }

  async getEndpoint(id: string): Promise<EndpointView> {
    const e = await q.endpoint(this.db, id);
    if (!e) throw new GatehouseError('WEBHOOK_ENDPOINT_NOT_FOUND', `no webhook endpoint ${id.slice(0, 100)}`);
    return endpointView(e, this.now());
  }

  /**
   * Changes an endpoint's types or description (its secret and URL stay). Messages already enqueued keep
   * their deliveries; the new filter applies to messages enqueued from now on.
   */
  async updateEndpoint(
    id: string,
    input: { types?: string[]; description?: string },
    actor = 'system',
  ): Promise<EndpointView> {
    const types = input.types !== undefined ? parseTypes(input.types) : undefined;
    const t = this.now();
    await this.db.transaction().execute(async (tx) => {
      const set = {
        ...(types ? { types: JSON.stringify(types) } : {}),
        ...(input.description !== undefined ? { description: input.description.slice(0, 200) } : {}),
      };
      if (!(await q.updateEndpoint(tx, id, set, t)))
        throw new GatehouseError('WEBHOOK_ENDPOINT_NOT_FOUND', `no webhook endpoint ${id.slice(0, 100)}`);
      await appendAuditInTx(tx, {
        actor,
        action: 'webhook_endpoint.update',
        subject: id,
        data: {
          ...(types ? { types } : {}),
          ...(input.description !== undefined ? { description: true } : {}),
        },
        at: t,
      });
    });
    return this.getEndpoint(id);
  }

  /** A new secret; the current one keeps signing too (two signatures) until the overlap ends. */
  async rotate(id: string, actor = 'system'): Promise<{ endpoint: EndpointView; secret: string }> {
    const secret = newSigningSecret();
    const t = this.now();
    const expires = t + this.opts.secretOverlapMs;
    await this.db.transaction().execute(async (tx) => {
      const e = await q.endpoint(tx, id);
      if (!e)
        throw new GatehouseError('WEBHOOK_ENDPOINT_NOT_FOUND', `no webhook endpoint ${id.slice(0, 100)}`);
      await q.rotateSecret(tx, id, this.box.seal(secret, id), e.secret_enc, expires, t);
      await appendAuditInTx(tx, {
        actor,
        action: 'webhook_endpoint.rotate',
        subject: id,
        data: { previousSecretExpiresAt: expires },
        at: t,
      });
    });
    return { endpoint: await this.getEndpoint(id), secret };
  }

  /** Removes an endpoint; its pending deliveries are cancelled (the feed keeps every message). */
  async remove(id: string, actor = 'system'): Promise<void> {
    const t = this.now();
    await this.db.transaction().execute(async (tx) => {
      if (!(await q.removeEndpoint(tx, id, t)))
        throw new GatehouseError('WEBHOOK_ENDPOINT_NOT_FOUND', `no webhook endpoint ${id.slice(0, 100)}`);
      await appendAuditInTx(tx, { actor, action: 'webhook_endpoint.remove', subject: id, at: t });
    });
  }

  async dead(opts: { endpoint?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    const rows = await q.dead(this.db, opts.endpoint, Math.min(Math.max(opts.limit ?? 100, 1), 1000));
    return rows.map((r) => ({
      messageId: r.message_id,
      endpointId: r.endpoint_id,
      type: r.type,
      account: r.account_key || null,
      attempts: r.attempts,
      lastStatus: r.last_status,
      lastError: r.last_error,
      enqueuedAt: r.created_at,
      deadAt: r.done_at,
    }));
  }

  /**
   * Puts dead letters back in their queues, in their original order, with fresh attempts. Either all of
   * them (optionally of one endpoint) or those of the given message ids.
   */
  async replay(
    sel: { all: true; endpoint?: string } | { messageIds: string[]; endpoint?: string },
    actor = 'system',
  ): Promise<{ replayed: number }> {
    const t = this.now();
    const ids = 'messageIds' in sel ? [...new Set(sel.messageIds)] : undefined;
    if (ids && ids.length === 0) throw new GatehouseError('VALIDATION_FAILED', 'give message ids or all');
    if (sel.endpoint !== undefined) await this.getEndpoint(sel.endpoint);
    const replayed = await this.db.transaction().execute(async (tx) => {
      if (ids) {
        const known = new Set(await q.knownMessages(tx, ids));
        const unknown = ids.filter((i) => !known.has(i));
        if (unknown.length)
          throw new GatehouseError(
            'WEBHOOK_MESSAGE_NOT_FOUND',
            `no message ${unknown.slice(0, 5).join(', ').slice(0, 300)}`,
            {
              extra: { messageIds: unknown.slice(0, 20) },
            },
          );
      }
      const n = await q.replay(
        tx,
        { ...(ids ? { messageIds: ids } : {}), ...(sel.endpoint ? { endpointId: sel.endpoint } : {}) },
        t,
      );
      await appendAuditInTx(tx, {
        actor,
        action: 'webhook.replay',
        subject: sel.endpoint ?? '*',
        data: { messageIds: ids ?? 'all', replayed: n },
        at: t,
      });
      return n;
    });
    if (replayed) this.opts.onCommit?.();
    return { replayed };
  }

  /** Messages in commit order after a cursor. Re-reading with the same cursor returns the same page. */
  async feed(after: string | undefined, limit = 100): Promise<{ messages: WebhookMessage[]; next: string }> {
    const from = decodeCursor(after);
    const rows = await q.feed(this.db, from, Math.min(Math.max(limit, 1), 1000));
    return {
      messages: rows.map((r) => JSON.parse(r.body) as WebhookMessage),
      next: encodeCursor(rows.length ? rows.at(-1)!.seq : from),
    };
  }

  /** Every delivery of a message with its attempts (status, latency, error). */
  async deliveries(messageId: string) {
    const ds = await q.deliveriesOf(this.db, messageId);
    if (ds.length === 0 && !(await q.messageBody(this.db, messageId)))
      throw new GatehouseError('WEBHOOK_MESSAGE_NOT_FOUND', `no message ${messageId.slice(0, 100)}`);
    return Promise.all(
      ds.map(async (d) => ({
        endpointId: d.endpoint_id,
        state: d.state,
        attempts: (await q.attempts(this.db, d.seq)).map((a) => ({
          at: a.at,
          status: a.status,
          latencyMs: a.latency_ms,
          error: a.error,
        })),
      })),
    );
  }
}
