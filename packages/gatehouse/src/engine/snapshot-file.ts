/**
 * The snapshot file (<dataDir>/engine/snapshot.json.gz): gzip'd JSON lines, a header with the log
 * position the state covers, then the engine's snapshot records (snapshot.ts), compressed in 1 MiB
 * slices as concatenated gzip members, so a large state never becomes one string.
 */
import { createReadStream, mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, gzipSync } from 'node:zlib';
import type { SnapshotRecord } from './snapshot.ts';

export interface SnapshotHeader {
  version: 2;
  /** The last log seq the state includes. */
  position: number;
  /** Ids after `position` that the state already includes (applied by the pre-send check). */
  applied: string[];
  takenAt: number;
}

/** Writes header + records atomically (tmp file + rename); returns the compressed size. */
export async function writeSnapshotFile(
  path: string,
  header: SnapshotHeader,
  records: Iterable<SnapshotRecord>,
): Promise<number> {
  const chunks: Buffer[] = [];
  let batch: string[] = [JSON.stringify(['file', header])];
  let size = 0;
  // the records are taken synchronously (one consistent instant); compression and the write follow
  for (const rec of records) {
    const line = JSON.stringify(rec);
    batch.push(line);
    size += line.length;
    if (size > 1 << 20) {
      chunks.push(gzipSync(`${batch.join('\n')}\n`, { level: 1 }));
      batch = [];
      size = 0;
    }
  }
  if (batch.length > 0) chunks.push(gzipSync(`${batch.join('\n')}\n`, { level: 1 }));
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  await writeFile(tmp, chunks);
  await rename(tmp, path);
  return chunks.reduce((n, c) => n + c.length, 0);
}

/** Streams the file's records into `add`; returns its header (throws when missing or of another version). */
export async function readSnapshotFile(
  path: string,
  add: (r: SnapshotRecord) => void,
): Promise<SnapshotHeader> {
  let header: SnapshotHeader | undefined;
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length === 0) continue;
    const rec = JSON.parse(line) as SnapshotRecord | ['file', SnapshotHeader];
    if (rec[0] === 'file') header = rec[1];
    else add(rec);
  }
  if (!header || header.version !== 2) throw new Error('snapshot header missing or of another version');
  return header;
}
