import { GatehouseError } from '../errors/index.ts';
import type { Tx, Db } from '../store/db.ts';
import { codeMatches, hashCode, newFriendCode, randomDigits } from './codes.ts';
import { usableChannels, usableCodes, type FactorScope } from './factors.ts';
import { maskAddress, type ChannelKind, type CodeSender } from './senders.ts';
import { recoveryStore as q } from './store.ts';

/** Every verification method an appeal can use (passkey and totp: verifiers-signin.ts). */
export const VERIFIER_KINDS = [
  'passkey',
  'totp',
  'recovery_code',
  'trusted_friends',
  'email_code',
  'phone_code',
] as const;
export type VerifierKind = (typeof VERIFIER_KINDS)[number];

/** What a verifier sees of a case: which factors count is the scope's business (factors.ts). */
export interface CaseRef {
  id: string;
  accountId: string;
  handle: string;
  scope: FactorScope;
}

/** A scope for an account now, outside any containment (the owner's own view, a step-up). */
export type ScopeFor = (accountId: string) => FactorScope;

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
  /** passkey: the WebAuthn request options for the browser (navigator.credentials.get). */
  webauthn?: Record<string, unknown>;
  /** One-time codes to store (hashed) for this case, replacing the live ones of this kind. */
  challenges?: Array<{ target: string; codeHash: string; expiresAt: number }>;
  /** Runs after the transaction commits (e.g. sending the code). */
  afterCommit?: () => Promise<void>;
}

export interface Answer {
  code: string;
  /** trusted_friends: the confirming friend's account (from their own signed-in session). */
  friend?: string;
  /** passkey: the authenticator's assertion (AuthenticationResponseJSON). */
  credential?: unknown;
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
  /** Whether the account has this method set up in `scope` (default: now, outside any containment). */
  available(accountId: string, scope?: FactorScope): Promise<boolean>;
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
  /** The registered kinds with whether the account can use each in `scope`. */
  async availableFor(
    accountId: string,
    scope?: FactorScope,
  ): Promise<Array<{ kind: VerifierKind; available: boolean }>> {
    const out: Array<{ kind: VerifierKind; available: boolean }> = [];
    for (const [kind, v] of this.byKind) out.push({ kind, available: await v.available(accountId, scope) });
    return out;
  }
}

/**
 * Ten one-time recovery codes per account, generated (and shown) once, stored hashed. Only the generation
 * that counts in the case's scope verifies (factors.ts): regenerating codes does not void the saved ones
 * until the new ones are past their cooling-off.
 */
export class RecoveryCodeVerifier implements Verifier {
  readonly kind = 'recovery_code' as const;
  private readonly db: Db;
  private readonly now: () => number;
  private readonly scopeFor: ScopeFor;
  constructor(db: Db, now: () => number, scopeFor: ScopeFor) {
    this.db = db;
    this.now = now;
    this.scopeFor = scopeFor;
  }
  async available(accountId: string, scope = this.scopeFor(accountId)): Promise<boolean> {
    return usableCodes(await q.codes(this.db, accountId), scope).length > 0;
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
    return (await this.consume(tx, c.accountId, answer.code, c.scope, c.id))
      ? { outcome: 'verified' }
      : { outcome: 'wrong' };
  }
  /** Spends a code that counts in `scope` (for a case, or a step-up when `caseId` is null). */
  async consume(
    tx: Tx,
    accountId: string,
    code: string,
    scope: FactorScope,
    caseId: string | null,
  ): Promise<boolean> {
    let match: string | undefined;
    // Compare against every usable code (constant time each) so timing does not tell which matched.
    for (const row of usableCodes(await q.codes(tx, accountId), scope)) {
      if (codeMatches(accountId, code, row.code_hash) && match === undefined) match = row.id;
    }
    if (!match) return false;
    return q.useCode(tx, match, caseId ?? 'step-up', this.now());
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
  private readonly scopeFor: ScopeFor;
  constructor(
    channel: ChannelKind,
    db: Db,
    sender: CodeSender | undefined,
    opts: { ttlMs: number; now: () => number; scopeFor: ScopeFor },
  ) {
    this.channel = channel;
    this.kind = channel === 'email' ? 'email_code' : 'phone_code';
    this.db = db;
    this.sender = sender;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now;
    this.scopeFor = opts.scopeFor;
  }
  private async usable(accountId: string, scope: FactorScope) {
    return usableChannels(await q.channels(this.db, accountId), scope).filter((c) => c.kind === this.channel);
  }
  private senderFor(): CodeSender | undefined {
    return this.sender?.kinds.includes(this.channel) ? this.sender : undefined;
  }
  async available(accountId: string, scope = this.scopeFor(accountId)): Promise<boolean> {
    if (!this.senderFor()) return false;
    return (await this.usable(accountId, scope)).length > 0;
  }
  async start(c: CaseRef, opts: StartOptions): Promise<StartResult> {
    const sender = this.senderFor();
    if (!sender) throw new GatehouseError('RECOVERY_SENDER_UNAVAILABLE');
    const verified = await this.usable(c.accountId, c.scope);
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
 * Trusted friends: each of up to `max` friends (the owner's list that counts in the case's scope, else
 * long-standing friends the engine supplies) gets a one-time code that the owner passes on in person or
 * by phone; each friend enters it through their own signed-in Gatehouse session, seeing where the appeal
 * comes from. `threshold` confirmations verify the case.
 */
export type FriendsOf = (scope: FactorScope) => Promise<Array<{ id: string; handle: string }>>;

export class TrustedFriendsVerifier implements Verifier {
  readonly kind = 'trusted_friends' as const;
  private readonly db: Db;
  private readonly friendsOf: FriendsOf;
  private readonly scopeFor: ScopeFor;
  private readonly threshold: number;
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  constructor(
    db: Db,
    friendsOf: FriendsOf,
    opts: { threshold: number; max: number; ttlMs: number; now: () => number; scopeFor: ScopeFor },
  ) {
    this.db = db;
    this.friendsOf = friendsOf;
    this.scopeFor = opts.scopeFor;
    this.threshold = opts.threshold;
    this.max = opts.max;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now;
  }
  async available(accountId: string, scope = this.scopeFor(accountId)): Promise<boolean> {
    return (await this.friendsOf(scope)).length >= this.threshold;
  }
  async start(c: CaseRef): Promise<StartResult> {
    const friends = (await this.friendsOf(c.scope)).slice(0, this.max);
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
