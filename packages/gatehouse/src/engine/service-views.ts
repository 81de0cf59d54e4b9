/**
 * Read views over the event log for other parts: what an account sent (the response part's
 * MessageLog; messages that left the account, not those the pre-send check stopped) and an account's events over a time window (recovery).
 */
import type { MessageSentEvent } from '@gatehouse/sdk';
import type { Db } from '../store/db.ts';
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

export function createMessageLog(
  db: Db,
  sessionStart: (session: string) => number | undefined,
  suspectSession: (account: string) => string | undefined = () => undefined,
): MessageLogView {
  return {
    async sentBy(account, o) {
      // a message the pre-send check stopped (block or contain) reached nobody: it is never retracted
      // nor its recipients warned (issue 20); the query leaves those out
      const rows = await engineStore.deliveredSince(db, account, o.since, o.session ? o.limit * 4 : o.limit);
      const out: SentMessage[] = [];
      for (const r of rows) {
        const m = JSON.parse(r.payload) as MessageSentEvent;
        if (o.session !== undefined && m.session !== o.session) continue;
        out.push({
          id: m.messageId ?? m.id,
          time: m.time,
          ...(m.session !== undefined ? { session: m.session } : {}),
          recipients: m.recipients ?? [],
          ...(m.group ? { group: { id: m.group.id, memberCount: m.group.memberCount ?? 0 } } : {}),
        });
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
