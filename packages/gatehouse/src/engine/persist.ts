/**
 * Persisting engine output: decisions (other than allow) into engine_decisions and, in the same
 * transaction, `decision.made` / `campaign.detected` events into the outbox. Replays are idempotent:
 * decisions already stored and bus events already in the outbox are skipped. Used by the consumer on
 * the main thread and by the check-log worker.
 */
import type { CatalogueEvent } from '../bus/index.ts';
import { outboxStore } from '../bus/index.ts';
import type { Db, Dialect, Tx } from '../store/db.ts';
import { engineStore, type NewDecision, type NewEvent } from './store.ts';
import type { Campaign, Decision } from './types.ts';

export async function persistDecisions(
  db: Db,
  decisions: Decision[],
  campaigns: Campaign[],
  now: number,
  grown: Campaign[] = [],
): Promise<void> {
  await db.transaction().execute((tx) => persistDecisionsTx(tx, decisions, campaigns, now, grown));
}

export async function persistDecisionsTx(
  tx: Tx,
  decisions: Decision[],
  campaigns: Campaign[],
  now: number,
  grown: Campaign[] = [],
): Promise<void> {
  const fresh = await insertNewDecisions(tx, decisions, now);
  const bus: CatalogueEvent[] = fresh.map((d) => ({
    id: `decision:${d.eventId}`,
    type: 'decision.made' as const,
    time: d.time,
    account: d.account,
    decision: d,
  }));
  for (const c of campaigns)
    bus.push({ id: `campaign:${c.id}`, type: 'campaign.detected', time: c.firstSeen, campaign: c });
  for (const c of grown)
    bus.push({
      id: `campaign:${c.id}:${c.memberCount}`,
      type: 'campaign.grew',
      time: c.lastSeen,
      campaign: c,
    });
  if (bus.length === 0) return;
  const have = await engineStore.outboxIdsPresent(
    tx,
    bus.map((e) => e.id),
  );
  await outboxStore.append(
    tx,
    bus.filter((e) => !have.has(e.id)),
  );
}

/** Appends pre-send-check events and their decisions in one transaction; returns ids already logged. */
export async function writeCheckBatch(
  db: Db,
  events: NewEvent[],
  decisions: Decision[],
  now: number,
  dialect: Dialect = 'sqlite',
): Promise<string[]> {
  return db.transaction().execute(async (tx) => {
    const inserted = events.length > 0 ? await engineStore.append(tx, events, dialect) : new Set<string>();
    const dup = events.filter((e) => !inserted.has(e.id)).map((e) => e.id);
    let ds = decisions;
    if (dup.length > 0 && decisions.length > 0) {
      // reported through POST /v1/events before this record was written: the platform's check timed out
      // and it delivered the message (fail open), whatever the check answered (late-delivery.ts)
      const reported = await engineStore.existingIds(tx, dup, 'api');
      if (reported.size > 0)
        ds = decisions.map((d) => {
          if (!reported.has(d.eventId)) return d;
          const { checked: _stopped, ...delivered } = d;
          return delivered;
        });
    }
    if (ds.length > 0) await persistDecisionsTx(tx, ds, [], now);
    return dup;
  });
}

async function insertNewDecisions(
  tx: Parameters<typeof engineStore.insertDecisions>[0],
  decisions: Decision[],
  now: number,
): Promise<Decision[]> {
  if (decisions.length === 0) return [];
  const existing = await engineStore.existingDecisionIds(
    tx,
    decisions.map((d) => d.eventId),
  );
  const fresh = decisions.filter((d) => !existing.has(d.eventId));
  const rows: NewDecision[] = fresh.map((d) => ({
    event_id: d.eventId,
    event_type: d.eventType,
    account: d.account,
    session: d.session ?? null,
    action: d.action,
    risk: d.risk,
    logit: d.logit,
    detail: JSON.stringify(d),
    time: d.time,
    created_at: now,
  }));
  await engineStore.insertDecisions(tx, rows);
  return fresh;
}
