import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../store/db.ts';
import { outboxStore } from './store.ts';

/**
 * Who may drain the outbox when several processes share one PostgreSQL (several dispatchers): one
 * drainer at a time holds the drain lease, so each committed event reaches one process's bus, in
 * commit order. The others stand by and try on every poll; a dead holder's lease lapses after `ttlMs`
 * (database clock) and the next poll of another drainer takes it and publishes, from the last recorded
 * position, whatever the dead one had not recorded (at least once, as after any crash). A clean stop
 * gives it up at once. SQLite (one process) drains without one.
 */
export class DrainLease {
  readonly owner: string;
  readonly ttlMs: number;
  private readonly db: Db;

  constructor(db: Db, ttlMs: number, owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`) {
    this.db = db;
    this.ttlMs = ttlMs;
    this.owner = owner;
  }

  /** Takes or renews the lease; true while this drainer holds it. */
  hold(): Promise<boolean> {
    return outboxStore.holdDrainLease(this.db, this.owner, this.ttlMs);
  }

  release(): Promise<void> {
    return outboxStore.releaseDrainLease(this.db, this.owner);
  }
}
