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
 * The per-app data-access log. Every resource read is recorded, and durably before it is answered:
 * `record` settles only after the transaction holding its row has committed, and a read whose row cannot
 * be written fails (the app gets an error, not the data). Reads share commits (group commit): the reads
 * of one event-loop turn (or of `flushMs`, when set) and those that arrive while a write is under way go
 * in one transaction with one `app.access` bus event per app and user, so a read costs no commit of its
 * own under load.
 */
/**
 * The drainer is poked at most this often by the log. Its events are notices (the rows are the record)
 * and the drainer's own poll (`outboxPollMs`, 200 ms by default) publishes them anyway: the poke only
 * bounds the delay when that poll is set slower. A drain costs a read of the outbox and, every fifth poll
 * period, a write; at 50 ms a busy userinfo endpoint paid 20 drains a second (~15 % of its CPU per read,
 * measured with the drainer's poke switched off, five interleaved pairs).
 */
const POKE_MS = 1000;

export class AccessLog {
  private pending: AccessRecord[] = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private readonly db: Db;
  private readonly flushMs: number;
  private readonly log: Logger | undefined;
  private readonly onCommit: (() => void) | undefined;
  private lastPoke = 0;
  private pokeTimer: NodeJS.Timeout | undefined;
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

  /** Records a read; settles once its row is committed (answer the read only then). */
  record(r: AccessRecord): Promise<void> {
    const network = networkOf(r.ip);
    for (const l of this.listeners) {
      try {
        l({ ...r, network });
      } catch (err) {
        this.log?.error({ err }, 'access-log listener failed');
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push(r);
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** A write soon: next turn (or after `flushMs`); a write under way takes the rest when it ends. */
  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      void this.flush();
    };
    if (this.flushMs > 0) setTimeout(go, this.flushMs);
    else setImmediate(go);
  }

  /** Writes everything recorded so far (never throws: a failed write fails the reads that waited on it). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    this.flushing = this.write(batch)
      .then(
        () => waiters.forEach((w) => w.resolve()),
        (err: unknown) => {
          this.log?.error({ err, entries: batch.length }, 'access log write failed; those reads fail');
          waiters.forEach((w) => w.reject(err));
        },
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.pending.length > 0) this.schedule();
      });
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
    this.poke();
  }

  /** The outbox drainer told of new `app.access` events, at most every POKE_MS (a poke is a drain). */
  private poke(): void {
    if (!this.onCommit || this.pokeTimer) return;
    const wait = this.lastPoke + POKE_MS - Date.now();
    if (wait <= 0) {
      this.lastPoke = Date.now();
      this.onCommit();
      return;
    }
    this.pokeTimer = setTimeout(() => {
      this.pokeTimer = undefined;
      this.lastPoke = Date.now();
      this.onCommit?.();
    }, wait);
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.pokeTimer) {
      clearTimeout(this.pokeTimer);
      this.pokeTimer = undefined;
      this.onCommit?.();
    }
  }
}
