import { GatehouseError } from '../errors/index.ts';
import type { Authenticated, RequestContext } from '../identity/index.ts';
import type { Db, Tx } from '../store/db.ts';
import * as cases from './cases.ts';
import { RecoveryContext, type CaseView, type RecoveryDeps } from './context.ts';
import * as enrolment from './enrolment.ts';
import type { RecoveryOptions } from './options.ts';
import { CURRENT_PLEDGE, type Pledge } from './pledge.ts';
import * as queue from './queue.ts';
import { buildReport, type OwnerReport } from './report.ts';
import type { CaseState, RecoveryCasesTable, RecoveryOperatorAppealsTable } from './schema.ts';
import type { ChannelKind } from './senders.ts';
import * as steps from './steps.ts';
import { recoveryStore as q } from './store.ts';
import * as verification from './verification.ts';
import {
  ChannelCodeVerifier,
  RecoveryCodeVerifier,
  TrustedFriendsVerifier,
  VerifierRegistry,
  type Answer,
  type StartOptions,
  type VerifierKind,
} from './verifiers.ts';
import { PasskeyVerifier, TotpVerifier } from './verifiers-signin.ts';

export type { RecoveryDeps, CaseView, NextStep } from './context.ts';
export type { RecoveryOptions } from './options.ts';
export type { ChannelView } from './enrolment.ts';
export type { ReviewSession, StepAnswer } from './steps.ts';
export { summariseMessages } from './report.ts';

export interface CaseEventView {
  at: number;
  actor: string;
  step: string;
  details: Record<string, unknown>;
}

/**
 * Appeal cases, from a frozen account to a restored one (the files beside this one hold each part):
 * cases.ts opens and closes them, verification.ts proves ownership through the registered verifiers,
 * steps.ts walks pledge → password → session review → finish, enrolment.ts is the owner's set-up while
 * signed in, queue.ts the operators' queue for sanctions, report.ts the owner's report. Every step is a
 * case event, an outbox event and an audit entry in the same transaction.
 */
export class RecoveryService {
  readonly registry = new VerifierRegistry();
  readonly friendsVerifier: TrustedFriendsVerifier;
  readonly codeVerifier: RecoveryCodeVerifier;
  private readonly x: RecoveryContext;

  constructor(db: Db, deps: RecoveryDeps, opts: RecoveryOptions) {
    const x = new RecoveryContext(db, deps, opts);
    this.x = x;
    this.codeVerifier = new RecoveryCodeVerifier(db, x.now, x.scopeNow);
    this.friendsVerifier = new TrustedFriendsVerifier(db, (s) => enrolment.friendsOf(x, s), {
      threshold: opts.friendThreshold,
      max: opts.friendMax,
      ttlMs: opts.codeTtlMs,
      now: x.now,
      scopeFor: x.scopeNow,
    });
    this.registry.register(this.codeVerifier);
    this.registry.register(this.friendsVerifier);
    for (const kind of ['email', 'phone'] as const)
      this.registry.register(
        new ChannelCodeVerifier(kind, db, deps.codeSender, {
          ttlMs: opts.codeTtlMs,
          now: x.now,
          scopeFor: x.scopeNow,
        }),
      );
    const signin = { now: x.now, scopeFor: x.scopeNow, ttlMs: opts.codeTtlMs };
    this.registry.register(new PasskeyVerifier(db, deps.identity, signin));
    this.registry.register(new TotpVerifier(db, deps.identity, signin));
    for (const v of deps.verifiers ?? []) this.registry.register(v);
    deps.identity.onStateChange(cases.closeCasesOnStateChange(x));
  }

  private get v(): verification.Verification {
    return { registry: this.registry, friends: this.friendsVerifier };
  }

  get pledge(): Pledge {
    return CURRENT_PLEDGE;
  }

  // ---- cases ----

  /** The owner appeals by handle: a self-service case for a containment, the operator queue for a sanction. */
  appeal(handle: string, ctx: RequestContext, statement?: string): Promise<cases.OpenResult> {
    return cases.openAppeal(this.x, handle, ctx, statement);
  }

  /** The owner's self-service appeal of a containment (a sanction answers RECOVERY_NOT_ELIGIBLE). */
  async openAppeal(handle: string, ctx: RequestContext): Promise<{ token: string; case: CaseView }> {
    const r = await this.appeal(handle, ctx);
    if (r.queued)
      throw new GatehouseError('RECOVERY_NOT_ELIGIBLE', 'A sanction is appealed to the operators');
    return { token: r.token, case: r.case };
  }

  openByOperator(accountId: string, keyId: string, ctx: RequestContext) {
    return cases.openByOperator(this.x, accountId, keyId, ctx);
  }

  caseForToken(token: string): Promise<RecoveryCasesTable> {
    return cases.caseForToken(this.x, token);
  }

  /** The case as an operator sees it (everything). */
  async caseView(caseId: string): Promise<CaseView> {
    return this.x.view(await this.x.mustCase(caseId));
  }

  /** The appellant's view: before verification only the state and what to do next. */
  async ownerView(c: RecoveryCasesTable) {
    const methods =
      ['opened', 'verifying'].includes(c.state) || c.ready_at !== null
        ? await this.registry.availableFor(c.account_id, this.x.scope(c))
        : [];
    const friends =
      c.method === 'trusted_friends' ? await this.friendsVerifier.progress(this.x.db, c.id) : undefined;
    return { case: await this.x.view(c, false), methods, ...(friends ? { friends } : {}) };
  }

