// Operator accounts of the web console: a password (Argon2id, the identity part's hasher), a required
// TOTP second factor (the identity part's TOTP verification, its own replay-proof step counter), a role,
// and cookie sessions stored as hashes. Every change and every sign-in lands in the audit log.
import { randomBytes } from 'node:crypto';
import { appendAuditInTx } from '../audit/index.ts';
import { hashToken, newId, newToken } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { OWASP_ARGON2, PasswordHasher, type Argon2Params } from '../identity/index.ts';
import { newTotpSecret, totpStep } from '../identity/totp/totp.ts';
import { AttemptCounters, rateLimited } from '../ratelimit/index.ts';
import type { Db } from '../store/db.ts';
import type { SecretBox } from '../webhooks/index.ts';
import { ROLES, type Role } from './schema.ts';
import { consoleStore as s } from './store.ts';

export interface OperatorView {
  id: string;
  handle: string;
  role: Role;
  createdAt: number;
  disabledAt: number | null;
}

export interface OperatorSession {
  id: string;
  operator: OperatorView;
  expiresAt: number;
}

export interface OperatorOptions {
  argon2?: Argon2Params;
  /** Absolute lifetime of a console session (default 8 h). */
  sessionTtlMs?: number;
  /** Idle time after which a console session ends (default 1 h). */
  sessionIdleMs?: number;
  /** Failed sign-ins allowed per operator name and per address in 15 minutes (default 10 and 30). */
  maxFailuresPerHandle?: number;
  maxFailuresPerIp?: number;
  issuer?: string;
  now?: () => number;
}

const HANDLE_RE = /^[a-z0-9][a-z0-9._-]{2,31}$/;
const PASSWORD_MIN = 12;
const WINDOW_MS = 15 * 60_000;
const TOUCH_EVERY_MS = 60_000;
const totpContext = (id: string) => `operator-totp|${id}`;
export const operatorActorOf = (handle: string) => `operator:${handle}`;

function view(r: {
  id: string;
  handle: string;
  role: Role;
  created_at: number;
  disabled_at: number | null;
}): OperatorView {
  return { id: r.id, handle: r.handle, role: r.role, createdAt: r.created_at, disabledAt: r.disabled_at };
}

export function parseRole(text: string): Role {
  if (!(ROLES as readonly string[]).includes(text))
    throw new GatehouseError('VALIDATION_FAILED', `unknown role "${text}"; known: ${ROLES.join(', ')}`);
  return text as Role;
}

export class OperatorService {
  readonly db: Db;
  private readonly box: SecretBox;
  private readonly hasher: PasswordHasher;
  private readonly counters: AttemptCounters;
  private readonly opts: Required<Omit<OperatorOptions, 'argon2' | 'now'>>;
  readonly now: () => number;

  constructor(db: Db, box: SecretBox, opts: OperatorOptions = {}) {
    this.db = db;
    this.box = box;
    this.now = opts.now ?? Date.now;
    this.hasher = new PasswordHasher(opts.argon2 ?? OWASP_ARGON2);
    this.counters = new AttemptCounters(db, this.now);
    this.opts = {
      sessionTtlMs: opts.sessionTtlMs ?? 8 * 3_600_000,
      sessionIdleMs: opts.sessionIdleMs ?? 3_600_000,
      maxFailuresPerHandle: opts.maxFailuresPerHandle ?? 10,
      maxFailuresPerIp: opts.maxFailuresPerIp ?? 30,
      issuer: opts.issuer ?? 'Gatehouse console',
    };
  }

  /**
   * Creates an operator with a password (generated when not given) and a TOTP secret; both are returned
   * once, to be handed to the operator (the secret goes into their authenticator app).
   */
  async create(
    input: { handle: string; role: Role; password?: string },
    actor: string,
  ): Promise<{ operator: OperatorView; password: string; totp: { secret: string; otpauthUri: string } }> {
    const handle = input.handle.normalize('NFKC').toLowerCase();
    if (!HANDLE_RE.test(handle))
      throw new GatehouseError('VALIDATION_FAILED', 'operator name: 3-32 of a-z, 0-9, ".", "_", "-"');
    const password = input.password ?? randomBytes(15).toString('base64url');
    if (password.length < PASSWORD_MIN)
      throw new GatehouseError(
        'WEAK_PASSWORD',
        `an operator password has at least ${PASSWORD_MIN} characters`,
      );
    const id = newId('opr');
    const totp = newTotpSecret(this.opts.issuer, handle);
    const t = this.now();
    const row = {
      id,
      handle,
      password_hash: await this.hasher.hash(password),
      role: input.role,
      totp_sealed: this.box.seal(totp.secret, totpContext(id)),
      totp_last_step: 0,
      created_at: t,
      updated_at: t,
      disabled_at: null,
    };
    await this.db.transaction().execute(async (tx) => {
      if (await s.operatorByHandle(tx, handle)) throw new GatehouseError('OPERATOR_EXISTS');
      await s.insertOperator(tx, row);
      await appendAuditInTx(tx, {
        actor,
        action: 'operator.create',
        subject: id,
        data: { handle, role: input.role },
        at: t,
      });
    });
    return { operator: view(row), password, totp };
  }

  async list(): Promise<OperatorView[]> {
    return (await s.operators(this.db)).map(view);
  }

