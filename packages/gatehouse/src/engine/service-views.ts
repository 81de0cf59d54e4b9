/**
 * Read views over the event log for other parts: what an account sent (the response part's
 * MessageLog; messages that left the account, not those the pre-send check stopped) and an account's events over a time window (recovery).
 */
import type { MessageSentEvent } from '@gatehouse/sdk';
import { isPostgres, type Db } from '../store/db.ts';
import { engineStore } from './store.ts';

export interface SentMessage {
  id: string;
  time: number;
  session?: string;
  recipients: string[];
  group?: { id: string; memberCount: number };
}

export interface MessageLogView {
  sentBy(account: string, o: { session?: string; since: number; limit: number }): Promise<SentMessage[]>;
  /** The intruder session's sign-in (named, else the account's latest session from a new device or network), else the first risky decision in the last 24 h, else decidedAt. */
  compromiseStart(account: string, session: string | undefined, decidedAt: number): Promise<number>;
}

export interface EventLogView {
  between(
    account: string,
    from: number,
    to: number,
    o?: { types?: readonly string[]; limit?: number },
  ): Promise<Array<{ id: string; type: string; time: number; account: string; [k: string]: unknown }>>;
}

/** Accounts whose delivered messages are remembered between reads, and for how long unused. */
const SENT_CACHE_ACCOUNTS = 2_000;
const SENT_CACHE_IDLE_MS = 10 * 60_000;
/** Above this many messages since the compromise, an account is read in full each time (as on PostgreSQL). */
const SENT_CACHE_ROWS = 10_000;
const SENT_PAGE = 1_000;

interface SentRow {
  seq: number;
  m: SentMessage;
}

/**
 * What an account sent, for the response part. A contained account's later messages are handled in
 * batches, and each batch plans its retraction from everything the account sent since the compromise
 * began; reading all of it again for every batch made a mass incident quadratic. On SQLite (one
 * writer: the log's seq order is its commit order, and a message stopped by the pre-send check is
 * written with its decision) what was read is remembered per account and only rows appended after the
 * last one read (delivered or stopped) are read again, so every batch still sees exactly what a full
 * read would. On PostgreSQL, where concurrent transactions may commit out of seq order, every read is
 * a full one.
 */
export function createMessageLog(
  db: Db,
  sessionStart: (session: string) => number | undefined,
  suspectSession: (account: string) => string | undefined = () => undefined,
): MessageLogView {
  const incremental = !isPostgres(db);
  const cache = new Map<string, { since: number; lastSeq: number; rows: SentRow[]; used: number }>();
  // one read of an account at a time: two interleaved reads would both append the same new rows
  const turns = new Map<string, Promise<unknown>>();
  const inTurn = <T>(account: string, fn: () => Promise<T>): Promise<T> => {
    const next = (turns.get(account) ?? Promise.resolve()).then(fn, fn);
    const settled = next.catch(() => undefined);
    turns.set(account, settled);
    void settled.then(() => {
      if (turns.get(account) === settled) turns.delete(account);
    });
    return next;
  };
  const parse = (r: { seq: number; payload: string }): SentRow => {
    const m = JSON.parse(r.payload) as MessageSentEvent;
    return {
      seq: r.seq,
      m: {
        id: m.messageId ?? m.id,
        time: m.time,
        ...(m.session !== undefined ? { session: m.session } : {}),
        recipients: m.recipients ?? [],
        ...(m.group ? { group: { id: m.group.id, memberCount: m.group.memberCount ?? 0 } } : {}),
      },
    };
  };
  /** Every delivered message of `account` since `since`, in log order, or undefined when too many. */
  const remembered = async (account: string, since: number): Promise<SentRow[] | undefined> => {
    const now = Date.now();
    let c = cache.get(account);
    if (c && (c.since > since || now - c.used > SENT_CACHE_IDLE_MS)) c = undefined;
    c ??= { since, lastSeq: 0, rows: [], used: now };
    for (;;) {
      const page = await engineStore.sentAfter(db, account, c.since, c.lastSeq, SENT_PAGE);
      for (const r of page) {
        c.lastSeq = r.seq;
        if (!r.stopped) c.rows.push(parse(r));
      }
      if (c.rows.length > SENT_CACHE_ROWS) {
        cache.delete(account);
        return undefined;
      }
      if (page.length < SENT_PAGE) break;
    }
    c.used = now;
    cache.delete(account);
    cache.set(account, c);
    if (cache.size > SENT_CACHE_ACCOUNTS) cache.delete(cache.keys().next().value!);
    return c.since === since ? c.rows : c.rows.filter((r) => r.m.time >= since);
  };
  return {
    async sentBy(account, o) {
      // a message the pre-send check stopped (block or contain) reached nobody: it is never retracted
      // nor its recipients warned (issue 20); the query leaves those out
      const scan = o.session ? o.limit * 4 : o.limit;
      let rows = incremental ? await inTurn(account, () => remembered(account, o.since)) : undefined;
      if (rows && rows.length > scan) rows = rows.slice(0, scan);
      rows ??= (await engineStore.deliveredSince(db, account, o.since, scan)).map(parse);
      const out: SentMessage[] = [];
      for (const { m } of rows) {
        if (o.session !== undefined && m.session !== o.session) continue;
        out.push(m);
        if (out.length >= o.limit) break;
      }
      return out;
    },
    async compromiseStart(account, session, decidedAt) {
      const id = session ?? suspectSession(account);
      const s = id !== undefined ? sessionStart(id) : undefined;
      if (s !== undefined && s <= decidedAt && s >= decidedAt - 24 * 3_600_000) return s;
      const first = await engineStore.firstDecisionSince(db, account, decidedAt - 24 * 3_600_000);
      return first !== undefined && first <= decidedAt ? first : decidedAt;
    },
  };
}

export function createEventLog(db: Db): EventLogView {
  return {
    async between(account, from, to, o = {}) {
      const rows = await engineStore.eventsBetween(
        db,
        account,
        from,
        to,
        o.types,
        Math.min(Math.max(o.limit ?? 10_000, 1), 10_000),
      );
      return rows.map((r) => ({
        ...(JSON.parse(r.payload) as Record<string, unknown>),
        id: r.id,
        type: r.type,
        time: r.time,
        account,
      }));
    },
  };
}
