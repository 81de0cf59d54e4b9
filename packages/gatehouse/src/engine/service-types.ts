/** The shapes of the engine service: its options and what ingestion and the pre-send check answer. */
import type { EventRejectionReason, MessageSentEvent } from '@gatehouse/sdk';
import type { Bus } from '../bus/index.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log/index.ts';
import type { Db, Dialect } from '../store/db.ts';
import type { CheckLog } from './check-log.ts';
import type { Engine, EngineOptions } from './engine.ts';
import type { CheckResult, ContentAnalyzer, Decision, EngineEvent } from './types.ts';

export type EventResult =
  | { index: number; id: string | null; status: 'accepted' | 'duplicate' }
  | { index: number; id: string | null; status: 'rejected'; reason: EventRejectionReason; detail: string };

export interface IngestAnswer {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: EventResult[];
}

export interface CheckAnswer {
  id: string;
  verdict: CheckResult['verdict'];
  action: Decision['action'];
  risk: number;
  /** The decision's reasons, after a hold by the response part's gate when there is one. */
  reasons: Array<{ signal: string; en: string; zh: string }>;
  /**
   * Every signal behind a decision that is not a plain allow, with its value and log-odds (the
   * reasons are only the top three, in words): a held or challenged answer explains itself.
   */
  signals?: Array<{ signal: string; value: number | string; logOdds: number }>;
  campaigns: string[];
  duplicate: boolean;
  /**
   * The verdict the check would have given under a policy that enforces the decision; present when the
   * policy only rehearses it (dry-run): the answer is then allow (or a gate's hold).
   */
  rehearsal?: 'hold' | 'block';
}

export interface EngineServiceOptions {
  db: Db;
  bus: Bus;
  log: Logger;
  dataDir: string;
  /** Seconds between snapshots; 0 = only at close. */
  snapshotSeconds: number;
  /** Content analysis (Gatehouse passes its ContentService; default: the pure content/text + content/url functions). */
  content?: ContentAnalyzer;
  engine?: Omit<EngineOptions, 'content'>;
  /** The store's dialect (PostgreSQL appends take an advisory lock; default sqlite). */
  dialect?: Dialect;
  /** The database, so SQLite check-log writes can run on a worker thread with their own connection. */
  database?: Config['database'];
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /** Called after a transaction that appended to the outbox (pokes the outbox drainer). */
  onCommit?: () => void;
  /**
   * Consulted by the pre-send check for messages the engine allows: a reason to hold them anyway
   * (the response part's throttle on an account), or undefined.
   */
  gate?: (
    account: string,
    now: number,
    ev: MessageSentEvent,
  ) => { signal: string; en: string; zh: string } | undefined;
  /**
   * Consulted by the pre-send check for every message, whatever the engine decided: a restriction of
   * the sending session (a probation session writing outside the close circle). Its reason is reported
   * beside the engine's when both hold; it only ever raises allow to hold.
   */
  /**
   * Whether the response policy only rehearses what the decision calls for (its matching rules are
   * dry-run): the check then answers allow and names the verdict it would have given in `rehearsal`,
   * so a Gatehouse switched on in dry-run stops no message.
   */
  rehearses?: (d: Decision) => boolean;
  restrict?: (
    account: string,
    now: number,
    ev: MessageSentEvent,
    /** The engine the check is scored on (an engine worker's partition, or the service's own). */
    engine: Engine,
  ) => { signal: string; en: string; zh: string } | undefined;
  /**
   * Hook: called with every accepted `message.reported` event the consumer applies (the content part
   * records it for its report-learning queue). Must not throw; it is not awaited.
   */
  onReport?: (ev: Extract<EngineEvent, { type: 'message.reported' }>) => void;
  now?: () => number;
  /** Where check batches are written (default: a worker thread on an SQLite file); tests inject one. */
  checkLog?: CheckLog;
}
