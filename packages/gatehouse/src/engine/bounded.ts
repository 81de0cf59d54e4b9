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

  constructor(cap: number) {
    this.half = Math.max(1, Math.floor(cap / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(k: K): V | undefined {
    const v = this.young.get(k);
    if (v !== undefined) return v;
    const o = this.old.get(k);
    if (o !== undefined) {
      this.old.delete(k);
      this.insert(k, o);
    }
    return o;
  }

  has(k: K): boolean {
    return this.young.has(k) || this.old.has(k);
  }

  set(k: K, v: V): this {
    if (this.young.has(k)) this.young.set(k, v);
    else {
      this.old.delete(k);
      this.insert(k, v);
    }
    return this;
  }

  delete(k: K): boolean {
    return this.young.delete(k) || this.old.delete(k);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private insert(k: K, v: V): void {
    if (this.young.size >= this.half) {
      this.evicted += this.old.size;
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(k, v);
  }

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
