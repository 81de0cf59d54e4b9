/**
 * Ordinary senders of content the campaign tracker does not follow yet. The tracker keeps a fingerprint's
 * state only from its first deviating or compromised sender on (campaigns.ts), so owners who passed a
 * text along before that were missing from its count of senders, and a few owners on new phones who sent
 * it next looked like most of its senders: a settling-up ask a hundred owners had sent became a campaign
 * and was quarantined for everyone.
 *
 * This table remembers, for content nobody tracks, how many distinct accounts sent it within the hour: a
 * fixed number of slots keyed by fingerprint number, each with a 128-bit sketch of its senders' hashes
 * (a distinct count by linear counting, exact while small, about ±10 % in the hundreds, up to ~620). When
 * the tracker starts to follow the fingerprint it takes the slot: the count seeds its senders within the
 * hour, and the sketch tells it which later senders were already counted. A slot whose content was last
 * sent over an hour ago, or that one account alone sent, is given to the next content that needs it, so
 * one-off chat churns through the table while content many send stays. Per partition and not in the
 * snapshot (after a restart the tracker counts from then on, as before this table).
 */
const WORDS = 4;
const BITS = WORDS * 32;
const HOUR = 3600_000;

/** What the tracker takes over from a slot. */
export interface PriorCount {
  /** distinct senders within the hour (estimated) */
  count: number;
  /** when the last of them sent it */
  last: number;
  /** the senders' sketch (one bit per sender hash) */
  bits: Uint32Array;
}

export class PriorSenders {
  private readonly mask: number;
  private readonly nums: Float64Array;
  private readonly last: Float64Array;
  private readonly bits: Uint32Array;

  constructor(slots = 1 << 16) {
    if (slots < 1 || (slots & (slots - 1)) !== 0) throw new RangeError('slots must be a power of two');
    this.mask = slots - 1;
    this.nums = new Float64Array(slots);
    this.last = new Float64Array(slots);
    this.bits = new Uint32Array(slots * WORDS);
  }

  /** One ordinary sender of fingerprint `num` (not 0) at `t`. */
  see(num: number, acctHash: number, t: number): void {
    const i = (num >>> 0) & this.mask;
    const at = i * WORDS;
    if (this.nums[i] !== num) {
      // another content holds the slot: it keeps it while it is recent and more than one account sent it
      if (this.nums[i] !== 0 && t - this.last[i]! < HOUR && !single(this.bits, at)) return;
      this.reset(i, num, t);
    } else if (t - this.last[i]! >= HOUR) this.reset(i, num, t);
    const b = senderBit(acctHash);
    this.bits[at + (b >>> 5)]! |= 1 << (b & 31);
    if (t > this.last[i]!) this.last[i] = t;
  }

  /** The distinct senders of `num` within the hour before `t` (0 when the table does not hold it). */
  count(num: number, t: number): number {
    const i = (num >>> 0) & this.mask;
    if (this.nums[i] !== num || t - this.last[i]! >= HOUR) return 0;
    return estimate(this.bits, i * WORDS);
  }

  /** Hands the slot of `num` over (and frees it): its senders within the hour before `t`, if any. */
  take(num: number, t: number): PriorCount | undefined {
    const i = (num >>> 0) & this.mask;
    if (this.nums[i] !== num) return undefined;
    const at = i * WORDS;
    const out =
      t - this.last[i]! < HOUR
        ? { count: estimate(this.bits, at), last: this.last[i]!, bits: this.bits.slice(at, at + WORDS) }
        : undefined;
    this.nums[i] = 0;
    return out;
  }

  private reset(i: number, num: number, t: number): void {
    this.nums[i] = num;
    this.last[i] = t;
    this.bits.fill(0, i * WORDS, (i + 1) * WORDS);
  }
}

/** The sketch bit of a sender (bits of the account hash the fingerprint slots do not use). */
export function senderBit(acctHash: number): number {
  return Math.floor(acctHash / 65536) & (BITS - 1);
}

/** Whether the sender's bit is set in a taken sketch (it was probably counted already). */
export function inSketch(bits: Uint32Array, acctHash: number): boolean {
  const b = senderBit(acctHash);
  return (bits[b >>> 5]! & (1 << (b & 31))) !== 0;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function ones(bits: Uint32Array, at: number): number {
  let n = 0;
  for (let w = 0; w < WORDS; w++) n += popcount(bits[at + w]!);
  return n;
}

function single(bits: Uint32Array, at: number): boolean {
  return ones(bits, at) <= 1;
}

/** Linear counting: distinct senders from the share of sketch bits still zero. */
function estimate(bits: Uint32Array, at: number): number {
  const set = ones(bits, at);
  const zeros = BITS - set;
  if (zeros === 0) return Math.round(BITS * Math.log(BITS));
  return Math.max(set, Math.round(-BITS * Math.log(zeros / BITS)));
}
