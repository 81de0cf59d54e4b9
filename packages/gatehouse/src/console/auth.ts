// The console's cookie sessions where the API asks for an operator: the cookie (HttpOnly, SameSite=Strict,
// __Host- when secure) is checked, every state-changing request must carry the session's CSRF token, the
// operator's role must have the route's scope, and every state-changing request an operator makes is
// written to the audit log with its outcome. A background read (a route with `config: { backgroundRead:
// true }`, such as the live overview's stream and its poll) is checked like any other but does not renew
// the session's idle timer: an open overview on an idle operator's screen must not keep the session alive.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { appendAuditInTx } from '../audit/index.ts';
import type { Config } from '../config/index.ts';
import { safeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { ApiKeyView, OperatorSessions, Scope } from '../keys/index.ts';
import type { Logger } from '../log/index.ts';
import { csrfFor } from '../server/auth.ts';
import { operatorActorOf, type OperatorService, type OperatorSession } from './operators.ts';
import { ROLE_SCOPES, roleAllows } from './roles.ts';

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: OperatorSession;
  }
  interface FastifyContextConfig {
    /** A read the page makes on its own (live updates), not an operator's action: no idle renewal. */
    backgroundRead?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function consoleCookieName(config: Pick<Config, 'cookieSecure'>): string {
  return config.cookieSecure ? '__Host-gh_console' : 'gh_console';
}

export class ConsoleAuth implements OperatorSessions {
  private readonly operators: OperatorService;
  private readonly log: Logger;
  readonly cookieName: string;
  readonly secure: boolean;

  constructor(operators: OperatorService, config: Pick<Config, 'cookieSecure'>, log: Logger) {
    this.operators = operators;
    this.log = log;
    this.cookieName = consoleCookieName(config);
    this.secure = config.cookieSecure;
  }

  /** The console session of a request (and its CSRF check), or undefined when it has no console cookie. */
  async session(req: FastifyRequest): Promise<{ session: OperatorSession; token: string } | undefined> {
    const token = req.cookies?.[this.cookieName];
    if (!token) return undefined;
    const background = req.routeOptions.config?.backgroundRead === true;
    const session = await this.operators.authenticate(token, { renew: !background });
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !safeEqual(sent, csrfFor(token)))
        throw new GatehouseError('CSRF_FAILED');
    }
    req.consoleSession = session;
    return { session, token };
  }

  async verify(req: FastifyRequest, scope: Scope): Promise<ApiKeyView | undefined> {
    const s = await this.session(req);
    if (!s) return undefined;
    const op = s.session.operator;
    if (!roleAllows(op.role, scope))
      throw new GatehouseError('OPERATOR_ROLE', `the role ${op.role} lacks ${scope}`, {
        extra: { required: scope, role: op.role },
      });
    return {
      id: op.id,
      name: `operator ${op.handle}`,
      scopes: [...ROLE_SCOPES[op.role]],
      createdAt: op.createdAt,
      lastUsedAt: null,
      revokedAt: null,
    };
  }

  /** An onRequest hook for console routes that need a signed-in operator of any role. */
  require() {
    return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      if (!(await this.session(req))) throw new GatehouseError('UNAUTHENTICATED');
    };
  }

  /**
   * An onSend hook for the root server: "operator X did METHOD route → status" for every
   * state-changing request an operator made through the console, whatever its outcome. It runs
   * before the answer leaves, so an operator who has the answer finds the entry in the audit log.
   */
  auditHook() {
    return async <P>(req: FastifyRequest, reply: FastifyReply, payload: P): Promise<P> => {
      const session = req.consoleSession;
      if (!session || SAFE_METHODS.has(req.method)) return payload;
      const route = req.routeOptions.url ?? req.url.split('?')[0]!;
      if (route === '/v1/console/signout') return payload; // audited by the sign-out itself
      const params = (req.params ?? {}) as Record<string, unknown>;
      await this.operators.db
        .transaction()
        .execute((tx) =>
          appendAuditInTx(tx, {
            actor: operatorActorOf(session.operator.handle),
            action: 'console.request',
            subject: String(params.id ?? params.message ?? params.key ?? route).slice(0, 200),
            data: { method: req.method, route, status: reply.statusCode, session: session.id },
          }),
        )
        .catch((err: unknown) => this.log.error({ err }, 'console audit entry not written'));
      return payload;
    };
  }
}
