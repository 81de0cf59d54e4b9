import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GatehouseError } from '../errors/index.ts';

/**
 * The breached-password check: a local list, no network and no k-anonymity service. The list is
 * lists/common-passwords.bin, built by `npm run build:breached` (scripts/build-breached.ts) from the
 * common-password list of @zxcvbn-ts/language-common (MIT): the first 5 bytes of SHA-256 of each
 * lower-cased (NFKC) password of 8 or more characters, sorted. A lookup is a binary search; the chance
 * that a password not on the list matches by accident is about entries / 2^40 (below 1 in 50 million).
 */
const PREFIX = 5;
let table: { data: Buffer; count: number } | undefined;

function load(): { data: Buffer; count: number } {
  if (table) return table;
  const data = readFileSync(new URL('./lists/common-passwords.bin', import.meta.url));
  if (data.toString('ascii', 0, 4) !== 'GHBP') throw new Error('common-passwords.bin: bad header');
  const count = data.readUInt32BE(4);
  if (data.length !== 8 + count * PREFIX) throw new Error('common-passwords.bin: bad length');
  table = { data, count };
  return table;
}

/** Number of passwords on the shipped list. */
export function breachedListSize(): number {
  return load().count;
}

/** True when the password (case-insensitively) is on the shipped list of common breached passwords. */
export function isBreachedPassword(password: string): boolean {
  const { data, count } = load();
  const key = createHash('sha256').update(password.normalize('NFKC').toLowerCase(), 'utf8').digest();
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = data.compare(key, 0, PREFIX, 8 + mid * PREFIX, 8 + (mid + 1) * PREFIX);
    // c compares key with the entry: data.compare(target, ...) compares data's slice to target's slice.
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Throws WEAK_PASSWORD (reason "breached", en and zh) when the password is on the list. */
export function checkNotBreached(password: string): void {
  if (!isBreachedPassword(password)) return;
  const reasons = [
    {
      code: 'breached',
      en: 'this password appears in lists of leaked passwords',
      zh: '该密码出现在已泄露的密码列表中',
    },
  ];
  throw new GatehouseError('WEAK_PASSWORD', reasons[0]!.en, { extra: { reasons } });
}
