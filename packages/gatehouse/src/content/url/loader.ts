/**
 * File loading and reloading for the brands file and the block/allow lists (the only I/O of this part).
 * Reloads on change: fs.watch on the directory (survives editors that replace the file) plus mtime
 * polling as a fallback. A file that fails to parse keeps the previous good value and reports the error.
 */
import { readFileSync, statSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { compileBrands, parseBrandsText } from './brands.ts';
import type { BrandIndex } from './brands.ts';
import { parseDomainList } from './lists.ts';
import type { DomainList, ListError } from './lists.ts';

export interface Watched<T> {
  /** the last good value */
  current(): T;
  /** re-reads the file now (also called on change) */
  reload(): void;
  close(): void;
}

export interface WatchOptions<T> {
  /** mtime polling interval in ms (default 2000; 0 disables polling) */
  intervalMs?: number;
  onChange?: (value: T) => void;
  onError?: (err: unknown) => void;
}

function stamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

/** Loads a file with `parse` and keeps it current. The first load throws if the file is bad. */
export function watchFile<T>(
  path: string,
  parse: (text: string) => T,
  opts: WatchOptions<T> = {},
): Watched<T> {
  let value = parse(readFileSync(path, 'utf8'));
  let last = stamp(path);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const reload = () => {
    last = stamp(path);
    try {
      value = parse(readFileSync(path, 'utf8'));
      opts.onChange?.(value);
    } catch (e) {
      opts.onError?.(e);
    }
  };
  const check = () => {
    if (stamp(path) !== last) reload();
  };
  let watcher: FSWatcher | undefined;
  try {
    const name = basename(path);
    watcher = watch(dirname(path), { persistent: false }, (_ev, file) => {
      if (file !== null && file !== name) return;
      clearTimeout(timer);
      timer = setTimeout(check, 50);
      timer.unref?.();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined; // polling still works
  }
  const interval = (opts.intervalMs ?? 2000) > 0 ? setInterval(check, opts.intervalMs ?? 2000) : undefined;
  interval?.unref();
  return {
    current: () => value,
    reload,
    close() {
      watcher?.close();
      if (interval) clearInterval(interval);
      clearTimeout(timer);
    },
  };
}

/** Reads and compiles a brands file (throws GatehouseError BRANDS_INVALID). */
export function loadBrands(path: string): BrandIndex {
  return compileBrands(parseBrandsText(readFileSync(path, 'utf8'), path));
}

export function watchBrands(path: string, opts: WatchOptions<BrandIndex> = {}): Watched<BrandIndex> {
  return watchFile(path, (t) => compileBrands(parseBrandsText(t, path)), opts);
}

/** Reads a block/allow list; bad lines are skipped and passed to onBadLines. */
export function loadDomainList(path: string, onBadLines?: (errors: ListError[]) => void): DomainList {
  const r = parseDomainList(readFileSync(path, 'utf8'), path);
  if (r.errors.length) onBadLines?.(r.errors);
  return r.list;
}

export function watchDomainList(
  path: string,
  opts: WatchOptions<DomainList> & { onBadLines?: (errors: ListError[]) => void } = {},
): Watched<DomainList> {
  return watchFile(
    path,
    (t) => {
      const r = parseDomainList(t, path);
      if (r.errors.length) opts.onBadLines?.(r.errors);
      return r.list;
    },
    opts,
  );
}
