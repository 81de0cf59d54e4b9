// Reads for the console pages that no part's route gives: held messages with their evidence, per-rule
// action counts, webhook health per endpoint, a campaign's spread over time. Reads only.
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';

export interface HeldMessage {
  message: string;
  account: string;
  decision: string;
  createdAt: number;
  expiresAt: number;
  /** The message as the pre-send check saw it (text, recipients, urls…), when the event is kept. */
  event: Record<string, unknown> | null;
  /** The decision that held it: action, risk, reasons and signals. */
  verdict: Record<string, unknown> | null;
}

const parse = (s: string | undefined): Record<string, unknown> | null => {
  if (!s) return null;
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return null;
  }
};

export async function heldMessages(db: Db, o: { account?: string; limit: number }): Promise<HeldMessage[]> {
  let q = db.selectFrom('holds').selectAll().where('status', '=', 'held');
  if (o.account) q = q.where('account', '=', o.account);
  const holds = await q.orderBy('created_at').limit(o.limit).execute();
  if (holds.length === 0) return [];
  // a decision's id is "dec:" + the id of the event it decided on
  const eventIds = holds.map((h) => h.decision_id.replace(/^dec:/, ''));
  const [events, decisions] = await Promise.all([
    db.selectFrom('events').select(['id', 'payload']).where('id', 'in', eventIds).execute(),
    db
      .selectFrom('engine_decisions')
      .select(['event_id', 'detail'])
      .where('event_id', 'in', eventIds)
      .execute(),
  ]);
  const ev = new Map(events.map((e) => [e.id, e.payload]));
  const dec = new Map(decisions.map((d) => [d.event_id, d.detail]));
  return holds.map((h) => {
    const id = h.decision_id.replace(/^dec:/, '');
    return {
      message: h.message_id,
      account: h.account,
      decision: h.decision_id,
      createdAt: h.created_at,
      expiresAt: h.expires_at,
      event: parse(ev.get(id)),
      verdict: parse(dec.get(id)),
    };
  });
}

export interface RuleCount {
  rule: string;
  kind: string;
  mode: string;
  status: string;
  count: number;
}

/** Actions per rule, kind, mode (enforce = did, dry-run = would have done) and status since `since`. */
export async function ruleCounts(db: Db, since: number): Promise<RuleCount[]> {
  const rows = await db
    .selectFrom('response_actions')
    .select(['rule', 'kind', 'mode', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('created_at', '>=', since)
    .groupBy(['rule', 'kind', 'mode', 'status'])
    .execute();
  return rows.map((r) => ({
    rule: r.rule,
    kind: r.kind,
    mode: r.mode,
    status: r.status,
    count: Number(r.n),
  }));
}

export interface EndpointHealth {
  endpoint: string;
  pending: number;
  retrying: number;
  dead: number;
  delivered24h: number;
  lastError: string | null;
  lastStatus: number | null;
}

export async function webhookHealth(db: Db, now: number): Promise<EndpointHealth[]> {
  const since = now - 86_400_000;
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select([
      'endpoint_id',
      sql<number>`sum(case when state = 'pending' then 1 else 0 end)`.as('pending'),
      sql<number>`sum(case when state = 'pending' and attempts > 0 then 1 else 0 end)`.as('retrying'),
      sql<number>`sum(case when state = 'dead' then 1 else 0 end)`.as('dead'),
      sql<number>`sum(case when state = 'delivered' and done_at >= ${since} then 1 else 0 end)`.as(
        'delivered',
      ),
    ])
    .groupBy('endpoint_id')
    .execute();
  const errors = await db
    .selectFrom('webhook_deliveries')
    .select(['endpoint_id', 'last_error', 'last_status'])
    .where('last_error', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(200)
    .execute();
  const lastErr = new Map<string, { last_error: string | null; last_status: number | null }>();
  for (const e of errors) if (!lastErr.has(e.endpoint_id)) lastErr.set(e.endpoint_id, e);
  return rows.map((r) => ({
    endpoint: r.endpoint_id,
    pending: Number(r.pending ?? 0),
    retrying: Number(r.retrying ?? 0),
    dead: Number(r.dead ?? 0),
    delivered24h: Number(r.delivered ?? 0),
    lastError: lastErr.get(r.endpoint_id)?.last_error ?? null,
    lastStatus: lastErr.get(r.endpoint_id)?.last_status ?? null,
  }));
}

/** Non-allow decisions on a campaign's members, per bucket (its spread over time). */
export async function memberDecisionBuckets(
  db: Db,
  members: string[],
  from: number,
  bucketMs: number,
): Promise<Array<{ at: number; decisions: number; accounts: number }>> {
  if (members.length === 0) return [];
  const rows = await db
    .selectFrom('engine_decisions')
    .select(['account', 'time'])
    .where('account', 'in', members.slice(0, 1000))
    .where('time', '>=', from)
    .where('action', '!=', 'allow')
    .orderBy('time')
    .limit(20_000)
    .execute();
  const buckets = new Map<number, { decisions: number; accounts: Set<string> }>();
  for (const r of rows) {
    const at = Math.floor(r.time / bucketMs) * bucketMs;
    const b = buckets.get(at) ?? { decisions: 0, accounts: new Set<string>() };
    b.decisions++;
    b.accounts.add(r.account);
    buckets.set(at, b);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([at, b]) => ({ at, decisions: b.decisions, accounts: b.accounts.size }));
}

/** An earlier policy version's text (every distinct text that was in force is kept). */
export async function policyVersion(
  db: Db,
  hash: string,
): Promise<{ hash: string; version: number; text: string } | undefined> {
  const r = await db
    .selectFrom('policy_versions')
    .select(['hash', 'version', 'text'])
    .where('hash', '=', hash)
    .executeTakeFirst();
  return r ? { hash: r.hash, version: Number(r.version), text: r.text } : undefined;
}
