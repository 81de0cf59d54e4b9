import { Localized } from '@gatehouse/sdk';
import type { AccountEventLog, CompromiseFacts } from './ports.ts';

/** A row of the response part's action log, as `ResponseService.actions()` returns it. */
export interface ResponseActionRow {
  decision_id: string;
  kind: string;
  rule: string;
  mode: string;
  status: string;
  /** JSON. */
  detail: string;
  created_at: number;
}

/**
 * Builds the `compromiseFacts` port from the response part's action log: the freeze that the appeal is
 * about (the latest enforced freeze_account at or before `frozenAt`), the compromise start the response
 * part worked out for its retractions, how many messages it retracted and how many recipients it warned
 * within `lookbackMs` before the freeze; without a retraction, the engine's `compromiseStart` estimate.
 */
export function factsFromResponseActions(
  list: (filter: { account: string; limit: number }) => Promise<ResponseActionRow[]>,
  opts: {
    lookbackMs?: number;
    /** The engine's estimate of the compromise start, used when no retraction recorded one. */
    compromiseStart?: (account: string, session: string | undefined, decidedAt: number) => Promise<number>;
  } = {},
): (accountId: string, frozenAt: number) => Promise<CompromiseFacts | undefined> {
  const lookbackMs = opts.lookbackMs ?? 24 * 3_600_000;
  return async (accountId, frozenAt) => {
    const rows = (await list({ account: accountId, limit: 1000 })).filter(
      (r) => r.mode === 'enforce' && r.status === 'done' && r.created_at <= frozenAt,
    );
    const freeze = rows
      .filter((r) => r.kind === 'freeze_account')
      .sort((a, b) => b.created_at - a.created_at)[0];
    if (!freeze) return undefined;
    const near = rows.filter(
      (r) => r.created_at >= freeze.created_at - lookbackMs && r.created_at <= frozenAt,
    );
    const detail = (r: ResponseActionRow): Record<string, unknown> => {
      try {
        const d = JSON.parse(r.detail) as unknown;
        return d && typeof d === 'object' ? (d as Record<string, unknown>) : {};
      } catch {
        return {};
      }
    };
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
    const retracts = near.filter((r) => r.kind === 'retract_messages');
    const warns = near.filter((r) => r.kind === 'warn_recipients');
    const starts = retracts.map((r) => detail(r).since).filter((v): v is number => typeof v === 'number');
    const reason = detail(freeze).reason;
    // Messages the pre-send check stopped (a block or contain verdict): they never reached anyone.
    const stopped = new Set(
      rows
        .filter(
          (r) =>
            r.created_at >= freeze.created_at - lookbackMs &&
            ['block', 'contain'].includes(String(detail(r).checked)),
        )
        .map((r) => (r.decision_id.startsWith('dec:') ? r.decision_id.slice(4) : r.decision_id)),
    );
    // Each retraction lists every message of the intruder so far (running totals): count each message
    // once, and none that the check stopped.
    const retractedIds = new Set(
      retracts.flatMap((r) => {
        const ids = detail(r).messageIds;
        return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
      }),
    );
    for (const id of stopped) retractedIds.delete(id);
    const listedAll = retracts.every((r) => {
      const ids = detail(r).messageIds;
      return Array.isArray(ids) && ids.length >= num(detail(r).messages);
    });
    const retractedCount = listedAll
      ? retractedIds.size
      : Math.max(retractedIds.size, ...retracts.map((r) => num(detail(r).messages) - stopped.size));
    let windowStart = starts.length ? Math.min(...starts) : undefined;
    if (windowStart === undefined && opts.compromiseStart) {
      // the intruder's session, as the containment named it (revoke_sessions records it)
      const session = near.map((r) => detail(r).session).find((v): v is string => typeof v === 'string');
      const s = await opts.compromiseStart(accountId, session, freeze.created_at);
      if (s < freeze.created_at) windowStart = s;
    }
    return {
      ...(windowStart !== undefined ? { windowStart } : {}),
      windowEnd: freeze.created_at,
      decision: {
        at: freeze.created_at,
        summary: typeof reason === 'string' && reason ? reason : `rule ${freeze.rule}`,
        ...(Localized.safeParse(detail(freeze).why).success ? { why: detail(freeze).why as Localized } : {}),
      },
      ...(retracts.length ? { retracted: { count: retractedCount, messageIds: [...retractedIds] } } : {}),
      ...(warns.length
        ? { warned: { count: warns.reduce((n, r) => n + num(detail(r).recipients), 0) } }
        : {}),
      ...(stopped.size ? { stopped: [...stopped] } : {}),
    };
  };
}

/**
 * Builds the `longStandingFriends` port from the engine's event log: friends added at least `minAgeMs` ago
 * and not removed since, most recent additions last (at most `max`).
 */
export function longStandingFromEventLog(
  log: AccountEventLog,
  opts: { minAgeMs: number; max?: number; now?: () => number },
): (accountId: string) => Promise<string[]> {
  const now = opts.now ?? Date.now;
  return async (accountId) => {
    const t = now();
    const events = await log.between(accountId, 0, t, { types: ['friend.added', 'friend.removed'] });
    const since = new Map<string, number>();
    for (const e of [...events].sort((a, b) => a.time - b.time)) {
      if (typeof e.friend !== 'string') continue;
      if (e.type === 'friend.added') {
        if (!since.has(e.friend)) since.set(e.friend, e.time);
      } else since.delete(e.friend);
    }
    return [...since]
      .filter(([, at]) => at <= t - opts.minAgeMs)
      .sort((a, b) => a[1] - b[1])
      .slice(0, opts.max ?? 50)
      .map(([f]) => f);
  };
}
