import { GatehouseError } from '../errors/index.ts';
import type { Tx, Db } from '../store/db.ts';
import { codeMatches, hashCode, newFriendCode, randomDigits } from './codes.ts';
import { maskAddress, type ChannelKind, type CodeSender } from './senders.ts';
import { recoveryStore as q } from './store.ts';

/** Every verification method an appeal can use. passkey and totp plug in when the sign-in factors land. */
export const VERIFIER_KINDS = [
  'passkey',
  'totp',
  'recovery_code',
  'trusted_friends',
  'email_code',
  'phone_code',
] as const;
export type VerifierKind = (typeof VERIFIER_KINDS)[number];

/** What a verifier sees of a case. */
export interface CaseRef {
  id: string;
  accountId: string;
  handle: string;
}

export interface StartOptions {
  /** email_code / phone_code: which verified channel (default: the first verified one). */
  channel?: string;
}

export interface StartResult {
  /** What the owner should do next, en and zh. */
  instructions: { en: string; zh: string };
  /** email_code / phone_code: the masked address and how the code was delivered. */
  sentTo?: string;
  delivery?: string;
  /** trusted_friends: one code per friend, shown once, for the owner to give each friend in person. */
  friendCodes?: Array<{ friend: string; code: string }>;
  needed?: number;
  expiresAt?: number;
  /** One-time codes to store (hashed) for this case, replacing the live ones of this kind. */
  challenges?: Array<{ target: string; codeHash: string; expiresAt: number }>;
  /** Runs after the transaction commits (e.g. sending the code). */
  afterCommit?: () => Promise<void>;
}

export interface Answer {
  code: string;
  /** trusted_friends: the confirming friend's account (from their own signed-in session). */
  friend?: string;
}

export type CheckResult =
  | { outcome: 'verified' }
  | { outcome: 'wrong' }
  | { outcome: 'expired' }
  | { outcome: 'pending'; confirmed: number; needed: number };

/**
 * One way for an owner to prove the account is theirs. `available` says whether the account has it set up;
 * `start` prepares a challenge (the service stores its hashed codes in the case's transaction); `check`
 * judges one answer inside the transaction that records it, and must read and write through that `tx` only. Rate limits, lockouts and state changes are the service's, not the verifier's.
 */
export interface Verifier {
  readonly kind: VerifierKind;
  available(accountId: string): Promise<boolean>;
  start(c: CaseRef, opts: StartOptions): Promise<StartResult>;
  check(tx: Tx, c: CaseRef, answer: Answer): Promise<CheckResult>;
}

/** The verifiers this Gatehouse offers, by kind. */
export class VerifierRegistry {
  private readonly byKind = new Map<VerifierKind, Verifier>();
  register(v: Verifier): this {
    this.byKind.set(v.kind, v);
    return this;
  }
  get(kind: VerifierKind): Verifier | undefined {
    return this.byKind.get(kind);
  }
  kinds(): VerifierKind[] {
    return [...this.byKind.keys()];
  }
  /** The registered kinds with whether the account can use each. */
  async availableFor(accountId: string): Promise<Array<{ kind: VerifierKind; available: boolean }>> {
    const out: Array<{ kind: VerifierKind; available: boolean }> = [];
    for (const [kind, v] of this.byKind) out.push({ kind, available: await v.available(accountId) });
    return out;
  }
}

/** Ten one-time recovery codes per account, generated (and shown) once, stored hashed. */
export class RecoveryCodeVerifier implements Verifier {
  readonly kind = 'recovery_code' as const;
  private readonly db: Db;
  private readonly now: () => number;
  constructor(db: Db, now: () => number) {
    this.db = db;
    this.now = now;
  }
  async available(accountId: string): Promise<boolean> {
    return (await q.unusedCodes(this.db, accountId)).length > 0;
  }
  async start(): Promise<StartResult> {
    return {
      instructions: {
        en: 'Enter one of the recovery codes you saved when you set up your account. Each code works once.',
        zh: '请输入您之前保存的一个恢复码。每个恢复码只能使用一次。',
      },
    };
  }
  async check(tx: Tx, c: CaseRef, answer: Answer): Promise<CheckResult> {
    let match: string | undefined;
    // Compare against every unused code (constant time each) so timing does not tell which matched.
    for (const row of await q.unusedCodes(tx, c.accountId)) {
      if (codeMatches(c.accountId, answer.code, row.code_hash) && match === undefined) match = row.id;
    }
    if (!match) return { outcome: 'wrong' };
    return (await q.useCode(tx, match, c.id, this.now())) ? { outcome: 'verified' } : { outcome: 'wrong' };
  }
}

