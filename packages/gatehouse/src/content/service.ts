import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatehouseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import { bankFromSnapshot, bankFromText, HashBank, isSnapshot } from './image/index.ts';
import { LoginQrMatcher } from './qr/index.ts';
import {
  DEFAULT_REPORT_POLICY,
  quorum,
  reportTextKey,
  type QuorumResult,
  type ReportPolicy,
} from './reports.ts';
import { LabelFollower } from './follow.ts';
import { contentStore, type QueueItem } from './store.ts';
import {
  learn,
  loadDefaultTextModel,
  readModelFile,
  saveModel,
  scoreProbability,
  scoreText,
  type TextModel,
  type TextScore as FullTextScore,
} from './text/index.ts';
import {
  analyzeText,
  emptyList,
  SplitLinkBuffer,
  watchBrands,
  watchDomainList,
  type BrandIndex,
  type DomainList,
  type SplitLinks,
  type UrlContext,
  type Watched,
} from './url/index.ts';

export interface ContentOptions {
  dataDir: string;
  /** Text model file; empty: <dataDir>/models/text.bin when present (online-learned), else the shipped model. */
  textModelFile: string;
  brandsFile: string;
  blocklistFile: string;
  allowlistFile: string;
  imageBankFile: string;
  log: Logger;
  db?: Db;
  /** When reported texts go to the operator review queue (default: 3 reporters, weight 1.5). */
  reportPolicy?: ReportPolicy;
  /** The platform's QR-login URL prefixes (intent login_qr_shared), read on each use. */
  loginQrUrls?: () => readonly string[];
  /** Follow the labels other processes write to the shared database every this many ms (0: off). */
  followLabelsMs?: number;
}

/** A user report as the content part reads it (the platform's `message.reported` event). */
export interface UserReport {
  /** The reported message (its event id). */
  messageId: string;
  /** The reporting account. */
  reporter: string;
  /** The account that sent the message. */
  sender: string;
  reason: string;
  at: number;
}

export type ReportOutcome =
  | { status: 'unknown_message' | 'no_database' }
  | { status: 'duplicate' | 'recorded' | 'queued'; quorum: QuorumResult };

export const DEFAULT_BRANDS_FILE = fileURLToPath(
  new URL('../../config/brands.example.json', import.meta.url),
);

/**
 * The content part inside a running Gatehouse: the text model (with online learning from operator
 * labels, persisted to the data directory), protected brands and block/allow lists reloaded on change,
 * and the image hash bank. The scoring itself stays in the pure functions of text/, url/ and image/.
 */
export class ContentService {
  model: TextModel;
  readonly modelPath: string;
  readonly bank: HashBank;
  private readonly brands: Watched<BrandIndex>;
  private readonly block: Watched<DomainList> | undefined;
  private readonly allow: Watched<DomainList> | undefined;
  private readonly log: Logger;
  private readonly db: Db | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private dirty = false;
  /** The learned model file could not be read: `start()` learns the stored labels again. */
  private relearnLabels = false;
  private followMs = 0;
  private readonly follower: LabelFollower | undefined;
  private savedPosition: number | undefined;
  private readonly splitLinks = new SplitLinkBuffer();
  readonly reportPolicy: ReportPolicy;
  /** Finds the platform's QR-login links in messages (images' QR text, text, links, wording). */
  readonly loginQr: LoginQrMatcher;

  constructor(opts: ContentOptions) {
    this.log = opts.log;
    this.db = opts.db;
    this.reportPolicy = opts.reportPolicy ?? DEFAULT_REPORT_POLICY;
    this.loginQr = new LoginQrMatcher(opts.loginQrUrls ?? (() => []));
    this.modelPath = opts.textModelFile || join(opts.dataDir, 'models', 'text.bin');
    this.model = this.openModel(Boolean(opts.textModelFile));
    const onError = (what: string) => (err: unknown) =>
      this.log.error({ err: (err as Error).message }, `${what} reload failed; keeping the previous one`);
    this.brands = watchBrands(opts.brandsFile || DEFAULT_BRANDS_FILE, { onError: onError('brands') });
    this.block = opts.blocklistFile
      ? watchDomainList(opts.blocklistFile, { onError: onError('blocklist') })
      : undefined;
    this.allow = opts.allowlistFile
      ? watchDomainList(opts.allowlistFile, { onError: onError('allowlist') })
      : undefined;
    this.bank = opts.imageBankFile ? loadBank(opts.imageBankFile) : new HashBank();
    if (opts.db && opts.followLabelsMs) {
      this.follower = new LabelFollower({
        db: opts.db,
        log: this.log,
        seqFile: `${this.modelPath}.seq`,
        apply: (l) => {
          learn(this.model, l.text, l.label, l.source ?? undefined);
          this.markDirty();
        },
      });
      this.followMs = opts.followLabelsMs;
      // after the labels are learned again, when they must be (start)
      if (!this.relearnLabels) this.follower.start(opts.followLabelsMs);
    }
  }

