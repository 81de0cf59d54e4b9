/**
 * A typed client for Gatehouse's HTTP API. Apps use a session token; platform back ends use an operator
 * API key. Every error is a GatehouseApiError carrying the problem's stable code.
 */
export interface Problem {
  type: string;
  title: string;
  titleZh?: string;
  status: number;
  code: string;
  detail?: string;
  [k: string]: unknown;
}

export class GatehouseApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(`${problem.code}: ${problem.detail ?? problem.title}`);
    this.name = 'GatehouseApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }
}

export interface Account {
  id: string;
  handle: string;
  displayName: string;
  state: 'active' | 'frozen' | 'deleted';
  stateReason: string | null;
  createdAt: number;
}

export interface Session {
  id: string;
  method: string;
  device: { label: string; browser?: string; os?: string; deviceType?: string };
  ip: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  current: boolean;
}

export interface Signin {
  seq: number;
  success: boolean;
  reason: string;
  method: string;
  ip: string;
  device: Session['device'];
  at: number;
}

export interface ClientOptions {
  baseUrl: string;
  /** Session token (ghs_…) for user calls. */
  token?: string;
  /** Operator API key (ghk_…) for operator calls. */
  apiKey?: string;
  userAgent?: string;
  /**
   * The end user's IP address, for a platform back end that calls Gatehouse on a person's behalf
   * (sign-up, sign-in). Sent as `X-Forwarded-For`; Gatehouse uses it only when its `trustProxy`
   * setting is on (so only when it trusts the caller — a platform back end on your own network),
   * otherwise it sees the back end's address.
   */
  forwardedFor?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export class GatehouseClient {
  private readonly opts: ClientOptions;
  private readonly f: typeof fetch;
  constructor(opts: ClientOptions) {
    this.opts = { ...opts, baseUrl: opts.baseUrl.replace(/\/+$/, '') };
    this.f = opts.fetch ?? fetch;
  }

  /** A client that acts with the given session token. */
  withToken(token: string): GatehouseClient {
    return new GatehouseClient({ ...this.opts, token });
  }

  /**
   * A client that acts for one end user: presents their User-Agent and forwards their IP address
   * (`X-Forwarded-For`, honoured only by a Gatehouse whose `trustProxy` is on). Empty values keep
   * this client's own.
   */
  onBehalfOf(user: { userAgent?: string; ip?: string }): GatehouseClient {
    return new GatehouseClient({
      ...this.opts,
      ...(user.userAgent ? { userAgent: user.userAgent } : {}),
      ...(user.ip ? { forwardedFor: user.ip } : {}),
    });
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    auth: 'token' | 'key' | 'none' = 'none',
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.userAgent) headers['user-agent'] = this.opts.userAgent;
    if (this.opts.forwardedFor) headers['x-forwarded-for'] = this.opts.forwardedFor;
    const secret = auth === 'token' ? this.opts.token : auth === 'key' ? this.opts.apiKey : undefined;
    if (auth !== 'none') {
      if (!secret)
        throw new Error(`this call needs ${auth === 'token' ? 'a session token' : 'an operator API key'}`);
      headers.authorization = `Bearer ${secret}`;
    }
    const res = await this.f(`${this.opts.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    const data = text ? (JSON.parse(text) as unknown) : undefined;
    if (!res.ok) {
      const p = (data ?? {}) as Partial<Problem>;
      throw new GatehouseApiError({
        type: p.type ?? 'about:blank',
        title: p.title ?? res.statusText,
        status: res.status,
        code: p.code ?? 'HTTP_ERROR',
        ...p,
      } as Problem);
    }
    return data as T;
  }

  createAccount(input: { handle: string; password: string; displayName?: string }): Promise<Account> {
    return this.request('POST', '/v1/accounts', input);
  }
  signIn(input: {
    handle: string;
    password: string;
  }): Promise<{ account: Account; session: Session; token: string }> {
    return this.request('POST', '/v1/auth/signin', { ...input, mode: 'token' });
  }
  signOut(): Promise<void> {
    return this.request('POST', '/v1/auth/signout', undefined, 'token');
  }
  me(): Promise<Account> {
    return this.request('GET', '/v1/me', undefined, 'token');
  }
  async sessions(): Promise<Session[]> {
    return (await this.request<{ sessions: Session[] }>('GET', '/v1/me/sessions', undefined, 'token'))
      .sessions;
  }
  revokeSession(id: string): Promise<void> {
    return this.request('DELETE', `/v1/me/sessions/${encodeURIComponent(id)}`, undefined, 'token');
  }
  revokeOtherSessions(): Promise<{ revoked: number }> {
    return this.request('POST', '/v1/me/sessions/revoke-others', undefined, 'token');
  }
  signOutEverywhere(): Promise<{ revoked: number }> {
    return this.request('POST', '/v1/me/sessions/revoke-all', undefined, 'token');
  }
  changePassword(currentPassword: string, newPassword: string): Promise<{ revoked: number }> {
    return this.request('POST', '/v1/me/password', { currentPassword, newPassword }, 'token');
  }
  async signins(limit = 50): Promise<Signin[]> {
    return (
      await this.request<{ signins: Signin[] }>('GET', `/v1/me/signins?limit=${limit}`, undefined, 'token')
    ).signins;
  }

  // operator calls
  getAccount(id: string): Promise<Account> {
    return this.request('GET', `/v1/accounts/${encodeURIComponent(id)}`, undefined, 'key');
  }
  freeze(id: string, reason: string): Promise<Account> {
    return this.request('POST', `/v1/accounts/${encodeURIComponent(id)}/freeze`, { reason }, 'key');
  }
  unfreeze(id: string, reason: string): Promise<Account> {
    return this.request('POST', `/v1/accounts/${encodeURIComponent(id)}/unfreeze`, { reason }, 'key');
  }
  /** One page of the webhook pull feed (operator key with webhooks:read). */
  webhookFeed(
    after?: string,
    limit = 100,
  ): Promise<{
    messages: Array<{
      id: string;
      type: string;
      timestamp: string;
      account?: string;
      data: Record<string, unknown>;
    }>;
    next: string;
  }> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (after) q.set('after', after);
    return this.request('GET', `/v1/webhooks/feed?${q}`, undefined, 'key');
  }
  async accountSessions(id: string): Promise<Session[]> {
    return (
      await this.request<{ sessions: Session[] }>(
        'GET',
        `/v1/accounts/${encodeURIComponent(id)}/sessions`,
        undefined,
        'key',
      )
    ).sessions;
  }
}
