import { hash, verify } from '@node-rs/argon2';
import { GatehouseError } from '../errors/index.ts';
import { isBreachedPassword } from './breached.ts';
import { processHashGate, type HashGate } from './hash-gate.ts';
import { estimateStrength } from './strength.ts';

export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1. */
export const OWASP_ARGON2: Argon2Params = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

export const PASSWORD_MIN = 8;
/** Long enough for any passphrase, short enough that hashing cost stays bounded. */
export const PASSWORD_MAX = 256;

/** The zxcvbn score a new password needs by default (0-4; 3: "safely unguessable" for online attacks). */
export const DEFAULT_MIN_SCORE = 3;

// A small list of the passwords seen most often in breaches and guesses, with its own reason; the
// breached list and the strength estimate catch the rest.
const COMMON = new Set(
  `123456 123456789 12345678 password qwerty123 qwerty 1234567890 111111 123123 abc123 1234567 password1
  iloveyou 000000 qwertyuiop 987654321 123321 666666 888888 5201314 1qaz2wsx a123456 aa123456 woaini1314
  qq123456 123456a 88888888 11111111 00000000 asdfghjk 147258369 zxcvbnm123 passw0rd p@ssw0rd welcome1
  admin123 letmein1 monkey123 dragon123 football baseball sunshine princess superman 1q2w3e4r 1q2w3e4r5t
  woaini520 wangyu520 abcd1234 12qwaszx qazwsxedc 7758521 1314520 5211314 12345678910 asdf1234`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Checks a new password (sign-up, change, recovery): length, the most common passwords, the handle,
 * repetition, the shipped breached-password list, then the zxcvbn estimate (`minScore`, 0-4). Throws
 * WEAK_PASSWORD with every reason (code, en and zh).
 */
export function checkPasswordStrength(
  password: string,
  handle: string,
  minScore = DEFAULT_MIN_SCORE,
  userInputs: string[] = [],
): void {
  const reasons: Array<{ code: string; en: string; zh: string }> = [];
  const len = [...password].length;
  if (len < PASSWORD_MIN)
    reasons.push({
      code: 'too_short',
      en: `at least ${PASSWORD_MIN} characters`,
      zh: `至少 ${PASSWORD_MIN} 个字符`,
    });
  if (len > PASSWORD_MAX)
    reasons.push({
      code: 'too_long',
      en: `at most ${PASSWORD_MAX} characters`,
      zh: `最多 ${PASSWORD_MAX} 个字符`,
    });
  const lower = password.toLowerCase();
  if (COMMON.has(lower))
    reasons.push({
      code: 'common',
      en: 'this password is one of the most common',
      zh: '这是最常见的密码之一',
    });
  if (lower.includes(handle.toLowerCase()) && handle.length >= 3) {
    reasons.push({ code: 'contains_handle', en: 'must not contain your handle', zh: '不能包含用户名' });
  }
  if (len >= PASSWORD_MIN && new Set(password).size <= 2) {
    reasons.push({ code: 'repetitive', en: 'too repetitive', zh: '重复字符过多' });
  }
  if (reasons.length === 0 && isBreachedPassword(password))
    reasons.push({
      code: 'breached',
      en: 'this password appears in lists of leaked passwords',
      zh: '该密码出现在已泄露的密码列表中',
    });
  if (reasons.length === 0 && minScore > 0) {
    const s = estimateStrength(password, minScore, [handle, ...userInputs]);
    if (s.reason) reasons.push(s.reason);
  }
  if (reasons.length) {
    throw new GatehouseError('WEAK_PASSWORD', reasons.map((r) => r.en).join('; '), { extra: { reasons } });
  }
}

export class PasswordHasher {
  readonly params: Argon2Params;
  /** Bounds the hashes running at once (identity/hash-gate.ts): by default the process's one gate. */
  readonly gate: HashGate;
  private dummy: Promise<string> | undefined;

  constructor(params: Argon2Params, gate: HashGate = processHashGate) {
    this.params = params;
    this.gate = gate;
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() =>
      hash(password, {
        memoryCost: this.params.memoryKiB,
        timeCost: this.params.iterations,
        parallelism: this.params.parallelism,
      }),
    );
  }

  verify(hashed: string, password: string): Promise<boolean> {
    return this.gate.run(() => verify(hashed, password)).catch(() => false);
  }

  /**
   * Runs a verification against a fixed hash made with the current parameters: an unknown handle costs
   * exactly what a wrong password costs, so timing does not reveal which handles exist.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummy ??= this.hash('gatehouse-dummy-password-for-timing');
    await this.verify(await this.dummy, password);
    return false;
  }

  /** True when a stored hash was made with other parameters (or another algorithm) than the current ones. */
  needsRehash(hashed: string): boolean {
    const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(hashed);
    if (!m) return true;
    return (
      Number(m[1]) !== this.params.memoryKiB ||
      Number(m[2]) !== this.params.iterations ||
      Number(m[3]) !== this.params.parallelism
    );
  }
}
