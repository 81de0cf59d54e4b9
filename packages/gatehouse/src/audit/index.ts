import { GatehouseError } from '../errors/index.ts';
import { isPostgres, lockAppendOrder, type Db, type Tx } from '../store/db.ts';
import { canonicalJson, entryHash } from './chain.ts';
import { GENESIS_HASH, type AuditLogTable } from './schema.ts';
import { auditStore } from './store.ts';

export { auditMigrations, GENESIS_HASH, type AuditTables } from './schema.ts';
export { canonicalJson, entryHash } from './chain.ts';
export { auditRoutes } from './routes.ts';
export {
  anchorKey,
  publicKeyId,
  signHead,
  exportAnchor,
  readAnchors,
  AnchorSchedule,
  type AnchorLine,
  type AnchorProblem,
} from './anchor.ts';

export interface AuditEntryInput {
  /** Who acted: operatorActor(keyId), accountActor(id), "system" or "cli". */
  actor: string;
  /** What was done, dotted: "account.freeze", "api_key.create", … */
  action: string;
  /** What it was done to (an account id, key id, endpoint id…). */
  subject: string;
  data?: Record<string, unknown>;
  /** Epoch ms; default now. */
  at?: number;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const operatorActor = (keyId: string): string => `key:${keyId}`;
export const accountActor = (accountId: string): string => `account:${accountId}`;

/**
 * Appends one entry to the hash chain inside the caller's transaction, so the entry exists exactly when
 * the action it records does. Appends are serialised (advisory lock on PostgreSQL, single writer on
 * SQLite) and the checkpoint row moves with every append: the chain never forks.
 */
export async function appendAuditInTx(
  tx: Tx,
  entry: AuditEntryInput,
): Promise<{ seq: number; hash: string }> {
  return (await appendAuditManyInTx(tx, [entry]))[0]!;
}

/** Rows per insert statement (8 columns each: well under SQLite's bound on variables). */
const INSERT_ROWS = 100;

/**
 * Appends several entries, in order, to the hash chain inside the caller's transaction: the same
 * entries, links and checkpoint as one `appendAuditInTx` each, in 3 statements instead of 3 per entry
 * (one checkpoint read, the rows in one insert, one checkpoint write). A first containment's steps
 * (seven entries) are recorded so on the event loop the pre-send check shares.
 */
export async function appendAuditManyInTx(
  tx: Tx,
  entries: AuditEntryInput[],
): Promise<Array<{ seq: number; hash: string }>> {
  for (const entry of entries)
    for (const k of ['actor', 'action', 'subject'] as const) {
      const v = entry[k];
      if (typeof v !== 'string' || v.length === 0 || v.length > 200)
        throw new GatehouseError('AUDIT_ENTRY_INVALID', `${k} must be 1-200 characters`);
    }
  if (entries.length === 0) return [];
  await lockAppendOrder(tx);
  const cp = await auditStore.checkpointForUpdate(tx, isPostgres(tx));
  if (!cp) throw new Error('audit checkpoint row is missing (migration 0110_audit not applied?)');
  const rows: AuditLogTable[] = [];
  let head = { seq: cp.head_seq, hash: cp.head_hash };
  const now = Date.now();
  for (const entry of entries) {
    const base = {
      seq: head.seq + 1,
      at: entry.at ?? now,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      data: canonicalJson(entry.data ?? {}),
    };
    const hash = entryHash(head.hash, base);
    rows.push({ ...base, prev_hash: head.hash, hash });
    head = { seq: base.seq, hash };
  }
  for (let i = 0; i < rows.length; i += INSERT_ROWS)
    await auditStore.insertMany(tx, rows.slice(i, i + INSERT_ROWS));
  await auditStore.saveCheckpoint(tx, {
    id: 1,
    head_seq: head.seq,
    head_hash: head.hash,
    count: cp.count + rows.length,
    updated_at: rows[rows.length - 1]!.at,
  });
  return rows.map((r) => ({ seq: r.seq, hash: r.hash }));
}

/** appendAuditInTx as an object, for parts that take an audit dependency (response: AuditSink). */
export const auditSink = {
  async appendInTx(tx: Tx, entry: AuditEntryInput): Promise<void> {
    await appendAuditInTx(tx, entry);
  },
  async appendManyInTx(tx: Tx, entries: AuditEntryInput[]): Promise<void> {
    await appendAuditManyInTx(tx, entries);
  },
};

/** `forged_anchor`: a line of an anchor file whose signature does not verify. */
export type TamperKind = 'modified' | 'deleted' | 'inserted' | 'truncated' | 'forged_anchor';

export interface AuditProblem {
  kind: TamperKind;
  /** Where: the first seq concerned. */
  seq: number;
  expected: string;
  found: string;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Rows read. */
  count: number;
  head: { seq: number; hash: string };
  checkpoint: { seq: number; hash: string; count: number };
  problems: AuditProblem[];
}

function view(r: AuditLogTable): AuditEntry {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(r.data) as Record<string, unknown>;
  } catch {
    data = { unparseable: r.data };
  }
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    data,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Reading and verifying the audit log. Appending goes through appendAuditInTx only. */
export class AuditService {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  async append(entry: AuditEntryInput): Promise<{ seq: number; hash: string }> {
    return this.db.transaction().execute((tx) => appendAuditInTx(tx, entry));
  }

