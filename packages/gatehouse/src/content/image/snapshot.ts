/**
 * Compact binary snapshot of a HashBank (pure: bank ↔ bytes). Little-endian:
 *
 *   0   8  magic "GHBANK1\n"
 *   8   4  PDQ entry count n
 *   12  4  SHA-256 entry count m
 *   16  4  byte length L of the metadata JSON
 *   20  …  n × u32 ids, n × u8 qualities (255 = unknown), zero padding to a multiple of 4,
 *          n × 8 × u32 hash words (word k = PDQ 16-bit words 2k | 2k+1 << 16),
 *          m × u32 ids, m × 32 digest bytes,
 *          L bytes of UTF-8 JSON {"labels": [...], "sources": [...]} (PDQ entries, then SHA-256).
 *
 * About 37 bytes per PDQ hash plus its label text; loads without parsing hex.
 */
import { GatehouseError } from '../../errors/index.ts';
import { QUALITY_UNKNOWN } from './bank.ts';
import { HashBank, type BankEntry } from './hash-bank.ts';
import { pdqFromHex } from './pdq.ts';

const MAGIC = 'GHBANK1\n';

export function isSnapshot(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).toString('latin1') === MAGIC;
}

export function bankToSnapshot(bank: HashBank): Uint8Array {
  const all = bank.list();
  const pdq = all.filter((e) => e.type === 'pdq');
  const sha = all.filter((e) => e.type === 'sha256');
  const n = pdq.length;
  const m = sha.length;
  const meta = Buffer.from(
    JSON.stringify({
      labels: [...pdq, ...sha].map((e) => e.label),
      sources: [...pdq, ...sha].map((e) => e.source),
    }),
    'utf8',
  );
  const qPad = (4 - (n % 4)) % 4;
  const size = 20 + 4 * n + n + qPad + 32 * n + 4 * m + 32 * m + meta.length;
  const buf = Buffer.alloc(size);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(n, 8);
  buf.writeUInt32LE(m, 12);
  buf.writeUInt32LE(meta.length, 16);
  let o = 20;
  for (const e of pdq) o = buf.writeUInt32LE(e.id, o);
  for (const e of pdq) o = buf.writeUInt8(e.quality ?? QUALITY_UNKNOWN, o);
  o += qPad;
  for (const e of pdq) {
    const h = pdqFromHex(e.value)!;
    for (let k = 0; k < 8; k++) o = buf.writeUInt32LE((h[2 * k]! | (h[2 * k + 1]! << 16)) >>> 0, o);
  }
  for (const e of sha) o = buf.writeUInt32LE(e.id, o);
  for (const e of sha) o += buf.write(e.value, o, 'hex');
  meta.copy(buf, o);
  return buf;
}

export function bankFromSnapshot(bytes: Uint8Array): HashBank {
  const bad = (why: string) => new GatehouseError('BANK_FILE_INVALID', `bank snapshot: ${why}`);
  if (!isSnapshot(bytes)) throw bad('bad magic');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length < 20) throw bad('truncated header');
  const n = buf.readUInt32LE(8);
  const m = buf.readUInt32LE(12);
  const metaLen = buf.readUInt32LE(16);
  const qPad = (4 - (n % 4)) % 4;
  const size = 20 + 37 * n + qPad + 36 * m + metaLen;
  if (buf.length !== size) throw bad(`size ${buf.length}, expected ${size}`);
  let meta: { labels?: unknown; sources?: unknown };
  try {
    meta = JSON.parse(buf.subarray(size - metaLen).toString('utf8'));
  } catch {
    throw bad('metadata is not JSON');
  }
  const labels = meta.labels;
  const sources = meta.sources;
  if (
    !Array.isArray(labels) ||
    !Array.isArray(sources) ||
    labels.length !== n + m ||
    sources.length !== n + m ||
    ![...labels, ...sources].every((s) => typeof s === 'string')
  ) {
    throw bad('metadata does not match the entries');
  }
  const entries: Array<BankEntry & { hash?: Uint16Array }> = [];
  const idsAt = 20;
  const qAt = idsAt + 4 * n;
  const wAt = qAt + n + qPad;
  for (let i = 0; i < n; i++) {
    const h = new Uint16Array(16);
    for (let k = 0; k < 8; k++) {
      const w = buf.readUInt32LE(wAt + 32 * i + 4 * k);
      h[2 * k] = w & 0xffff;
      h[2 * k + 1] = w >>> 16;
    }
    const q = buf[qAt + i]!;
    const e: BankEntry & { hash?: Uint16Array } = {
      id: buf.readUInt32LE(idsAt + 4 * i),
      type: 'pdq',
      value: '',
      hash: h,
      label: labels[i] as string,
      source: sources[i] as string,
    };
    if (q !== QUALITY_UNKNOWN) e.quality = q;
    entries.push(e);
  }
  const sAt = wAt + 32 * n;
  const dAt = sAt + 4 * m;
  for (let i = 0; i < m; i++) {
    entries.push({
      id: buf.readUInt32LE(sAt + 4 * i),
      type: 'sha256',
      value: buf.toString('hex', dAt + 32 * i, dAt + 32 * i + 32),
      label: labels[n + i] as string,
      source: sources[n + i] as string,
    });
  }
  entries.sort((a, b) => a.id - b.id);
  const bank = new HashBank();
  try {
    for (const e of entries) {
      bank.add({
        type: e.type,
        value: e.hash ?? e.value,
        label: e.label,
        source: e.source,
        quality: e.quality,
        id: e.id,
      });
    }
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  return bank;
}
