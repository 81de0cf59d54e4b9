/**
 * Sha256Bank: exact matches of file digests. HashBank: PDQ and SHA-256 entries with one id space
 * (what a bank file holds). Pure, no I/O; the PDQ index is `PdqBank` in bank.ts.
 */
import { GatehouseError } from '../../errors/index.ts';
import type { PdqHash } from './pdq.ts';
import { PdqBank, type AddOptions, type PdqEntry } from './bank.ts';

const SHA256_RE = /^[0-9a-f]{64}$/;

export interface Sha256Entry {
  id: number;
  sha256: string;
  label: string;
  source: string;
}

/** Exact-match bank of SHA-256 digests (lower-case hex), for files that are not matched by PDQ. */
export class Sha256Bank {
  private byId = new Map<number, Sha256Entry>();
  private byDigest = new Map<string, number[]>();
  private lastId = 0;

  get size(): number {
    return this.byId.size;
  }

  get maxId(): number {
    return this.lastId;
  }

  static normalise(digest: string): string {
    const d = digest.trim().toLowerCase();
    if (!SHA256_RE.test(d)) {
      throw new GatehouseError(
        'BAD_REQUEST',
        `not a SHA-256 digest (64 hex digits): "${digest.slice(0, 80)}"`,
      );
    }
    return d;
  }

  add(digest: string, opts: Omit<AddOptions, 'quality'> = {}): number {
    const sha256 = Sha256Bank.normalise(digest);
    let id: number;
    if (opts.id !== undefined) {
      if (!Number.isInteger(opts.id) || opts.id <= this.lastId) {
        throw new GatehouseError(
          'BANK_FILE_INVALID',
          `id ${opts.id} must be an integer above ${this.lastId}`,
        );
      }
      id = opts.id;
    } else id = this.lastId + 1;
    this.lastId = id;
    this.byId.set(id, { id, sha256, label: opts.label ?? '', source: opts.source ?? '' });
    const list = this.byDigest.get(sha256);
    if (list) list.push(id);
    else this.byDigest.set(sha256, [id]);
    return id;
  }

  remove(id: number): boolean {
    const e = this.byId.get(id);
    if (!e) return false;
    this.byId.delete(id);
    const list = this.byDigest.get(e.sha256)!.filter((x) => x !== id);
    if (list.length) this.byDigest.set(e.sha256, list);
    else this.byDigest.delete(e.sha256);
    return true;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  get(id: number): Sha256Entry | undefined {
    const e = this.byId.get(id);
    return e && { ...e };
  }

  match(digest: string): Sha256Entry[] {
    const ids = this.byDigest.get(Sha256Bank.normalise(digest)) ?? [];
    return ids.map((id) => ({ ...this.byId.get(id)! }));
  }

  list(): Sha256Entry[] {
    return [...this.byId.values()].map((e) => ({ ...e }));
  }
}

export type SignalType = 'pdq' | 'sha256';

export interface BankEntry {
  id: number;
  type: SignalType;
  value: string;
  label: string;
  source: string;
  quality?: number;
}

/** A PDQ bank and a SHA-256 bank sharing one id space: the contents of one bank file. */
export class HashBank {
  readonly pdq = new PdqBank();
  readonly sha256 = new Sha256Bank();
  private lastId = 0;

  get size(): number {
    return this.pdq.size + this.sha256.size;
  }

  add(entry: { type: SignalType; value: string | PdqHash } & AddOptions): number {
    const id = entry.id ?? this.lastId + 1;
    if (!Number.isInteger(id) || id <= this.lastId) {
      throw new GatehouseError('BANK_FILE_INVALID', `id ${id} must be an integer above ${this.lastId}`);
    }
    const opts = { label: entry.label, source: entry.source, id };
    if (entry.type === 'pdq') this.pdq.add(entry.value, { ...opts, quality: entry.quality });
    else if (entry.type === 'sha256') {
      if (typeof entry.value !== 'string')
        throw new GatehouseError('BAD_REQUEST', 'a SHA-256 digest is hex text');
      this.sha256.add(entry.value, opts);
    } else throw new GatehouseError('BAD_REQUEST', `unknown signal type "${String(entry.type)}"`);
    this.lastId = id;
    return id;
  }

  remove(id: number): boolean {
    return this.pdq.remove(id) || this.sha256.remove(id);
  }

  get(id: number): BankEntry | undefined {
    const p = this.pdq.get(id);
    if (p) return pdqEntry(p);
    const s = this.sha256.get(id);
    return s && { id: s.id, type: 'sha256', value: s.sha256, label: s.label, source: s.source };
  }

  /** All entries in id order. */
  list(): BankEntry[] {
    const out: BankEntry[] = this.pdq.list().map(pdqEntry);
    for (const s of this.sha256.list()) {
      out.push({ id: s.id, type: 'sha256', value: s.sha256, label: s.label, source: s.source });
    }
    return out.sort((a, b) => a.id - b.id);
  }
}

function pdqEntry(p: PdqEntry): BankEntry {
  const e: BankEntry = { id: p.id, type: 'pdq', value: p.hash, label: p.label, source: p.source };
  if (p.quality !== undefined) e.quality = p.quality;
  return e;
}