  /**
   * The model to start from. An operator's own model file must load (a bad one stops the start with
   * TEXT_MODEL_INVALID). The online-learned file in the data directory is only a cache of the shipped
   * model plus the labels in `content_labels`: when it cannot be read — written by a build with another
   * feature version, or damaged — it is set aside (renamed, never deleted), the shipped model is used,
   * and `start()` learns every label again.
   */
  private openModel(operatorFile: boolean): TextModel {
    if (!existsSync(this.modelPath)) return loadDefaultTextModel();
    try {
      return readModelFile(this.modelPath);
    } catch (err) {
      if (operatorFile || !(err instanceof GatehouseError) || err.code !== 'TEXT_MODEL_INVALID') throw err;
      const aside = `${this.modelPath}.unreadable-${Date.now()}`;
      renameSync(this.modelPath, aside);
      rmSync(`${this.modelPath}.seq`, { force: true });
      this.relearnLabels = true;
      this.log.warn(
        { path: this.modelPath, setAside: aside, err: err.message },
        'learned text model unreadable; starting from the shipped model and learning every label again',
      );
      return loadDefaultTextModel();
    }
  }

  /** Learns every stored label again (after the learned model was set aside); returns how many. */
  async start(): Promise<number> {
    if (!this.relearnLabels || !this.db) return 0;
    this.relearnLabels = false;
    let from = 0;
    let n = 0;
    for (;;) {
      const rows = await contentStore.labelsAfter(this.db, from, 1000);
      if (rows.length === 0) break;
      for (const r of rows) learn(this.model, r.text, r.label === 1 ? 1 : 0, r.source ?? undefined);
      from = Number(rows[rows.length - 1]!.seq);
      n += rows.length;
    }
    this.follower?.resumeAfter(from);
    if (this.followMs) this.follower?.start(this.followMs);
    if (n > 0) this.markDirty();
    this.log.info({ labels: n }, 'text model: labels learned again');
    return n;
  }

  /** Applies the labels other processes wrote since the last time (also runs on its own timer). */
  async followLabels(): Promise<number> {
    return (await this.follower?.follow()) ?? 0;
  }

  urlContext(): UrlContext {
    return {
      brands: this.brands.current(),
      block: this.block?.current() ?? emptyList(),
      allow: this.allow?.current() ?? emptyList(),
    };
  }

  /** The full explanation for operators: top features, intents with spans, evasion flags. */
  explainText(text: string, source?: string): FullTextScore {
    return scoreText(this.model, text, { top: 10, ...(source ? { source } : {}) });
  }

  /** Every URL in a text with its full analysis (verdict, brand, reasons in en/zh) — the operator view. */
  analyzeUrls(text: string) {
    return analyzeText(text, this.urlContext()).urls;
  }

  /**
   * Links split across this message and the same sender's previous one in the same conversation
   * (a group id, or the recipient for a direct message). Call once per message, in order; the
   * per-conversation tail buffer is bounded (url/split.ts). The engine's message path calls it
   * (engine/content.ts) and judges the joined text.
   */
  linksAcrossMessages(sender: string, conversation: string, text: string, at: number): SplitLinks {
    return this.splitLinks.takeJoined(sender, conversation, text, at, () => this.urlContext());
  }

  /** A bank match for a 64-hex value: an exact SHA-256 entry, else the nearest PDQ hash within 31 bits. */
  matchImage(hash: string): { label: string; distance: number } | undefined {
    if (!/^[0-9a-f]{64}$/i.test(hash)) return undefined;
    const exact = this.bank.sha256.match(hash.toLowerCase());
    if (exact.length) return { label: exact[0]!.label, distance: 0 };
    const near = this.bank.pdq.match(hash.toLowerCase());
    if (!near.length) return undefined;
    const best = near.reduce((a, b) => (b.distance < a.distance ? b : a));
    return { label: best.label, distance: best.distance };
  }

