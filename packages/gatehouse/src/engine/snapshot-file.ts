/**
 * The snapshot file (<dataDir>/engine/snapshot.json.gz): gzip'd JSON lines, a header with the log
 * position the state covers, then the engine's snapshot records (snapshot.ts), compressed in 1 MiB
 * slices as concatenated gzip members, so a large state never becomes one string.
 *
 * Writing never holds the event loop for long: the lines are pulled a few milliseconds at a time
 * (the pre-send checks waiting in between are answered), each slice is compressed on libuv's thread
 * pool (the async zlib API) and appended to the temporary file as it is ready.
 */
import { createReadStream, mkdirSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createGunzip, gzip } from 'node:zlib';
import type { SnapshotRecord } from './snapshot.ts';

const gzipAsync = promisify(gzip);
/** Uncompressed bytes per gzip member. */
const SLICE_BYTES = 1 << 20;
/** Longest stretch the writer serialises before it lets the event loop run. */
const SLICE_MS = 4;

export interface SnapshotHeader {
  version: 2;
  /** The last log seq the state includes. */
  position: number;
  /** Ids after `position` that the state already includes (applied by the pre-send check). */
  applied: string[];
  takenAt: number;
}

export interface SnapshotWriteStats {
  /** Compressed size. */
  bytes: number;
  /** Times the writer let the event loop run. */
  yields: number;
  /** The longest stretch it held the loop (ms). */
  longestSliceMs: number;
}

/** What a written snapshot covers and how it was written. */
export interface SnapshotResult extends SnapshotWriteStats {
  /** The last log seq the snapshot covers. */
  position: number;
  /** Entries copied ahead of their turn because the engine reached for them during the write. */
  copiedEarly: number;
}

/**
 * Writes header + the records' JSON lines atomically (tmp file + rename). `lines` may read a live
 * state (an incremental snapshot, snapshot.ts): it is pulled in slices of a few milliseconds, and
 * the event loop runs between them.
 */
export async function writeSnapshotFile(
  path: string,
  header: SnapshotHeader,
  lines: Iterator<string>,
): Promise<SnapshotWriteStats> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  const stats: SnapshotWriteStats = { bytes: 0, yields: 0, longestSliceMs: 0 };
  try {
    let batch: string[] = [JSON.stringify(['file', header])];
    let size = 0;
    const flush = async () => {
      const gz = await gzipAsync(`${batch.join('\n')}\n`, { level: 1 });
      batch = [];
      size = 0;
      await fh.write(gz);
      stats.bytes += gz.length;
    };
    for (let done = false; !done;) {
      const began = performance.now();
      while (performance.now() - began < SLICE_MS) {
        const r = lines.next();
        if (r.done) {
          done = true;
          break;
        }
        batch.push(r.value);
        size += r.value.length;
        if (size > SLICE_BYTES) break;
      }
      stats.longestSliceMs = Math.max(stats.longestSliceMs, performance.now() - began);
      if (size > SLICE_BYTES || (done && batch.length > 0)) await flush();
      else await yieldToLoop();
      stats.yields++;
    }
  } catch (err) {
    lines.return?.();
    await fh.close().catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  return stats;
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