  async setRole(id: string, role: Role, actor: string): Promise<OperatorView> {
    const t = this.now();
    return this.db.transaction().execute(async (tx) => {
      if (!(await s.setRole(tx, id, role, t))) throw new GatehouseError('OPERATOR_NOT_FOUND');
      await appendAuditInTx(tx, { actor, action: 'operator.role', subject: id, data: { role }, at: t });
      return view((await s.operatorById(tx, id))!);
    });
  }

  /** Disables an operator and ends their console sessions. */
  async disable(id: string, actor: string): Promise<void> {
    const t = this.now();
    await this.db.transaction().execute(async (tx) => {
      if (!(await s.disable(tx, id, t))) throw new GatehouseError('OPERATOR_NOT_FOUND');
      await s.revokeOperatorSessions(tx, id, t);
      await appendAuditInTx(tx, { actor, action: 'operator.disable', subject: id, at: t });
    });
  }

  /**
   * Password and TOTP code in one step. Each attempt is counted (per name and per address) before it is
   * checked; past the limit the answer is RATE_LIMITED without a check. An unknown name costs the same
   * Argon2id verification as a wrong password, and every failure answers the same code.
   */
  async signIn(
    input: { handle: string; password: string; code: string },
    ctx: { ip: string; userAgent: string },
  ): Promise<{ token: string; session: OperatorSession }> {
    const handle = input.handle.normalize('NFKC').toLowerCase().slice(0, 64);
    const keys = [`console|op|${handle}`, `console|ip|${ctx.ip}`];
    const r = await this.counters.reserve([
      { key: keys[0]!, limit: this.opts.maxFailuresPerHandle, windowMs: WINDOW_MS },
      { key: keys[1]!, limit: this.opts.maxFailuresPerIp, windowMs: WINDOW_MS },
    ]);
    if (!r.allowed) throw rateLimited(r.retryAfterSeconds);
    const row = await s.operatorByHandle(this.db, handle);
    const passwordOk = row
      ? await this.hasher.verify(row.password_hash, input.password)
      : await this.hasher.verifyDummy(input.password);
    const t = this.now();
    const step =
      row && passwordOk && row.disabled_at === null
        ? totpStep(this.box.open(row.totp_sealed, totpContext(row.id)), input.code, row.totp_last_step, t)
        : undefined;
    const token = newToken('gho');
    const session = await this.db.transaction().execute(async (tx) => {
      if (!row || step === undefined || !(await s.acceptTotpStep(tx, row.id, step))) return undefined;
      const id = newId('ops');
      await s.insertSession(tx, {
        id,
        operator_id: row.id,
        token_hash: hashToken(token),
        created_at: t,
        expires_at: t + this.opts.sessionTtlMs,
        last_seen_at: t,
        revoked_at: null,
        ip: ctx.ip.slice(0, 64),
        user_agent: ctx.userAgent.slice(0, 300),
      });
      await appendAuditInTx(tx, {
        actor: operatorActorOf(row.handle),
        action: 'operator.signin',
        subject: row.id,
        data: { session: id, ip: ctx.ip.slice(0, 64) },
        at: t,
      });
      return { id, operator: view(row), expiresAt: t + this.opts.sessionTtlMs };
    });
    if (!session) {
      await this.db.transaction().execute((tx) =>
        appendAuditInTx(tx, {
          actor: 'anonymous',
          action: 'operator.signin_failed',
          subject: handle.slice(0, 64) || '-',
          data: { ip: ctx.ip.slice(0, 64), known: !!row, passwordOk },
          at: t,
        }),
      );
      throw new GatehouseError('OPERATOR_SIGNIN_FAILED');
    }
    await this.counters.clear([keys[0]!]);
    return { token, session };
  }

  /**
   * The live session of a console cookie token; throws UNAUTHENTICATED otherwise. `renew: false` (a
   * background read) checks the session without moving its idle timer.
   */
  async authenticate(token: string, o: { renew?: boolean } = {}): Promise<OperatorSession> {
    if (!token.startsWith('gho_') || token.length > 100) throw new GatehouseError('UNAUTHENTICATED');
    const row = await s.sessionByHash(this.db, hashToken(token));
    const t = this.now();
    if (
      !row ||
      row.revoked_at !== null ||
      row.disabled_at !== null ||
      row.expires_at <= t ||
      row.last_seen_at + this.opts.sessionIdleMs <= t
    )
      throw new GatehouseError('UNAUTHENTICATED');
    if (o.renew !== false && t - row.last_seen_at > TOUCH_EVERY_MS)
      await s.touchSession(this.db, row.session_id, t);
    return {
      id: row.session_id,
      operator: { id: row.operator_id, handle: row.handle, role: row.role, createdAt: 0, disabledAt: null },
      expiresAt: row.expires_at,
    };
  }

  async signOut(session: OperatorSession): Promise<void> {
    const t = this.now();
    await this.db.transaction().execute(async (tx) => {
      await s.revokeSession(tx, session.id, t);
      await appendAuditInTx(tx, {
        actor: operatorActorOf(session.operator.handle),
        action: 'operator.signout',
        subject: session.operator.id,
        data: { session: session.id },
        at: t,
      });
    });
  }
}