/** A one-time code sent to one of the account's verified email addresses or phone numbers. */
export class ChannelCodeVerifier implements Verifier {
  readonly kind: 'email_code' | 'phone_code';
  private readonly channel: ChannelKind;
  private readonly db: Db;
  private readonly sender: CodeSender | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;
  constructor(
    channel: ChannelKind,
    db: Db,
    sender: CodeSender | undefined,
    opts: { ttlMs: number; now: () => number },
  ) {
    this.channel = channel;
    this.kind = channel === 'email' ? 'email_code' : 'phone_code';
    this.db = db;
    this.sender = sender;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now;
  }
  private senderFor(): CodeSender | undefined {
    return this.sender?.kinds.includes(this.channel) ? this.sender : undefined;
  }
  async available(accountId: string): Promise<boolean> {
    if (!this.senderFor()) return false;
    return (await q.channels(this.db, accountId)).some(
      (c) => c.kind === this.channel && c.verified_at !== null,
    );
  }
  async start(c: CaseRef, opts: StartOptions): Promise<StartResult> {
    const sender = this.senderFor();
    if (!sender) throw new GatehouseError('RECOVERY_SENDER_UNAVAILABLE');
    const verified = (await q.channels(this.db, c.accountId)).filter(
      (ch) => ch.kind === this.channel && ch.verified_at !== null,
    );
    const ch = opts.channel ? verified.find((v) => v.id === opts.channel) : verified[0];
    if (!ch)
      throw new GatehouseError('RECOVERY_CHANNEL_NOT_FOUND', `no verified ${this.channel} with that id`);
    const t = this.now();
    const code = randomDigits(6);
    const sentTo = maskAddress(this.channel, ch.address);
    return {
      instructions:
        this.channel === 'email'
          ? { en: `Enter the 6-digit code sent to ${sentTo}.`, zh: `请输入发送到 ${sentTo} 的 6 位验证码。` }
          : { en: `Enter the 6-digit code sent to ${sentTo}.`, zh: `请输入发送到 ${sentTo} 的 6 位验证码。` },
      sentTo,
      delivery: sender.delivery,
      expiresAt: t + this.ttlMs,
      challenges: [{ target: ch.id, codeHash: hashCode(c.id, code), expiresAt: t + this.ttlMs }],
      afterCommit: () =>
        sender.send({ kind: this.channel, address: ch.address, code, purpose: 'appeal', handle: c.handle }),
    };
  }
  async check(tx: Tx, c: CaseRef, answer: Answer): Promise<CheckResult> {
    const t = this.now();
    const live = (await q.challenges(tx, c.id, this.kind)).filter((r) => r.consumed_at === null);
    const current = live.filter((r) => r.expires_at > t);
    if (current.length === 0) return { outcome: 'expired' };
    const hit = current.find((r) => codeMatches(c.id, answer.code, r.code_hash));
    if (!hit) return { outcome: 'wrong' };
    return (await q.consumeChallenge(tx, hit.id, t)) ? { outcome: 'verified' } : { outcome: 'expired' };
  }
}

/**
 * Trusted friends: each of up to `max` friends (the owner's pre-chosen list, else long-standing friends the
 * engine supplies) gets a one-time code that the owner passes on in person or by phone; each friend enters it
 * through their own signed-in Gatehouse session. `threshold` confirmations verify the case.
 */
export class TrustedFriendsVerifier implements Verifier {
  readonly kind = 'trusted_friends' as const;
  private readonly db: Db;
  private readonly friendsOf: (accountId: string) => Promise<Array<{ id: string; handle: string }>>;
  private readonly threshold: number;
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  constructor(
    db: Db,
    friendsOf: (accountId: string) => Promise<Array<{ id: string; handle: string }>>,
    opts: { threshold: number; max: number; ttlMs: number; now: () => number },
  ) {
    this.db = db;
    this.friendsOf = friendsOf;
    this.threshold = opts.threshold;
    this.max = opts.max;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now;
  }
  async available(accountId: string): Promise<boolean> {
    return (await this.friendsOf(accountId)).length >= this.threshold;
  }
  async start(c: CaseRef): Promise<StartResult> {
    const friends = (await this.friendsOf(c.accountId)).slice(0, this.max);
    if (friends.length < this.threshold) throw new GatehouseError('RECOVERY_METHOD_UNAVAILABLE');
    const t = this.now();
    const codes = friends.map((f) => ({ friend: f, code: newFriendCode() }));
    const n = this.threshold;
    return {
      instructions: {
        en: `Give each friend their own code in person or by phone (not by chat). ${n} of them must sign in to their own account and enter it.`,
        zh: `请当面或电话（不要通过聊天）把各自的验证码告诉每位好友。需要其中 ${n} 位登录自己的账号并输入验证码。`,
      },
      friendCodes: codes.map((x) => ({ friend: x.friend.handle, code: x.code })),
      challenges: codes.map(({ friend, code }) => ({
        target: friend.id,
        codeHash: hashCode(`${c.id}|${friend.id}`, code),
        expiresAt: t + this.ttlMs,
      })),
      needed: n,
      expiresAt: t + this.ttlMs,
    };
  }
  /** Counts confirmations so far (consumed friend challenges of this case). */
  async progress(tx: Tx | Db, caseId: string): Promise<{ confirmed: number; needed: number }> {
    const rows = await q.challenges(tx, caseId, this.kind);
    const confirmed = new Set(rows.filter((r) => r.consumed_at !== null).map((r) => r.target)).size;
    return { confirmed, needed: this.threshold };
  }
  async check(tx: Tx, c: CaseRef, answer: Answer): Promise<CheckResult> {
    if (!answer.friend) return { outcome: 'wrong' };
    const t = this.now();
    const mine = (await q.challenges(tx, c.id, this.kind)).filter(
      (r) => r.target === answer.friend && r.consumed_at === null && r.expires_at > t,
    );
    if (mine.length === 0) return { outcome: 'expired' };
    const hit = mine.find((r) => codeMatches(`${c.id}|${answer.friend}`, answer.code, r.code_hash));
    if (!hit) return { outcome: 'wrong' };
    if (!(await q.consumeChallenge(tx, hit.id, t))) return { outcome: 'expired' };
    const p = await this.progress(tx, c.id);
    return p.confirmed >= p.needed ? { outcome: 'verified' } : { outcome: 'pending', ...p };
  }
}
