import { createHash } from 'node:crypto';
import { hashToken, newId, newToken, safeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import {
  networkOf,
  parseDevice,
  type AccountView,
  type RequestContext,
  type StateChange,
} from '../identity/index.ts';
import type { Tx } from '../store/db.ts';
import { APPELLANT, keyActor, wrongState, type CaseView, type RecoveryContext } from './context.ts';
import { openOperatorAppeal, type OperatorAppealView } from './queue.ts';
import { entryFromSignins } from './report.ts';
import { OPEN_STATES, type CaseState, type RecoveryCasesTable } from './schema.ts';
import { recoveryStore as q } from './store.ts';

/**
 * Appeal cases: opening (by the owner with the handle, or by an operator), the token, expiry, and the
 * rule that a case lives only as long as the freeze it was opened for. Anyone who knows a handle can
 * open an appeal, so an unverified case never blocks another: cases count only against their own
 * appellant (network and device), unstarted ones expire in minutes, and operators are never limited.
 */

const TOKEN_RE = /^ghr_[A-Za-z0-9_-]{43}$/;
/** A response-part freeze is recorded just before identity freezes the account. */
const FACTS_SLACK_MS = 60_000;

/** Who appeals, as a hash of their network and device. */
export function appellantOf(ctx: RequestContext): { key: string; device: string } {
  const device = parseDevice(ctx.userAgent).label;
  const key = createHash('sha256')
    .update(`${networkOf(ctx.ip)}|${device}`)
    .digest('hex')
    .slice(0, 32);
  return { key, device };
}

export type OpenResult =
  | { token: string; case: CaseView; queued?: undefined }
  | { queued: OperatorAppealView; token?: undefined; case?: undefined };

/**
 * The owner appeals by handle. Unknown handles and accounts that are not frozen get the same answer. A
 * sanction is not self-service: its appeal goes to the operators' queue.
 */
export async function openAppeal(
  x: RecoveryContext,
  handle: string,
  ctx: RequestContext,
  statement = '',
): Promise<OpenResult> {
  const who = appellantOf(ctx);
  await x.limit([{ key: `recovery|appeal|network|${networkOf(ctx.ip)}`, limit: x.opts.appealsPerIp }]);
  const account = await x.identity.findByHandle(handle);
  if (!account || account.state !== 'frozen') throw new GatehouseError('RECOVERY_NOT_ELIGIBLE');
  if (account.freezeKind === 'sanction')
    return { queued: await openOperatorAppeal(x, account, ctx, statement) };
  return open(x, account, 'owner', APPELLANT, ctx, who);
}

/** An operator opens a case for any frozen account (no limit) and hands the token to the owner. */
export async function openByOperator(
  x: RecoveryContext,
  accountId: string,
  keyId: string,
  ctx: RequestContext,
): Promise<{ token: string; case: CaseView }> {
  const account = await x.identity.getAccount(accountId);
  if (account.state !== 'frozen') throw new GatehouseError('ACCOUNT_NOT_FROZEN');
  const r = await open(x, account, 'operator', keyActor(keyId), ctx, {
    key: `operator:${keyId}`,
    device: '',
  });
  return { token: r.token!, case: r.case! };
}

/** The compromise window of a freeze: where it starts, where that comes from, where it ends. */
async function windowOf(
  x: RecoveryContext,
  account: AccountView,
  t: number,
): Promise<{ start: number; end: number; basis: string }> {
  const frozenAt = account.frozenAt ?? t;
  const facts0 = await x.deps.compromiseFacts?.(account.id, t);
  // facts about an earlier freeze of the same account are not about this one
  const facts =
    facts0?.windowEnd !== undefined && facts0.windowEnd < frozenAt - FACTS_SLACK_MS ? undefined : facts0;
  const end = facts?.windowEnd ?? frozenAt;
  if (facts?.windowStart !== undefined)
    return { start: Math.min(facts.windowStart, end), end, basis: 'engine' };
  if (account.freezeSince !== null)
    return { start: Math.min(account.freezeSince, end), end, basis: 'freeze' };
  const fallback = end - x.opts.defaultWindowMs;
  const suspect = await entryFromSignins(x.identity, account.id, fallback, end);
  if (suspect) return { start: Math.min(suspect.at, end), end, basis: 'signins' };
  return { start: fallback, end, basis: 'default' };
}

async function open(
  x: RecoveryContext,
  account: AccountView,
  openedBy: 'owner' | 'operator',
  actor: string,
  ctx: RequestContext,
  who: { key: string; device: string },
): Promise<{ token: string; case: CaseView }> {
  const t = x.now();
  const w = await windowOf(x, account, t);
  const token = newToken('ghr');
  const row: RecoveryCasesTable = {
    id: newId('case'),
    account_id: account.id,
    state: 'opened',
    opened_by: openedBy,
    opener: actor,
    token_hash: hashToken(token),
    ip: ctx.ip,
    // an owner's appeal that is not started soon expires; an operator's lives the whole case TTL
    expires_at:
      t + (openedBy === 'owner' ? Math.min(x.opts.unstartedCaseMs, x.opts.caseTtlMs) : x.opts.caseTtlMs),
    method: null,
    verified_at: null,
    verified_by: null,
    pledge_version: null,
    pledged_at: null,
    pledge_ip: null,
    password_changed_at: null,
    sessions_reviewed_at: null,
    window_start: w.start,
    window_end: w.end,
    wrong_answers: 0,
    locked_until: null,
    reject_reason: null,
    restore: null,
    created_at: t,
    updated_at: t,
    closed_at: null,
    appellant: who.key,
    device: who.device,
    freeze_at: account.frozenAt ?? t,
    window_basis: w.basis,
    verified_methods: '[]',
    ready_at: null,
    deny_token_hash: null,
  };
  await x.tx(async (tx) => {
    if (openedBy === 'owner' && (await q.countOpenCases(tx, account.id, who.key, t)) >= x.opts.maxOpenCases)
      throw new GatehouseError('RECOVERY_TOO_MANY_CASES', 'You already have open appeals for this account', {
        extra: { max: x.opts.maxOpenCases },
      });
    await q.insertCase(tx, row);
    await x.record(tx, row, actor, 'opened', {
      openedBy,
      ip: ctx.ip,
      window: { start: w.start, end: w.end, basis: w.basis },
    });
  });
  return { token, case: await x.view(row, openedBy === 'operator') };
}

/**
 * Resolves an owner's case token. An open case past its time is closed as expired, and one whose
 * account left the freeze it was opened for as superseded; both answer with an error.
 */
export async function caseForToken(x: RecoveryContext, token: string): Promise<RecoveryCasesTable> {
  if (!TOKEN_RE.test(token)) throw new GatehouseError('RECOVERY_TOKEN_INVALID');
  const h = hashToken(token);
  const c = await q.caseByTokenHash(x.db, h);
  if (!c || !safeEqual(c.token_hash, h)) throw new GatehouseError('RECOVERY_TOKEN_INVALID');
  if (c.expires_at <= x.now()) {
    if (OPEN_STATES.includes(c.state)) {
      await x.tx(async (tx) => {
        if (await q.transition(tx, c.id, OPEN_STATES, { state: 'expired', closed_at: x.now() }))
          await x.record(tx, c, 'system', 'expired');
      });
    }
    throw new GatehouseError('RECOVERY_TOKEN_INVALID', 'The appeal has expired; start a new one');
  }
  if (OPEN_STATES.includes(c.state)) await requireContainment(x, c);
  return c;
}

/** Why a case no longer applies, or undefined while its account is still in the freeze it is about. */
export function outOfContainment(
  c: Pick<RecoveryCasesTable, 'freeze_at' | 'opened_by'>,
  a: Pick<AccountView, 'state' | 'frozenAt' | 'freezeKind'>,
): string | undefined {
  if (a.state !== 'frozen') return `the account is ${a.state === 'active' ? 'no longer frozen' : a.state}`;
  if (a.frozenAt !== c.freeze_at) return 'the account was frozen again since';
  if (a.freezeKind !== 'containment' && c.opened_by !== 'operator')
    return 'the freeze is now a sanction (operators review its appeals)';
  return undefined;
}

/** Throws RECOVERY_CASE_SUPERSEDED (closing the case) when its account left the freeze it is about. */
export async function requireContainment(x: RecoveryContext, c: RecoveryCasesTable, tx?: Tx): Promise<void> {
  const why = outOfContainment(c, await x.identity.getAccount(c.account_id, tx));
  if (!why) return;
  const close = (t: Tx) => supersede(x, t, c, why, 'system');
  if (tx) await close(tx);
  else await x.tx(close);
  throw new GatehouseError('RECOVERY_CASE_SUPERSEDED', `This appeal is closed: ${why}`, { extra: { why } });
}

async function supersede(x: RecoveryContext, tx: Tx, c: RecoveryCasesTable, why: string, actor: string) {
  const t = x.now();
  if (
    await q.transition(tx, c.id, OPEN_STATES, {
      state: 'superseded',
      reject_reason: why,
      closed_at: t,
      updated_at: t,
    })
  )
    await x.record(tx, c, actor, 'superseded', { why });
}

/**
 * The state hook: when an account is unfrozen (a case restored it, or an operator did) or deleted, every
 * other open case closes; when a containment becomes a sanction, the owners' cases close (operators
 * review sanctions).
 */
export function closeCasesOnStateChange(x: RecoveryContext) {
  return async (tx: Tx, ch: StateChange): Promise<void> => {
    if (ch.to === 'frozen' && !(ch.from === 'frozen' && ch.kind === 'sanction')) return;
    const why =
      ch.to === 'active'
        ? `the account was unfrozen (${ch.reason})`
        : ch.to === 'deleted'
          ? 'the account was deleted'
          : 'the freeze is now a sanction (operators review its appeals)';
    for (const c of await q.openCases(tx, ch.account))
      if (ch.to !== 'frozen' || c.opened_by !== 'operator') await supersede(x, tx, c, why, ch.actor);
    if (ch.to !== 'frozen') await q.closeOperatorAppeals(tx, ch.account, ch.at, ch.actor, why);
  };
}

export async function listCases(
  x: RecoveryContext,
  f: { state?: CaseState; account?: string; limit: number; before?: number },
): Promise<CaseView[]> {
  return Promise.all((await q.listCases(x.db, f)).map((r) => x.view(r)));
}

export async function reject(
  x: RecoveryContext,
  caseId: string,
  actor: string,
  reason: string,
): Promise<CaseView> {
  const c = await x.mustCase(caseId);
  x.requireState(c, OPEN_STATES);
  const t = x.now();
  await x.tx(async (tx) => {
    if (
      !(await q.transition(tx, c.id, OPEN_STATES, {
        state: 'rejected',
        reject_reason: reason,
        closed_at: t,
        updated_at: t,
      }))
    )
      throw wrongState((await q.caseById(tx, c.id))!, OPEN_STATES);
    await x.record(tx, c, actor, 'rejected', { reason });
  });
  return x.view(await x.mustCase(c.id));
}