  async list(opts: { subject?: string; after?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
    return (await auditStore.list(this.db, { ...opts, limit })).map(view);
  }

  async head(): Promise<{ seq: number; hash: string; count: number }> {
    const cp = await auditStore.checkpoint(this.db);
    return { seq: cp?.head_seq ?? 0, hash: cp?.head_hash ?? GENESIS_HASH, count: cp?.count ?? 0 };
  }

  /**
   * Recomputes the whole chain. Each row must (1) follow the previous seq without a gap, (2) name the
   * previous row's hash as prev_hash and (3) hash to its stored hash; the last row must be the
   * checkpoint's head. Every break is reported with its seq, what was expected and what was found.
   */
  async verify(
    opts: {
      pageSize?: number;
      anchors?: Array<{ seq: number; hash: string }>;
      /** Lines of anchor files that did not verify (they are problems too). */
      anchorProblems?: Array<{ file: string; line: number; detail: string }>;
    } = {},
  ): Promise<VerifyReport> {
    const anchors = new Map((opts.anchors ?? []).map((a) => [a.seq, a.hash]));
    const problems: AuditProblem[] = (opts.anchorProblems ?? []).map((p) => ({
      kind: 'forged_anchor' as const,
      seq: 0,
      expected: 'a line signed with the anchor key',
      found: `${p.file} line ${p.line}`,
      detail: `anchor ${p.file} line ${p.line}: ${p.detail}`,
    }));
    let prevHash = GENESIS_HASH;
    let prevSeq = 0;
    let count = 0;
    const pageSize = opts.pageSize ?? 1000;
    // A live system appends while it is verified. The checkpoint moves in the same transaction as each
    // append, so each round checks the rows up to a head read before it (a busy log cannot keep the scan
    // going for ever); rows past it are then either newer appends (the head has moved on: check them in
    // the next round) or rows added behind the log's back (the head has not: reported below).
    let cp = await this.head();
    let limit = cp.seq;
    for (let round = 0; ; round++) {
      scan: for (;;) {
        const rows = await auditStore.page(this.db, prevSeq, pageSize);
        if (rows.length === 0) break;
        for (const r of rows) {
          if (r.seq > limit) break scan;
          count++;
          if (r.seq !== prevSeq + 1) {
            problems.push({
              kind: 'deleted',
              seq: prevSeq + 1,
              expected: `seq ${prevSeq + 1}`,
              found: `seq ${r.seq}`,
              detail: `row${r.seq - prevSeq > 2 ? 's' : ''} ${prevSeq + 1}${r.seq - prevSeq > 2 ? `..${r.seq - 1}` : ''} missing before seq ${r.seq}`,
            });
          } else if (r.prev_hash !== prevHash) {
            problems.push({
              kind: 'inserted',
              seq: r.seq,
              expected: prevHash,
              found: r.prev_hash,
              detail: `seq ${r.seq} does not link to seq ${prevSeq}: it was forged or inserted, or seq ${prevSeq} was replaced with a recomputed hash`,
            });
          }
          const computed = entryHash(r.prev_hash, r);
          if (computed !== r.hash) {
            problems.push({
              kind: 'modified',
              seq: r.seq,
              expected: computed,
              found: r.hash,
              detail: `seq ${r.seq} was changed after it was written: its content hashes to ${computed.slice(0, 12)}…, the stored hash is ${r.hash.slice(0, 12)}…`,
            });
          }
          const anchored = anchors.get(r.seq);
          if (anchored !== undefined) {
            anchors.delete(r.seq);
            if (anchored !== r.hash)
              problems.push({
                kind: 'modified',
                seq: r.seq,
                expected: anchored,
                found: r.hash,
                detail: `seq ${r.seq} does not match the head recorded outside the database: the chain was rewritten up to here`,
              });
          }
          prevHash = r.hash;
          prevSeq = r.seq;
        }
      }
      if ((await auditStore.page(this.db, prevSeq, 1)).length === 0) break;
      const next = await this.head();
      if (next.seq <= cp.seq) {
        // nothing was appended through the log, yet rows follow: check them all, report them below
        if (limit === Infinity) break;
        limit = Infinity;
      } else if (round >= 20) break;
      else {
        cp = next;
        limit = next.seq;
      }
    }
    for (const [seq, hash] of anchors)
      problems.push({
        kind: seq > prevSeq ? 'truncated' : 'deleted',
        seq,
        expected: hash,
        found: 'no row',
        detail: `seq ${seq}, recorded outside the database, is gone`,
      });
    if (cp.seq > prevSeq) {
      problems.push({
        kind: 'truncated',
        seq: prevSeq + 1,
        expected: `head seq ${cp.seq} hash ${cp.hash}`,
        found: `last seq ${prevSeq} hash ${prevHash}`,
        detail: `rows ${prevSeq + 1}..${cp.seq} were deleted from the tail (the checkpoint records head seq ${cp.seq})`,
      });
    } else if (cp.seq < prevSeq) {
      problems.push({
        kind: 'inserted',
        seq: cp.seq + 1,
        expected: `head seq ${cp.seq} hash ${cp.hash}`,
        found: `last seq ${prevSeq} hash ${prevHash}`,
        detail: `rows ${cp.seq + 1}..${prevSeq} were added behind the log's back (the checkpoint records head seq ${cp.seq})`,
      });
    } else if (cp.hash !== prevHash) {
      problems.push({
        kind: 'modified',
        seq: cp.seq,
        expected: cp.hash,
        found: prevHash,
        detail: `the head row seq ${cp.seq} does not match the checkpoint: the chain was rewritten`,
      });
    }
    return {
      ok: problems.length === 0,
      count,
      head: { seq: prevSeq, hash: prevHash },
      checkpoint: { seq: cp.seq, hash: cp.hash, count: cp.count },
      problems,
    };
  }
}
