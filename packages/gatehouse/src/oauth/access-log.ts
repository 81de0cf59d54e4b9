import { newEventId, outboxStore } from '../bus/index.ts';
import { networkOf } from '../engine/index.ts';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import type { Selectable } from 'kysely';
import type { OAuthAccessLogTable } from './schema.ts';
import { oauthStore as q } from './store.ts';

export interface AccessRecord {
  client: string;
  account: string;
  grant: string | null;
  /** "userinfo", "profile" or "friends". */
  resource: string;
  fields: string[];
  ip: string;
  at: number;
}

export interface AccessEntry {
  seq: number;
  client: string;
  resource: string;
  fields: string[];
  ip: string;
  network: string;
  at: number;
}

export function accessEntry(r: Selectable<OAuthAccessLogTable>): AccessEntry {
  return {
    seq: r.seq,
    client: r.client_id,
    resource: r.resource,
    fields: JSON.parse(r.fields) as string[],
    ip: r.ip,
    network: r.network,
    at: r.at,
  };
}

/**
 * The per-app data-access log. Every resource read is recorded; rows are written in batches (one
 * transaction per flush, every `flushMs` or 500 reads) together with one `app.access` bus event per app
 * and user in the batch, so a read costs no fsync of its own. A graceful stop writes what is pending; a
 * crash loses at most the last `flushMs` of entries.
 */
export class AccessLog {
  private pending: AccessRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly db: Db;
  private readonly flushMs: number;
  private readonly log: Logger | undefined;
  private readonly onCommit: (() => void) | undefined;
  private readonly listeners: Array<(r: AccessRecord & { network: string }) => void> = [];

  constructor(db: Db, opts: { flushMs: number; log?: Logger; onCommit?: () => void }) {
    this.db = db;
    this.flushMs = opts.flushMs;
    this.log = opts.log;
    this.onCommit = opts.onCommit;
  }

  /** Called for every read as it happens (the anomaly detectors). */
  onRecord(fn: (r: AccessRecord & { network: string }) => void): void {
    this.listeners.push(fn);
  }

  record(r: AccessRecord): void {
    this.pending.push(r);
    const network = networkOf(r.ip);
    for (const l of this.listeners) {
      try {
        l({ ...r, network });
      } catch (err) {
        this.log?.error({ err }, 'access-log listener failed');
      }
    }
    if (this.pending.length >= 500) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything recorded so far. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.write(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async write(batch: AccessRecord[]): Promise<void> {
    const events = new Map<
      string,
      { id: string; time: number; account: string; client: string; fields: Set<string>; reads: number }
    >();
    for (const r of batch) {
      const key = `${r.client}|${r.account}`;
      const e = events.get(key);
      if (e) {
        e.fields.add(r.resource);
        for (const f of r.fields) e.fields.add(f);
        e.reads += 1;
        e.time = r.at;
      } else
        events.set(key, {
          id: newEventId(),
          time: r.at,
          account: r.account,
          client: r.client,
          fields: new Set(r.fields),
          reads: 1,
        });
    }
    try {
      await this.db.transaction().execute(async (tx) => {
        await q.insertAccess(
          tx,
          batch.map((r) => ({
            client_id: r.client,
            account_id: r.account,
            grant_id: r.grant,
            resource: r.resource,
            fields: JSON.stringify(r.fields),
            ip: r.ip,
            network: networkOf(r.ip),
            at: r.at,
          })),
        );
        await outboxStore.append(
          tx,
          [...events.values()].map((e) => ({
            ...e,
            type: 'app.access' as const,
            fields: [...e.fields].sort(),
          })),
        );
      });
      this.onCommit?.();
    } catch (err) {
      // put them back for the next flush: a read is never silently dropped while the process lives
      this.pending = [...batch, ...this.pending];
      this.log?.error({ err, entries: batch.length }, 'access log write failed; will retry');
      if (!this.timer) {
        this.timer = setTimeout(() => void this.flush(), this.flushMs * 5);
        this.timer.unref();
      }
    }
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
  }
}