  /**
   * An operator confirms (1) or rejects (0) a verdict on a text: the model learns it at once, the label is
   * recorded, and the model file is saved shortly after (and at close).
   */
  async label(
    text: string,
    label: 0 | 1,
    actor: string,
    source?: string,
  ): Promise<{ before: number; after: number }> {
    const before = scoreProbability(this.model, text, source);
    learn(this.model, text, label, source);
    const after = scoreProbability(this.model, text, source);
    const db = this.db;
    if (db) {
      const write = async () =>
        (
          await db
            .insertInto('content_labels')
            .values({
              text_sha256: createHash('sha256').update(text).digest('hex'),
              text: text.slice(0, 4096),
              label,
              source: source ?? null,
              actor,
              score_before: before,
              score_after: after,
              at: Date.now(),
            })
            .returning('seq')
            .executeTakeFirst()
        )?.seq;
      if (this.follower) await this.follower.ownLabel(write);
      else await write();
    }
    this.markDirty();
    return { before, after };
  }

  private markDirty(): void {
    this.dirty = true;
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, 1000);
    this.saveTimer.unref();
  }

  /**
   * A user's report on a message (reports.ts): recorded with the reported text's key; when the
   * independent, reputation-weighted reports on that text reach the quorum it is queued for an
   * operator. Nothing is learned here.
   */
  async receiveReport(r: UserReport): Promise<ReportOutcome> {
    if (!this.db) return { status: 'no_database' };
    const text = await contentStore.reportedText(this.db, r.messageId, r.sender);
    if (text === undefined) return { status: 'unknown_message' };
    const textKey = reportTextKey(text);
    const added = await contentStore.addReport(this.db, { ...r, textKey });
    const q = quorum(await contentStore.votes(this.db, textKey), this.reportPolicy);
    if (!added) return { status: 'duplicate', quorum: q };
    if (!q.reached) return { status: 'recorded', quorum: q };
    await contentStore.enqueue(this.db, {
      textKey,
      text,
      reporters: q.reporters,
      weight: q.weight,
      at: r.at,
    });
    return { status: 'queued', quorum: q };
  }

  /** The operator review queue. */
  async reportQueue(
    status: 'pending' | 'confirmed' | 'rejected' = 'pending',
    limit = 100,
  ): Promise<QueueItem[]> {
    if (!this.db) return [];
    return contentStore.queue(this.db, status, limit);
  }

  /**
   * An operator decides a queued text: `spam` teaches the model (an operator label, recorded in
   * content_labels) and raises the reporters' reputation; `ham` teaches nothing and lowers it.
   */
  async decideReport(id: number, verdict: 'spam' | 'ham', actor: string): Promise<QueueItem> {
    const db = this.db;
    const item = db ? await contentStore.item(db, id) : undefined;
    if (!db || !item) throw new GatehouseError('REPORT_NOT_FOUND', `no reported text ${id}`);
    const ok = await contentStore.decide(
      db,
      id,
      verdict === 'spam' ? 'confirmed' : 'rejected',
      actor,
      Date.now(),
    );
    if (!ok)
      throw new GatehouseError('REPORT_ALREADY_DECIDED', `reported text ${id} is already ${item.status}`);
    if (verdict === 'spam') await this.label(item.text, 1, actor);
    return (await contentStore.item(db, id))!;
  }

  /** Writes the model atomically (temp file, then rename). */
  save(): void {
    // how far this model has followed the shared labels (a restart catches up from there)
    const position = this.follower?.position;
    const moved = position !== undefined && position !== this.savedPosition;
    if (!this.dirty && !moved) return;
    mkdirSync(dirname(this.modelPath), { recursive: true });
    if (this.dirty) {
      const tmp = `${this.modelPath}.tmp`;
      writeFileSync(tmp, saveModel(this.model));
      renameSync(tmp, this.modelPath);
      this.dirty = false;
      this.log.info({ path: this.modelPath }, 'text model saved');
    }
    if (moved) {
      writeFileSync(`${this.modelPath}.seq`, String(position));
      this.savedPosition = position;
    }
  }

  close(): void {
    this.follower?.stop();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.save();
    this.brands.close();
    this.block?.close();
    this.allow?.close();
  }
}

function loadBank(path: string): HashBank {
  const bytes = readFileSync(path);
  return isSnapshot(bytes) ? bankFromSnapshot(bytes) : bankFromText(bytes.toString('utf8'));
}
