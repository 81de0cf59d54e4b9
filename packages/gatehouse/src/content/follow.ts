import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from '../log/index.ts';
import type { Db } from '../store/db.ts';

/** A label as every process applies it. */
export interface SharedLabel {
  seq: number;
  text: string;
  label: 0 | 1;
  source: string | null;
}

/**
 * Learned state shared by every process on one database: operator labels (and report-driven ones, which
 * are operator labels of reported texts) are rows of `content_labels`, numbered by `seq`. Each process
 * learns its own labels at once and follows the table for the others' (every `intervalMs`, in `seq`
 * order), so every process's model learns every label, once. How far a model has followed is saved
 * beside the model file (`<model>.seq`), so a restarted process catches up on what it missed; a model
 * without one starts from the labels present at start.
 *
 * Labelling and following take turns (one chain), so a label this process just wrote is known as its
 * own before the follower can read it.
 */
export class LabelFollower {
  private readonly db: Db;
  private readonly apply: (l: SharedLabel) => void;
  private readonly log: Pick<Logger, 'error'>;
  private readonly seqFile: string;
  private readonly own = new Set<number>();
  private applied: number | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(opts: {
    db: Db;
    apply: (l: SharedLabel) => void;
    log: Pick<Logger, 'error'>;
    /** Where the followed position is saved (beside the model). */
    seqFile: string;
  }) {
    this.db = opts.db;
    this.apply = opts.apply;
    this.log = opts.log;
    this.seqFile = opts.seqFile;
  }

  /** Follows every `intervalMs` (> 0). */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.follow().catch((err: unknown) =>
        this.log.error({ err: (err as Error).message }, 'following content labels failed; will retry'),
      );
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs `write` (which inserts this process's label and returns its seq) in turn with following. */
  async ownLabel(write: () => Promise<number | undefined>): Promise<void> {
    await this.turn(async () => {
      const seq = await write();
      if (seq !== undefined) this.own.add(Number(seq));
    });
  }

  /** Applies every label of other processes not applied yet; returns how many. */
  follow(): Promise<number> {
    return this.turn(async () => {
      const from = this.applied ?? (await this.startingPoint());
      const rows = await this.db
        .selectFrom('content_labels')
        .select(['seq', 'text', 'label', 'source'])
        .where('seq', '>', from)
        .orderBy('seq')
        .limit(500)
        .execute();
      let n = 0;
      let last = from;
      for (const r of rows) {
        const seq = Number(r.seq);
        last = seq;
        if (this.own.delete(seq)) continue;
        this.apply({ seq, text: r.text, label: r.label === 1 ? 1 : 0, source: r.source });
        n++;
      }
      this.applied = last;
      return n;
    });
  }

  /** The model already holds every label up to `seq` (it learned them again from the table). */
  resumeAfter(seq: number): void {
    this.applied = Math.max(this.applied ?? 0, seq);
  }

  /** The position to save with the model. */
  get position(): number | undefined {
    return this.applied;
  }

  private async startingPoint(): Promise<number> {
    if (existsSync(this.seqFile)) {
      const v = Number(readFileSync(this.seqFile, 'utf8').trim());
      if (Number.isSafeInteger(v) && v >= 0) return v;
    }
    const row = await this.db
      .selectFrom('content_labels')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  private turn<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
