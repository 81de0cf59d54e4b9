/**
 * A small Aho-Corasick automaton over the host-label alphabet (a–z, 0–9, '-'). One pass over a string
 * reports every pattern occurrence; any other character resets the match. Dense transition table.
 */
const ALPHA = 37;

function code(c: number): number {
  if (c >= 97 && c <= 122) return c - 97;
  if (c >= 48 && c <= 57) return c - 22;
  if (c === 45) return 36;
  return -1;
}

export interface Hit<T> {
  start: number;
  end: number;
  value: T;
}

export class Automaton<T> {
  private next: Int32Array = new Int32Array(ALPHA).fill(-1);
  private out: Array<Array<[number, T]>> = [[]];
  private nodes = 1;
  private built = false;

  add(pattern: string, value: T): void {
    if (this.built) throw new Error('automaton already built');
    let s = 0;
    for (let i = 0; i < pattern.length; i++) {
      const k = code(pattern.charCodeAt(i));
      if (k < 0) return; // patterns outside the alphabet can never match
      let t = this.next[s * ALPHA + k]!;
      if (t < 0) {
        t = this.nodes++;
        if (this.next.length < this.nodes * ALPHA) {
          const grown = new Int32Array(this.next.length * 2).fill(-1);
          grown.set(this.next);
          this.next = grown;
        }
        this.next[s * ALPHA + k] = t;
        this.out.push([]);
      }
      s = t;
    }
    this.out[s]!.push([pattern.length, value]);
  }

  build(): void {
    const fail = new Int32Array(this.nodes);
    const queue: number[] = [];
    for (let k = 0; k < ALPHA; k++) {
      const t = this.next[k]!;
      if (t < 0) this.next[k] = 0;
      else {
        fail[t] = 0;
        queue.push(t);
      }
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q]!;
      const f = fail[s]!;
      if (this.out[f]!.length) this.out[s] = [...this.out[s]!, ...this.out[f]!];
      for (let k = 0; k < ALPHA; k++) {
        const t = this.next[s * ALPHA + k]!;
        if (t < 0) this.next[s * ALPHA + k] = this.next[f * ALPHA + k]!;
        else {
          fail[t] = this.next[f * ALPHA + k]!;
          queue.push(t);
        }
      }
    }
    this.next = this.next.slice(0, this.nodes * ALPHA);
    this.built = true;
  }

  /** Every occurrence of every pattern in s (overlapping ones included). */
  search(s: string, into: Array<Hit<T>> = []): Array<Hit<T>> {
    let st = 0;
    for (let i = 0; i < s.length; i++) {
      const k = code(s.charCodeAt(i));
      if (k < 0) {
        st = 0;
        continue;
      }
      st = this.next[st * ALPHA + k]!;
      const o = this.out[st]!;
      for (let j = 0; j < o.length; j++) into.push({ start: i + 1 - o[j]![0], end: i + 1, value: o[j]![1] });
    }
    return into;
  }
}
