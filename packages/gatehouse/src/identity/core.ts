import type { CounterStore } from '../ratelimit/index.ts';
import type {
  AccountWebhookPayload,
  AccountWebhookType,
  Device,
  IdentityEvent,
  SignInMethod,
} from '@gatehouse/sdk';
import { newEventId, outboxStore } from '../bus/index.ts';
import type { Db, Tx } from '../store/db.ts';
import type { EnqueueWebhook, WebhookMessageInput } from '../webhooks/index.ts';
import type { GeoLookup } from './geo/geo.ts';
import type { SigninOptions } from './mfa/options.ts';
import type { AccountsTable, FreezeKind } from './schema.ts';

/** The settings and ports of the identity core. */
export interface IdentityOptions {
  /** Where attempt counters live (Redis when `redisUrl` is set); the database's by default. */
  counters?: CounterStore | undefined;
  argon2: { memoryKiB: number; iterations: number; parallelism: number };
  sessionTtlMs: number;
  sessionIdleMs: number;
  /** Quick attempts per handle and network (or known device) before the progressive delay. */
  loginMaxFailuresPerAccount: number;
  /** Attempts per network (IPv4 /24, IPv6 /64) over every handle. */
  loginMaxFailuresPerIp: number;
  /** Attempts per handle from networks and devices it never signed in from (default 4× per account). */
  loginMaxUnknownFailuresPerAccount?: number;
  loginWindowMs: number;
  signupMaxPerIp: number;
  /** zxcvbn score a new password needs (0-4; default 3). */
  passwordMinScore?: number;
  /** How long a re-authentication (password again) lets a session change recovery factors (default 10 min). */
  reauthMs?: number;
  /** How long a new session may not sign out older ones (default 24 h; 0: off): `session-age.ts`. */
  endOthersMinAgeMs?: number;
  /** Signed platform webhooks (the webhooks part's enqueueInTx), in the change's own transaction. */
  enqueueWebhook?: EnqueueWebhook;
  /**
   * Called after a transaction that wrote to an outbox has committed, with what it wrote: bus events,
   * platform webhooks, and whether another part wrote to its own outbox in it (a notice, a webhook of
   * its own: `TxOut.noticed`). Wake only the dispatchers that have work.
   */
  onCommit?: (wrote: CommitWrites) => void;
  /**
   * Runs in the transaction that starts a session (notify announces a sign-in from somewhere new);
   * true when it enqueued something (a notice).
   */
  onSessionStartedTx?: (
    tx: Tx,
    s: { account: string; session: string; method: SignInMethod; ip: string; device: Device; at: number },
  ) => Promise<boolean>;
  /**
   * Runs in the transaction that starts a session approved on another device (a QR login): notify tells
   * the owner at once ("new sign-in from …, approved on …, was this you?"), saying when it is on probation.
   */
  onCrossDeviceSessionTx?: (
    tx: Tx,
    s: {
      account: string;
      session: string;
      method: SignInMethod;
      ip: string;
      device: Device;
      at: number;
      approvedOn: string;
      probation: boolean;
    },
  ) => Promise<unknown>;
  /** Runs in the transaction that changes a password (notify tells the owner). */
  onPasswordChangedTx?: (
    tx: Tx,
    p: {
      account: string;
      session?: string;
      via: 'settings' | 'recovery';
      sessionsEnded: number;
      /** Older sessions kept signed in (the change came from a session too new to end them). */
      sessionsKept?: number;
      at: number;
    },
  ) => Promise<unknown>;
  /** Seals secrets at rest with the server's secret key (TOTP secrets); the webhooks part's SecretBox. */
  secretBox?: { seal(plain: string, context: string): string; open(sealed: string, context: string): string };
  /** Spends one of the account's recovery codes as a second factor at sign-in (the recovery part). */
  spendRecoveryCode?: (tx: Tx, accountId: string, code: string) => Promise<boolean>;
  /** Where addresses are (the operator's MaxMind databases: identity/geo); unknown when absent. */
  geo?: GeoLookup;
  /** Second factors, passkeys and QR login (identity/mfa/options.ts; defaults when absent). */
  signin?: Partial<SigninOptions>;
  now?: () => number;
}

export interface RequestContext {
  ip: string;
  userAgent: string;
}

export type EventInput = IdentityEvent extends infer E
  ? E extends IdentityEvent
    ? Omit<E, 'id' | 'time'>
    : never
  : never;

export type RevokeReason = Extract<IdentityEvent, { type: 'session.revoked' }>['reason'];

/** What a state change can do inside its transaction: bus events and platform webhooks. */
export interface TxOut {
  emit(e: EventInput): void;
  webhook<T extends AccountWebhookType>(type: T, payload: AccountWebhookPayload<T>): void;
  /**
   * Another part wrote to its outbox in this transaction (a notice, its own webhook, through a hook):
   * its dispatchers are woken after commit. Every call of a hook that may do so says it.
   */
  noticed(): void;
}

/** What a committed identity transaction wrote to the outboxes (which dispatchers have work). */
export interface CommitWrites {
  events: number;
  webhooks: number;
  /** Another part's outbox (notices, its webhooks) was written through a hook. */
  others: boolean;
}

/** A change of an account's state, seen by hooks inside the change's transaction. */
export interface StateChange {
  account: string;
  from: AccountsTable['state'];
  to: AccountsTable['state'];
  kind: FreezeKind | null;
  reason: string;
  actor: string;
  at: number;
}
export type StateHook = (tx: Tx, change: StateChange) => Promise<void>;

/**
 * Runs a state change with its bus events (outbox) and platform webhooks in one transaction; the events
 * carry `t`, the change's own time.
 */
export async function inTx<T>(
  db: Db,
  opts: IdentityOptions,
  fn: (tx: Tx, out: TxOut) => Promise<T>,
  t: number,
): Promise<T> {
  const events: IdentityEvent[] = [];
  let webhooks = 0;
  let others = false;
  const result = await db.transaction().execute(async (tx) => {
    const queued: WebhookMessageInput[] = [];
    others = false;
    const r = await fn(tx, {
      emit: (e) => events.push({ ...e, id: newEventId(), time: t } as IdentityEvent),
      webhook: (type, payload) =>
        queued.push({ type, account: payload.account, payload } as WebhookMessageInput),
      noticed: () => {
        others = true;
      },
    });
    await outboxStore.append(tx, events);
    if (opts.enqueueWebhook) for (const w of queued) await opts.enqueueWebhook(tx, w);
    webhooks = queued.length;
    return r;
  });
  if (events.length || webhooks || others) opts.onCommit?.({ events: events.length, webhooks, others });
  return result;
}
