import type { CounterStore } from '../ratelimit/index.ts';
import type { SignInRisk } from '../engine/index.ts';
import type {
  AccountWebhookPayload,
  AccountWebhookType,
  Device,
  IdentityEvent,
  SignInMethod,
} from '@gatehouse/sdk';
import { newEventId, outboxStore } from '../bus/index.ts';
import { lockConflict, retryTransient, type Db, type Tx } from '../store/db.ts';
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
   * events for the engine's log, platform webhooks, and whether another part wrote to its own outbox in
   * it (a notice, a webhook of its own: `TxOut.noticed`). Wake only the dispatchers that have work.
   */
  onCommit?: (wrote: CommitWrites) => void;
  /**
   * Whether an event of this type goes to the outbox (absent: every event does). The module answers
   * with `PUBLISHED_ON_DEMAND`: the sign-in's own events only when a bus subscriber asks for them.
   */
  publishes?: (type: IdentityEvent['type']) => boolean;
  /**
   * The engine's event log, written in the change's own transaction: the engine sees every sign-in,
   * freeze and revocation that committed (after a crash too) without a second transaction of its own.
   */
  engineLog?: EngineLogPort;
  /**
   * The engine asked before a session exists, for a sign-in on a device the account never used: what it
   * holds against it (the account contained now, a wave of new-device sign-ins on this network).
   */
  engineSignInRisk?: (q: {
    account: string;
    ip: string;
  }) => readonly SignInRisk[] | Promise<readonly SignInRisk[]>;
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

/**
 * The events of every sign-in attempt, which reach the outbox only when a bus subscriber consumes their
 * type (`Bus.wants`): `login.succeeded`, whose one consumer, the engine, gets it in the transaction
 * (`EngineLogPort`); `session.created` and `login.failed`, which nothing subscribes to. Each was an
 * outbox row, a drain and a publish per sign-in for nobody. Every other identity event always goes to
 * the outbox, whoever subscribes (a process started later, after a crash, still gets it).
 */
export const PUBLISHED_ON_DEMAND: ReadonlySet<IdentityEvent['type']> = new Set([
  'login.succeeded',
  'session.created',
  'login.failed',
]);

/** The engine's side of identity's transactions (engine/service.ts `identityLog`). */
export interface EngineLogPort {
  /**
   * Takes the event log's append lock (PostgreSQL) first thing in an identity transaction that may
   * report to the engine: the log's lock is always taken before the append-order lock (audit, outbox,
   * webhooks) that the change may take, as the engine's own check batches take them, so the two never
   * wait for each other in opposite orders.
   */
  lock(tx: Tx): Promise<void>;
  /** Appends the events of the transaction the engine consumes; how many. */
  append(tx: Tx, events: readonly IdentityEvent[]): Promise<number>;
}

/** What a committed identity transaction wrote to the outboxes (which dispatchers have work). */
export interface CommitWrites {
  /** Bus events written to the outbox. */
  events: number;
  /** Events written to the engine's log. */
  logged: number;
  /** The transaction's identity events (the engine applies those it logged at once: engine/service.ts). */
  emitted: readonly IdentityEvent[];
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
 * Runs a state change with its bus events (outbox: the types someone subscribes to), the engine's copy
 * of them (its event log) and platform webhooks in one transaction; the events carry `t`, the change's
 * own time. `reports: false` says the change emits nothing the engine consumes (a failed sign-in): it
 * does not take the event log's lock first.
 */
export async function inTx<T>(
  db: Db,
  opts: IdentityOptions,
  fn: (tx: Tx, out: TxOut) => Promise<T>,
  t: number,
  reports = true,
): Promise<T> {
  let events: IdentityEvent[] = [];
  let published = 0;
  let logged = 0;
  let webhooks = 0;
  let others = false;
  // PostgreSQL: concurrent changes of one account (sign-ins at once) may take the event log's lock and
  // the account's rows in different orders; the deadlock's victim is run again (twice at most), not
  // answered STORE_BUSY. Not a unique violation: that is the answer (a handle taken)
  const result = await retryTransient(
    () =>
      db.transaction().execute(async (tx) => {
        const queued: WebhookMessageInput[] = [];
        events = [];
        others = false;
        if (reports && opts.engineLog) await opts.engineLog.lock(tx);
        const r = await fn(tx, {
          emit: (e) => events.push({ ...e, id: newEventId(), time: t } as IdentityEvent),
          webhook: (type, payload) =>
            queued.push({ type, account: payload.account, payload } as WebhookMessageInput),
          noticed: () => {
            others = true;
          },
        });
        logged = opts.engineLog && events.length > 0 ? await opts.engineLog.append(tx, events) : 0;
        const publishes = opts.publishes;
        const outbox = publishes ? events.filter((e) => publishes(e.type)) : events;
        await outboxStore.append(tx, outbox);
        published = outbox.length;
        if (opts.enqueueWebhook) for (const w of queued) await opts.enqueueWebhook(tx, w);
        webhooks = queued.length;
        return r;
      }),
    3,
    undefined,
    lockConflict,
  );
  if (published || logged || webhooks || others)
    opts.onCommit?.({ events: published, logged, webhooks, others, emitted: events });
  return result;
}
