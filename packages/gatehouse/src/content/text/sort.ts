/** In-place sort of the feature keys (extraction's hot path: no allocation, no comparator calls). */

const SORT_STACK = new Int32Array(128);

/** Sorts keys[0, n) ascending in place (the keys are distinct): quicksort, insertion sort below 24. */
export function sortKeys(keys: Int32Array, n: number): void {
  let lo = 0;
  let hi = n - 1;
  const stack = SORT_STACK;
  let sp = 0;
  for (;;) {
    if (hi - lo < 24) {
      for (let i = lo + 1; i <= hi; i++) {
        const x = keys[i]!;
        let j = i - 1;
        while (j >= lo && keys[j]! > x) {
          keys[j + 1] = keys[j]!;
          j--;
        }
        keys[j + 1] = x;
      }
      if (sp === 0) return;
      hi = stack[--sp]!;
      lo = stack[--sp]!;
      continue;
    }
    // median of three as the pivot
    const mid = (lo + hi) >>> 1;
    const a = keys[lo]!;
    const b = keys[mid]!;
    const c = keys[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (keys[i]! < pivot) i++;
      while (keys[j]! > pivot) j--;
      if (i <= j) {
        const t = keys[i]!;
        keys[i] = keys[j]!;
        keys[j] = t;
        i++;
        j--;
      }
    }
    // push the larger part, loop on the smaller (stack depth stays logarithmic)
    if (j - lo > hi - i) {
      stack[sp++] = lo;
      stack[sp++] = j;
      lo = i;
    } else {
      stack[sp++] = i;
      stack[sp++] = hi;
      hi = j;
    }
  }
}
