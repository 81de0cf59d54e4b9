/**
 * Bank file formats (pure: text in, text out).
 *
 * - `csv` — the Gatehouse bank file: a header `signal_type,signal_value,label,source,id,quality`
 *   then one row per entry (RFC 4180 quoting). Signal types: `pdq` (64 hex digits) and `sha256`.
 *   This is the persistence format of `gatehouse banks`.
 * - `hma` — ThreatExchange / HMA signal lists. On import each line may be:
 *     `pdq <hash>`                        python-threatexchange's file exchange (type, space, signal)
 *     `pdq,<hash>[,label[,source]]`       signal_type,signal_value CSV (a header row is skipped)
 *     `<hash>[<TAB or ,>label[...source]]` a bare hash list (type from `defaultType`, PDQ by default)
 *   Types `pdq`/`hash_pdq`/`photo_pdq` and `sha256`/`hash_sha256` are read; other types (`md5`,
 *   `video_md5`, …) are counted as skipped; blank lines and `#` comments are ignored; a bad line is
 *   reported with its number and does not stop the import. On export: `<type> <hash>` lines,
 *   which python-threatexchange / HMA's file exchange read back (labels are not part of it).
 * - `tsv` — export only: `<hash>\t<label>` per line, a plain hash list.
 */
import { GatehouseError } from '../../errors/index.ts';
import type { BankEntry, SignalType } from './hash-bank.ts';
import { HashBank } from './hash-bank.ts';
import { isPdqHex } from './pdq.ts';

export type ImportFormat = 'hma' | 'csv';
export type ExportFormat = 'hma' | 'csv' | 'tsv';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['hma', 'csv'];
export const EXPORT_FORMATS: readonly ExportFormat[] = ['hma', 'csv', 'tsv'];

export interface HashRecord {
  type: SignalType;
  value: string;
  label: string;
  source: string;
  id?: number;
  quality?: number;
  /** 1-based line in the parsed text. */
  line?: number;
}

export interface ParseResult {
  records: HashRecord[];
  /** Lines of a signal type this bank does not hold, by type. */
  skipped: Record<string, number>;
  errors: Array<{ line: number; message: string }>;
}

export const CSV_HEADER = 'signal_type,signal_value,label,source,id,quality';

const TYPE_ALIASES: Record<string, SignalType> = {
  pdq: 'pdq',
  hash_pdq: 'pdq',
  photo_pdq: 'pdq',
  sha256: 'sha256',
  hash_sha256: 'sha256',
};

/** Splits one CSV line (RFC 4180 quotes; no embedded newlines). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
    i++;
  }
  out.push(cur);
  return out;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Labels and sources are single-line text. */
export function cleanText(s: string | undefined): string {
  return (s ?? '').replace(/[\r\n\t]+/g, ' ').trim();
}

function isHex64(s: string): boolean {
  return isPdqHex(s);
}

/** Parses a hash list or bank file; never throws on a bad line (see `errors`). */
export function parseHashFile(
  text: string,
  opts: { format?: ImportFormat; defaultType?: SignalType } = {},
): ParseResult {
  const res: ParseResult = { records: [], skipped: {}, errors: [] };
  const defaultType = opts.defaultType ?? 'pdq';
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    let fields: string[];
    if (raw.includes('\t')) fields = raw.split('\t');
    else if (raw.includes(',')) fields = splitCsvLine(raw);
    else {
      const m = /^(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/.exec(raw)!;
      fields = [m[1]!, m[2] ?? '', m[3] ?? ''].filter((f, i) => i === 0 || f !== '');
    }
    fields = fields.map((f) => f.trim());
    const head = fields[0]!.toLowerCase();
    if (head === 'signal_type' || head === 'hash' || head === 'signal_value') continue; // header row
    let type: SignalType;
    let rest: string[];
    if (TYPE_ALIASES[head]) {
      type = TYPE_ALIASES[head];
      rest = fields.slice(1);
    } else if (isHex64(fields[0]!)) {
      type = defaultType;
      rest = fields;
    } else if (/^[a-z][a-z0-9_]*$/.test(head) && fields.length >= 2) {
      res.skipped[head] = (res.skipped[head] ?? 0) + 1;
      continue;
    } else {
      res.errors.push({ line: n + 1, message: `not a hash line: "${raw.slice(0, 80)}"` });
      continue;
    }
    const value = (rest[0] ?? '').toLowerCase();
    if (!isHex64(value)) {
      res.errors.push({
        line: n + 1,
        message: `not a ${type} value (64 hex digits): "${value.slice(0, 80)}"`,
      });
      continue;
    }
    const rec: HashRecord = {
      type,
      value,
      label: cleanText(rest[1]),
      source: cleanText(rest[2]),
      line: n + 1,
    };
    if (opts.format === 'csv') {
      if (rest[3]) {
        const id = Number(rest[3]);
        if (!Number.isInteger(id) || id < 1) {
          res.errors.push({ line: n + 1, message: `bad id "${rest[3]}"` });
          continue;
        }
        rec.id = id;
      }
      if (rest[4]) {
        const q = Number(rest[4]);
        if (!Number.isInteger(q) || q < 0 || q > 100) {
          res.errors.push({ line: n + 1, message: `bad quality "${rest[4]}"` });
          continue;
        }
        rec.quality = q;
      }
    }
    res.records.push(rec);
  }
  return res;
}

