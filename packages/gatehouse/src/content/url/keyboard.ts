/**
 * QWERTY key adjacency, written out by hand: each row, and for each key the keys touching it on the row
 * above and below (rows are staggered by about half a key, so key c on row r touches c and c+1 above,
 * c-1 and c below).
 */
const ROWS = ['1234567890-', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];

const adjacent = new Map<string, Set<string>>();
for (let r = 0; r < ROWS.length; r++) {
  const row = ROWS[r]!;
  for (let c = 0; c < row.length; c++) {
    const set = new Set<string>();
    const add = (rr: number, cc: number) => {
      const ch = ROWS[rr]?.[cc];
      if (ch !== undefined) set.add(ch);
    };
    add(r, c - 1);
    add(r, c + 1);
    add(r - 1, c);
    add(r - 1, c + 1);
    add(r + 1, c - 1);
    add(r + 1, c);
    adjacent.set(row[c]!, set);
  }
}

/** True when two keys touch on a QWERTY keyboard. */
export function keyboardAdjacent(a: string, b: string): boolean {
  return adjacent.get(a)?.has(b) ?? false;
}
