import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';
import { bankFromSnapshot, bankFromText, HashBank, isSnapshot } from './image/index.ts';
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
  watchBrands,
  watchDomainList,
  type BrandIndex,
  type DomainList,
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
}

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

  constructor(opts: ContentOptions) {
    this.log = opts.log;
    this.db = opts.db;
    this.modelPath = opts.textModelFile || join(opts.dataDir, 'models', 'text.bin');
    this.model = existsSync(this.modelPath) ? readModelFile(this.modelPath) : loadDefaultTextModel();
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
    if (this.db) {
      await this.db
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
        .execute();
    }
    this.dirty = true;
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, 1000);
    this.saveTimer.unref();
    return { before, after };
  }

  /** Writes the model atomically (temp file, then rename). */
  save(): void {
    if (!this.dirty) return;
    mkdirSync(dirname(this.modelPath), { recursive: true });
    const tmp = `${this.modelPath}.tmp`;
    writeFileSync(tmp, saveModel(this.model));
    renameSync(tmp, this.modelPath);
    this.dirty = false;
    this.log.info({ path: this.modelPath }, 'text model saved');
  }

  close(): void {
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