/** Serialises entries in one of the export formats. */
export function formatEntries(entries: Iterable<BankEntry>, format: ExportFormat): string {
  const lines: string[] = [];
  if (format === 'csv') lines.push(CSV_HEADER);
  for (const e of entries) {
    if (format === 'csv') {
      lines.push(
        [
          e.type,
          e.value,
          csvField(e.label),
          csvField(e.source),
          String(e.id),
          e.quality?.toString() ?? '',
        ].join(','),
      );
    } else if (format === 'hma') lines.push(`${e.type} ${e.value}`);
    else lines.push(`${e.value}\t${e.label}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** Reads a Gatehouse bank file (csv) into a HashBank, keeping ids. Any bad line is an error. */
export function bankFromText(text: string): HashBank {
  const parsed = parseHashFile(text, { format: 'csv' });
  if (parsed.errors.length) {
    const e = parsed.errors[0]!;
    throw new GatehouseError('BANK_FILE_INVALID', `line ${e.line}: ${e.message}`, {
      extra: { errors: parsed.errors.slice(0, 20) },
    });
  }
  const recs = parsed.records;
  const withIds = recs.filter((r) => r.id !== undefined).sort((a, b) => a.id! - b.id!);
  const bank = new HashBank();
  try {
    for (const r of withIds) bank.add(r);
    for (const r of recs) if (r.id === undefined) bank.add({ ...r, id: undefined });
  } catch (e) {
    if (e instanceof GatehouseError && e.code !== 'BANK_FILE_INVALID') {
      throw new GatehouseError('BANK_FILE_INVALID', e.message, { cause: e });
    }
    throw e;
  }
  return bank;
}

export function bankToText(bank: HashBank): string {
  return formatEntries(bank.list(), 'csv');
}

export interface ImportSummary {
  added: number;
  duplicates: number;
  skipped: Record<string, number>;
  errors: Array<{ line: number; message: string }>;
}

/**
 * Adds the records of a hash list to a bank. Entries already present with the same type, value
 * and label are not added twice. Low-quality PDQ records (quality known and < 50) are errors.
 */
export function importInto(
  bank: HashBank,
  text: string,
  opts: { format?: ImportFormat; label?: string; source?: string; defaultType?: SignalType } = {},
): ImportSummary {
  const parsed = parseHashFile(text, { format: opts.format ?? 'hma', defaultType: opts.defaultType });
  const seen = new Set(bank.list().map((e) => `${e.type} ${e.value} ${e.label}`));
  const sum: ImportSummary = { added: 0, duplicates: 0, skipped: parsed.skipped, errors: parsed.errors };
  for (const r of parsed.records) {
    const label = r.label || cleanText(opts.label);
    const source = r.source || cleanText(opts.source);
    const key = `${r.type} ${r.value} ${label}`;
    if (seen.has(key)) {
      sum.duplicates++;
      continue;
    }
    try {
      bank.add({ type: r.type, value: r.value, label, source, quality: r.quality });
      seen.add(key);
      sum.added++;
    } catch (e) {
      if (!(e instanceof GatehouseError)) throw e;
      sum.errors.push({ line: r.line ?? 0, message: `${e.code}: ${e.message}` });
    }
  }
  return sum;
}
