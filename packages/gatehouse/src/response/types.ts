import type { Decision, Signal } from '../engine/types.ts';
import type { IdentityService } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import type { Db, Tx } from '../store/db.ts';
import type { WebhookMessageInput } from '../webhooks/index.ts';
import type { ActionKind } from './actions/index.ts';
import type { PolicyManager } from './policy-manager.ts';
import type { Localized } from './texts.ts';

/** The response part's contracts with the rest of Gatehouse: what it reads, what it calls, what it returns. */

/**
 * What the response part reads of a decision: the engine's `Decision` (the one decision type), of which
 * a decision Gatehouse makes on the owner's word ("not me", eventType `owner.denied`) fills the same
 * fields.
 */
export type ResponseDecision = Pick<
  Decision,
  'id' | 'account' | 'session' | 'time' | 'action' | 'risk' | 'eventId' | 'messageId' | 'checked'
> & {
  eventType: Decision['eventType'] | 'owner.denied';
  signals: ReadonlyArray<Pick<Signal, 'name' | 'value' | 'logOdds' | 'reason'>>;
  reasons: Readonly<Decision['reasons']>;
  campaigns?: Readonly<NonNullable<Decision['campaigns']>>;
  fingerprints?: Readonly<NonNullable<Decision['fingerprints']>>;
};
/** The name the response part's files use for it. */
export type DecisionInput = ResponseDecision;

export interface SentMessage {
  id: string;
  time: number;
  session?: string;
  recipients: string[];
  group?: { id: string; memberCount: number };
}

/** Reads what an account sent (the engine's event log implements it). */
export interface MessageLog {
  sentBy(account: string, opts: { session?: string; since: number; limit: number }): Promise<SentMessage[]>;
  /** Best estimate of when the compromise began (the intruder session's sign-in, or the first risky event). */
  compromiseStart(account: string, session: string | undefined, decidedAt: number): Promise<number>;
}

/**
 * A message to the platform (a signed webhook through the transactional outbox), typed by the SDK: about
 * an account, except the end of a platform-wide quarantine.
 */
export type PlatformMessage =
  | (WebhookMessageInput & { account: string })
  | Extract<WebhookMessageInput, { type: 'content.quarantine_lifted' }>;
export interface PlatformDelivery {
  enqueueInTx(tx: Tx, msg: PlatformMessage): Promise<void>;
}
export interface AuditEntryIn {
  actor: string;
  action: string;
  subject: string;
  data: Record<string, unknown>;
}
export interface AuditSink {
  appendInTx(tx: Tx, entry: AuditEntryIn): Promise<void>;
  /** Several entries in order, as one appendInTx each (the audit part: in 3 statements in all). */
  appendManyInTx(tx: Tx, entries: AuditEntryIn[]): Promise<void>;
}
/**
 * Engine controls the response part uses. That an account is contained is not among them: the engine
 * learns it from identity's `account.frozen` / `account.unfrozen`, the one channel.
 */
export interface EngineControl {
  /** The owner answered "it was me": the engine forgets the account's risk (and a containment it judged alone). */
  release(account: string): void;
  quarantine(key: string): void;
  unquarantine(key: string): void;
  /**
   * Whether the content under a quarantine key is passed along organically now (many accounts, few
   * showing compromise) and belongs to no campaign. Only where the engine runs in this process; the
   * scaled-out shape's broadcast controls cannot answer, and its quarantines then simply expire.
   */
  organic?(key: string): boolean;
}
/** Revokes third-party grants and tokens. The OAuth part implements it for apps; Gatehouse sessions now. */
export interface GrantRevoker {
  revokeGrants(
    account: string,
    scope: 'intruder' | 'all',
    session: string | undefined,
  ): Promise<{ revoked: number; kind: string }>;
}
/** Tells an owner something on their verified channels. */
export interface Notifier {
  notify(account: string, text: Localized, kind: string): Promise<{ channel: string }>;
}

export interface ResponseDeps {
  db: Db;
  log: Logger;
  identity: IdentityService;
  policy: PolicyManager;
  messages: MessageLog;
  delivery: PlatformDelivery;
  audit: AuditSink;
  engine: EngineControl;
  grants: GrantRevoker[];
  notifier: Notifier;
  challengeTtlMs?: number;
  /** Called after a transaction that wrote outbox events (action.taken) has committed. */
  onCommit?: () => void;
  now?: () => number;
}

/** The result of one planned step: what was (or, in dry-run, would have been) done. */
export interface StepResult {
  kind: ActionKind;
  rule: string;
  mode: 'enforce' | 'dry-run';
  status: 'done' | 'skipped' | 'failed';
  detail: Record<string, unknown>;
  ms: number;
}