  async history(caseId: string): Promise<CaseEventView[]> {
    return (await q.events(this.x.db, caseId)).map((e) => ({
      at: e.at,
      actor: e.actor,
      step: e.step,
      details: JSON.parse(e.details) as Record<string, unknown>,
    }));
  }

  listCases(f: { state?: CaseState; account?: string; limit: number; before?: number }) {
    return cases.listCases(this.x, f);
  }

  reject(caseId: string, keyId: string, reason: string): Promise<CaseView> {
    return cases.reject(this.x, caseId, `key:${keyId}`, reason);
  }

  // ---- verification ----

  startVerification(c: RecoveryCasesTable, kind: VerifierKind, opts: StartOptions, ctx: RequestContext) {
    return verification.startVerification(this.x, this.v, c, kind, opts, ctx);
  }

  /** A code (recovery, emailed, texted, authenticator app) or, for a passkey, the assertion. */
  answer(c: RecoveryCasesTable, ans: string | Pick<Answer, 'code' | 'credential'>, ctx: RequestContext) {
    return verification.answer(this.x, this.v, c, typeof ans === 'string' ? { code: ans } : ans, ctx);
  }

  vouch(friendId: string, ownerHandle: string, code: string, ctx: RequestContext) {
    return verification.vouch(this.x, this.v, friendId, ownerHandle, code, ctx);
  }

  vouchRequests(friendId: string) {
    return verification.vouchRequests(this.x, friendId);
  }

  approveManual(caseId: string, keyId: string, note: string): Promise<CaseView> {
    return verification.approveManual(this.x, caseId, keyId, note);
  }

  // ---- steps ----

  acceptPledge(c: RecoveryCasesTable, version: string, ctx: RequestContext) {
    return steps.acceptPledge(this.x, c, version, ctx);
  }

  changePassword(c: RecoveryCasesTable, password: string, ctx: RequestContext) {
    return steps.changePassword(this.x, c, password, ctx);
  }

  sessionsForReview(c: RecoveryCasesTable) {
    return steps.sessionsForReview(this.x, c);
  }

  reviewSessions(
    c: RecoveryCasesTable,
    decision: { keep: string[]; revoke: string[]; keepGrants?: string[]; revokeGrants?: string[] },
    ctx: RequestContext,
  ) {
    return steps.reviewSessions(this.x, c, decision, ctx);
  }

  finish(c: RecoveryCasesTable, ctx: RequestContext) {
    return steps.finish(this.x, c, ctx);
  }

  // ---- the owner's report: to operators any time, to the appellant only once verified ----

  async reportFor(caseId: string): Promise<OwnerReport> {
    return buildReport(this.x, await this.x.mustCase(caseId));
  }

  async report(c: RecoveryCasesTable): Promise<OwnerReport> {
    if (!this.x.verified(c))
      throw new GatehouseError('RECOVERY_NOT_VERIFIED', 'The report is shown once the appeal is verified', {
        extra: { state: c.state },
      });
    return buildReport(this.x, c);
  }

  // ---- the owner's set-up (signed in) ----

  generateCodes(accountId: string, by?: enrolment.By): Promise<string[]> {
    return enrolment.generateCodes(this.x, accountId, by);
  }

  codesStatus(accountId: string) {
    return enrolment.codesStatus(this.x, accountId);
  }

  async codesRemaining(accountId: string): Promise<number> {
    return (await enrolment.codesStatus(this.x, accountId)).remaining;
  }

  async setFriends(accountId: string, handles: string[], by?: enrolment.By) {
    return (await enrolment.setFriends(this.x, accountId, handles, by)).friends;
  }

  async friends(accountId: string): Promise<Array<{ handle: string }>> {
    return (await enrolment.friends(this.x, accountId)).friends;
  }

  friendsStatus(accountId: string) {
    return enrolment.friends(this.x, accountId);
  }

  channels(accountId: string) {
    return enrolment.channels(this.x, accountId);
  }

  addChannel(accountId: string, kind: ChannelKind, address: string) {
    return enrolment.addChannel(this.x, accountId, kind, address);
  }

  verifyChannel(accountId: string, channelId: string, code: string, by?: enrolment.By) {
    return enrolment.verifyChannel(this.x, accountId, channelId, code, by);
  }

  removeChannel(accountId: string, channelId: string, by?: enrolment.By): Promise<void> {
    return enrolment.removeChannel(this.x, accountId, channelId, by);
  }

  changes(accountId: string) {
    return enrolment.changes(this.x, accountId);
  }

  notMe(auth: Authenticated, changeId: string) {
    return enrolment.notMeFromSession(this.x, auth, changeId);
  }

  notMeByToken(token: string) {
    return enrolment.notMeByToken(this.x, token);
  }

  /** Spends a recovery code as a second factor at sign-in (the codes and scope of a step-up). */
  spendCodeAsSecondFactor(tx: Tx, accountId: string, code: string): Promise<boolean> {
    return this.codeVerifier.consume(tx, accountId, code, this.x.scopeNow(accountId), null);
  }

  stepUp(auth: Authenticated, code: string, ctx: RequestContext) {
    return enrolment.stepUpWithCode(this.x, this.codeVerifier, auth, code, ctx);
  }

  // ---- the operators' queue of sanction appeals ----

  operatorQueue(f: { state?: RecoveryOperatorAppealsTable['state']; limit: number; before?: number }) {
    return queue.queue(this.x, f);
  }

  decideAppeal(id: string, keyId: string, decision: 'approved' | 'denied', note: string) {
    return queue.decide(this.x, id, keyId, decision, note);
  }
}
