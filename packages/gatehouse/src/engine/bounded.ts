/**
 * A bounded map with O(1) eviction: two generations. New and touched entries go to the young
 * generation; when it holds half the capacity, the old generation is dropped (evicted) and the
 * young one becomes old. Reading an old entry moves it back to young, so recently used entries
 * survive (approximate LRU). Never more than `cap` entries.
 *
 * (Deleting the first key of one big Map again and again is O(n) per eviction in V8, because
 * iteration has to skip the deleted slots; this avoids it.)
 */
export class BoundedMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;
  /** Entries dropped so far. */
  evicted = 0;
  /**
   * Told of every entry just before it is handed out, replaced, deleted or evicted (an incremental
   * snapshot copies it then, before it can change); undefined when nobody watches.
   */
  private watcher: ((k: K, v: V) => void) | undefined;
  /** Bumped whenever an entry leaves the young generation or changes value (see `stamp`). */
  private version = 0;

  constructor(cap: number) {
    this.half = Math.max(1, Math.floor(cap / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(k: K): V | undefined {
    const v = this.young.get(k);
    if (v !== undefined) {
      if (this.watcher) this.watcher(k, v);
      return v;
    }
    // a miss in a map whose entries all sit in the young generation ends here (the common case)
    if (this.old.size === 0) return undefined;
    const o = this.old.get(k);
    if (o !== undefined) {
      if (this.watcher) this.watcher(k, o);
      this.old.delete(k);
      this.insert(k, o);
    }
    return o;
  }

  /**
   * A number that stays the same while no entry leaves the young generation or changes value (no
   * eviction, delete, replacement or clear; new keys do not change it); -1 while watched. Right after
   * `get(k)` found v, k is young, so under the same stamp a second `get(k)` would return v and do
   * nothing else: a caller may keep v instead of reading again (a lookup by a string key is a large
   * share of the engine's time per message). Only what was found may be kept so, not a miss.
   */
  stamp(): number {
    return this.watcher ? -1 : this.version;
  }

  /** The value without touching it: no move to the young generation, no watcher. */
  peek(k: K): V | undefined {
    return this.young.get(k) ?? this.old.get(k);
  }

  /** Starts telling `w` of entries about to be handed out or to change (one watcher at a time). */
  watch(w: (k: K, v: V) => void): void {
    if (this.watcher) throw new Error('bounded map already watched');
    this.watcher = w;
  }

  unwatch(): void {
    this.watcher = undefined;
  }

  has(k: K): boolean {
    return this.young.has(k) || this.old.has(k);
  }

  set(k: K, v: V): this {
    if (this.watcher) {
      const prev = this.peek(k);
      if (prev !== undefined) this.watcher(k, prev);
    }
    if (this.young.has(k)) {
      this.version++;
      this.young.set(k, v);
    } else {
      this.old.delete(k);
      this.insert(k, v);
    }
    return this;
  }

  delete(k: K): boolean {
    if (this.watcher) {
      const prev = this.peek(k);
      if (prev !== undefined) this.watcher(k, prev);
    }
    this.version++;
    return this.young.delete(k) || this.old.delete(k);
  }

  clear(): void {
    if (this.watcher) for (const [k, v] of this.entries()) this.watcher(k, v);
    this.version++;
    this.young.clear();
    this.old.clear();
  }

  private insert(k: K, v: V): void {
    if (this.young.size >= this.half) {
      if (this.watcher) for (const [ok, ov] of this.old) this.watcher(ok, ov);
      this.evicted += this.old.size;
      this.version++;
      this.old = this.young;
      this.young = new Map();
      this.young.set(k, v);
      this.rotated();
      return;
    }
    this.young.set(k, v);
  }

  /** Called right after a generation was evicted (with the entry that caused it inserted). */
  protected rotated(): void {}

  /** Oldest generation first. */
  *entries(): IterableIterator<[K, V]> {
    yield* this.old;
    yield* this.young;
  }

  *values(): IterableIterator<V> {
    yield* this.old.values();
    yield* this.young.values();
  }

  *keys(): IterableIterator<K> {
    yield* this.old.keys();
    yield* this.young.keys();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}

/**
 * A BoundedMap keyed by well-mixed hashes (hash53) with a presence bitmap: `mayHave` answers
 * "certainly absent" from one bit instead of a lookup in a large map. Every key set marks its bit;
 * the bitmap is rebuilt from the surviving keys whenever a generation is evicted (amortised O(1)
 * per insert), so a key whose bit is clear is never in the map and reading it would change nothing.
 */
export class HashKeyedMap<V> extends BoundedMap<number, V> {
  private readonly bits: Int32Array;
  private readonly mask: number;

  constructor(cap: number) {
    super(cap);
    // about 8 bits per entry (≈ 12 % of misses still look up when full), 512 B … 1 MiB
    let n = 1 << 12;
    while (n < cap * 8 && n < 1 << 23) n *= 2;
    this.bits = new Int32Array(n >>> 5);
    this.mask = n - 1;
  }

  override set(k: number, v: V): this {
    super.set(k, v);
    this.mark(k);
    return this;
  }

  mayHave(k: number): boolean {
    const b = k & this.mask;
    return (this.bits[b >>> 5]! & (1 << (b & 31))) !== 0;
  }

  protected override rotated(): void {
    this.bits.fill(0);
    for (const k of this.keys()) this.mark(k);
  }

  private mark(k: number): void {
    const b = k & this.mask;
    this.bits[b >>> 5]! |= 1 << (b & 31);
  }
}
