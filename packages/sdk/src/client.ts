/**
 * A typed client for Gatehouse's HTTP API. Apps use a session token; platform back ends use an operator
 * API key; an owner's appeal uses its case token (`withToken(caseToken)`). Every error is a
 * GatehouseApiError carrying the problem's stable code.
 *
 * @example
 * const gh = new GatehouseClient({ baseUrl: 'https://gatehouse.internal', apiKey: process.env.GH_KEY });
 * const answer = await gh.checkMessage({ account, recipients, text, client: { kind: 'web', name: 'chat' } });
 * if (answer.verdict !== 'allow') return hold(answer.reasons);
 */
import type {
  AccountRisk,
  AppealAnswer,
  Challenge,
  DeadLetter,
  Delivery,
  RecoveryCase,
  RecoveryMethods,
  RecoverySessions,
  RecoveryStep,
  ResponseAction,
  VerificationMethod,
  WebhookEndpoint,
  WebhookEndpointInput,
} from './api-types.ts';
import type { CheckMessageAnswer, CheckMessageInput, EventResult } from './events-client.ts';
import { withIdAndTime, type PlatformEventInput } from './platform-events.ts';
import type { Localized } from './localized.ts';
import type { WebhookMessage } from './webhooks.ts';

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
  /** The error's title in both languages (the problem's `title` and `titleZh`), to show a person. */
  readonly text: Localized;
  constructor(problem: Problem) {
    super(`${problem.code}: ${problem.detail ?? problem.title}`);
    this.name = 'GatehouseApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
    this.text = { en: problem.title, zh: problem.titleZh ?? problem.title };
  }
}

export interface Account {
  id: string;
  handle: string;
  displayName: string;
  state: 'active' | 'frozen' | 'deleted';
  stateReason: string | null;
  /** While frozen: `containment` (the owner may appeal) or `sanction` (operators decide); else null. */
  freezeKind?: 'containment' | 'sanction' | null;
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

/** Sessions ended by the account's holder; `kept`: older ones a session this new may not end yet. */
export interface SessionsEnded {
  revoked: number;
  kept?: number;
  /** When this session may end the kept ones (ms since the epoch). */
  keptUntil?: number;
  notice?: Localized;
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
   * (sign-up, sign-in). Sent as `X-Forwarded-For`, with this client's `apiKey` (which needs the scope
   * `accounts:forward`) as `X-API-Key`; without a key Gatehouse believes it only from its configured
   * proxies (`trustProxy` with `trustedProxies`), otherwise it sees the back end's address.
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
    if (this.opts.forwardedFor) {
      headers['x-forwarded-for'] = this.opts.forwardedFor;
      // the platform vouches for the address with its key (scope accounts:forward) where no key is sent
      if (this.opts.apiKey && auth !== 'key') headers['x-api-key'] = this.opts.apiKey;
    }
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
  /**
   * `deviceToken`: the token an earlier sign-in from this device answered (keep it on the device, e.g. in
   * an HttpOnly cookie); a sign-in from a device without one answers a new `deviceToken` to keep.
   */
  signIn(input: {
    handle: string;
    password: string;
    deviceToken?: string;
  }): Promise<{ account: Account; session: Session; token: string; deviceToken?: string }> {
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
  /**
   * Ends my other sessions. From a session younger than the server's sessionEndOthersMinAgeHours
   * (whatever its sign-in method), the sessions that began before it stay signed in: `kept` says how many,
   * `notice` why (zh/en). The same holds for `signOutEverywhere` and `changePassword`.
   */
  revokeOtherSessions(): Promise<SessionsEnded> {
    return this.request('POST', '/v1/me/sessions/revoke-others', undefined, 'token');
  }
  signOutEverywhere(): Promise<SessionsEnded> {
    return this.request('POST', '/v1/me/sessions/revoke-all', undefined, 'token');
  }
  changePassword(currentPassword: string, newPassword: string): Promise<SessionsEnded> {
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
  /**
   * Freezes an account. `kind` is `sanction` by default (the platform's enforcement: its appeal goes to
   * the operators' queue) or `containment` (taken over: the owner may appeal and prove ownership).
   */
  freeze(id: string, reason: string, opts: { kind?: 'containment' | 'sanction' } = {}): Promise<Account> {
    return this.request(
      'POST',
      `/v1/accounts/${encodeURIComponent(id)}/freeze`,
      { reason, ...(opts.kind ? { kind: opts.kind } : {}) },
      'key',
    );
  }
  unfreeze(id: string, reason: string): Promise<Account> {
    return this.request('POST', `/v1/accounts/${encodeURIComponent(id)}/unfreeze`, { reason }, 'key');
  }
  /**
   * One page of the webhook pull feed (operator key with webhooks:read). Pass each message to
   * `parseWebhook` for its typed payload.
   */
  webhookFeed(after?: string, limit = 100): Promise<{ messages: WebhookMessage[]; next: string }> {
    const q = new URLSearchParams({ limit: String(limit) });
    if (after) q.set('after', after);
    return this.request('GET', `/v1/webhooks/feed?${q}`, undefined, 'key');
  }

  // ---- events and the pre-send check (operator key with events:write) ----

  /**
   * Reports up to 1,000 events in one request (for steady traffic prefer EventsClient, which batches
   * and retries). Each result says accepted, duplicate (same id seen before) or rejected with a reason.
   */
  sendEvents(events: PlatformEventInput[]): Promise<{
    accepted: number;
    duplicates: number;
    rejected: number;
    results: EventResult[];
  }> {
    return this.request('POST', '/v1/events', { events }, 'key');
  }

  /**
   * The pre-send check of one message. `id` (the idempotency key) and `time` are filled when omitted;
   * pass your own `id` to make a retry return the first answer. Act on `verdict`: `allow` sends,
   * `hold` keeps it undelivered until released, `block` drops it.
   *
   * @example
   * const a = await gh.checkMessage({ account: sender, recipients: [to], text, client: { kind: 'mobile', name: 'ios' } });
   * if (a.verdict === 'allow') deliver(); else showHeldNotice(a.reasons);
   */
  checkMessage(message: CheckMessageInput): Promise<CheckMessageAnswer> {
    return this.request('POST', '/v1/check/message', withIdAndTime('message.sent', message), 'key');
  }

  /** An account's risk: the engine's view, recent events and decisions with signals (accounts:read). */
  accountRisk(id: string): Promise<AccountRisk> {
    return this.request('GET', `/v1/accounts/${encodeURIComponent(id)}/risk`, undefined, 'key');
  }

  // ---- webhook endpoints (operator key with webhooks:write; reads need webhooks:read) ----

  /**
   * Registers an endpoint; the answer holds its signing secret, shown once. Unknown types are refused
   * (WEBHOOK_TYPE_UNKNOWN, with `problem.validTypes`).
   *
   * @example
   * const { endpoint, secret } = await gh.createWebhookEndpoint({
   *   url: 'https://chat.example/gatehouse/hooks',
   *   types: ['account.*', 'message.retract', 'recipients.warn'],
   * });
   * await saveSecret(endpoint.id, secret);
   */
  createWebhookEndpoint(input: WebhookEndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    return this.request('POST', '/v1/webhooks/endpoints', input, 'key');
  }
  async webhookEndpoints(): Promise<WebhookEndpoint[]> {
    return (
      await this.request<{ endpoints: WebhookEndpoint[] }>('GET', '/v1/webhooks/endpoints', undefined, 'key')
    ).endpoints;
  }
  webhookEndpoint(id: string): Promise<WebhookEndpoint> {
    return this.request('GET', `/v1/webhooks/endpoints/${encodeURIComponent(id)}`, undefined, 'key');
  }
  /** Changes an endpoint's types or description (its URL and secret stay). */
  updateWebhookEndpoint(
    id: string,
    input: Pick<WebhookEndpointInput, 'types' | 'description'>,
  ): Promise<WebhookEndpoint> {
    return this.request('PATCH', `/v1/webhooks/endpoints/${encodeURIComponent(id)}`, input, 'key');
  }
  /** A new secret; the old one keeps signing too until the overlap ends (verify with both meanwhile). */
  rotateWebhookSecret(id: string): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    return this.request('POST', `/v1/webhooks/endpoints/${encodeURIComponent(id)}/rotate`, undefined, 'key');
  }
  removeWebhookEndpoint(id: string): Promise<void> {
    return this.request('DELETE', `/v1/webhooks/endpoints/${encodeURIComponent(id)}`, undefined, 'key');
  }
  async deadLetters(opts: { endpoint?: string; limit?: number } = {}): Promise<DeadLetter[]> {
    const q = new URLSearchParams({ limit: String(opts.limit ?? 100) });
    if (opts.endpoint) q.set('endpoint', opts.endpoint);
    return (
      await this.request<{ deadLetters: DeadLetter[] }>('GET', `/v1/webhooks/dead?${q}`, undefined, 'key')
    ).deadLetters;
  }
  /** Puts dead letters back in their queues (all, or the given message ids), in their original order. */
  replayWebhooks(
    sel: { all: true; endpoint?: string } | { messageIds: string[]; endpoint?: string },
  ): Promise<{ replayed: number }> {
    return this.request('POST', '/v1/webhooks/replay', sel, 'key');
  }
  /** Every delivery of a message with its attempts (status, latency, error). */
  async webhookDeliveries(messageId: string): Promise<Delivery[]> {
    return (
      await this.request<{ deliveries: Delivery[] }>(
        'GET',
        `/v1/webhooks/messages/${encodeURIComponent(messageId)}`,
        undefined,
        'key',
      )
    ).deliveries;
  }

  // ---- response: actions and holds (operator key with response:read / response:write) ----

  /** Actions taken (or planned in dry-run), newest first; filter by account or decision. */
  async actions(
    opts: { account?: string; decision?: string; limit?: number } = {},
  ): Promise<ResponseAction[]> {
    const q = new URLSearchParams({ limit: String(opts.limit ?? 100) });
    if (opts.account) q.set('account', opts.account);
    if (opts.decision) q.set('decision', opts.decision);
    return (await this.request<{ actions: ResponseAction[] }>('GET', `/v1/actions?${q}`, undefined, 'key'))
      .actions;
  }
  /** Releases a held message (a `message.release` webhook follows). */
  releaseHold(messageId: string): Promise<void> {
    return this.request('POST', `/v1/holds/${encodeURIComponent(messageId)}/release`, undefined, 'key');
  }

  // ---- challenges ("was this you?"; the owner's session token) ----

  /** The owner's pending challenges; show them on any session but `suspectedSession`. */
  async challenges(): Promise<Challenge[]> {
    return (await this.request<{ challenges: Challenge[] }>('GET', '/v1/me/challenges', undefined, 'token'))
      .challenges;
  }
  /**
   * The owner's answer: `was_me` releases held messages and lifts the throttle; `not_me` contains the
   * account at once. Refused from the suspected session (CHALLENGE_SUSPECTED_SESSION).
   *
   * @example
   * await gh.withToken(ownerSessionToken).answerChallenge(challenge.id, 'not_me');
   */
  answerChallenge(
    id: string,
    answer: 'was_me' | 'not_me',
  ): Promise<{ status: string; actions?: Array<{ kind: string; status: string }> }> {
    return this.request('POST', `/v1/me/challenges/${encodeURIComponent(id)}`, { answer }, 'token');
  }

  /**
   * Proves more than this session with one of the owner's saved recovery codes (it is spent; only codes
   * past their cooling-off count): a session that began after the suspicious activity may then answer
   * "was this you?". A wrong code is RECOVERY_CODE_INVALID.
   *
   * @example
   * await gh.withToken(newSessionToken).stepUp('ABCD-EFGH-JKMN');
   * await gh.withToken(newSessionToken).answerChallenge(challenge.id, 'was_me');
   */
  stepUp(recoveryCode: string): Promise<{ steppedUpAt: number }> {
    return this.request('POST', '/v1/me/step-up', { recoveryCode }, 'token');
  }

  // ---- recovery: the owner's appeal, proxied by the platform (case token via withToken) ----

  /**
   * Opens an appeal for a frozen account on its owner's behalf (operator key with `recovery:write`), for
   * a support desk or an "I can't sign in" page: hand the token to the owner, who walks the case with
   * `withToken(token)`. Operators are never limited by other appeals, and may open one for a sanction.
   *
   * @example
   * const { token } = await gh.openRecoveryCase(user.gatehouseId);
   * const owner = gh.withToken(token); // …startVerification, answerVerification, acceptPledge…
   */
  openRecoveryCase(account: string): Promise<{ token: string; case: RecoveryCase }> {
    return this.request('POST', '/v1/recovery/cases', { account }, 'key');
  }

  /** The pledge the appellant accepts (its version and text in both languages). */
  recoveryPledge(): Promise<{ version: string } & Localized> {
    return this.request('GET', '/v1/recovery/pledge');
  }
  /**
   * Opens an appeal for a frozen account by its handle. A take-over (containment) answers the case
   * token once: continue with `withToken(answer.token)`. A sanction answers `queued` (an operator decides).
   *
   * @example
   * const a = await gh.onBehalfOf({ ip: req.ip, userAgent: req.headers['user-agent'] }).appeal('zhang.hua');
   * if ('token' in a) { const owner = gh.withToken(a.token); await owner.startVerification('email_code'); }
   */
  appeal(handle: string, statement?: string): Promise<AppealAnswer> {
    return this.request('POST', '/v1/recovery/appeals', {
      handle,
      ...(statement !== undefined ? { statement } : {}),
    });
  }
  /** The appeal's state, its next step and the verification methods available. */
  recoveryCase(): Promise<
    { case: RecoveryCase; friends?: { confirmed: number; needed: number } } & RecoveryMethods
  > {
    return this.request('GET', '/v1/recovery/case', undefined, 'token');
  }
  startVerification(
    method: VerificationMethod,
    opts: { channel?: string } = {},
  ): Promise<
    RecoveryStep<{
      instructions: Localized;
      sentTo?: string;
      delivery?: string;
      friendCodes?: Array<{ friend: string; code: string }>;
      needed?: number;
      expiresAt?: number;
    }>
  > {
    return this.request('POST', '/v1/recovery/case/verification', { method, ...opts }, 'token');
  }
  answerVerification(code: string): Promise<RecoveryStep<{ outcome: string }>> {
    return this.request('POST', '/v1/recovery/case/verification/answer', { code }, 'token');
  }
  acceptPledge(version: string): Promise<RecoveryStep> {
    return this.request('POST', '/v1/recovery/case/pledge', { version, accept: true }, 'token');
  }
  setRecoveryPassword(newPassword: string): Promise<RecoveryStep<{ revokedSessions: number }>> {
    return this.request('POST', '/v1/recovery/case/password', { newPassword }, 'token');
  }
  recoverySessions(): Promise<RecoverySessions> {
    return this.request('GET', '/v1/recovery/case/sessions', undefined, 'token');
  }
  /** Keep or revoke each live session (and grant); those in `mustRevoke` must be revoked. */
  reviewSessions(review: {
    keep?: string[];
    revoke?: string[];
    keepGrants?: string[];
    revokeGrants?: string[];
  }): Promise<RecoveryStep> {
    return this.request('POST', '/v1/recovery/case/sessions/review', review, 'token');
  }
  /** Unfreezes the account (`account.unfrozen`, then `account.restore` webhooks) and answers the report. */
  finishRecovery(): Promise<Record<string, unknown>> {
    return this.request('POST', '/v1/recovery/case/finish', undefined, 'token');
  }
  /** What happened while the account was out of the owner's hands (once the appeal is verified). */
  recoveryReport(): Promise<Record<string, unknown>> {
    return this.request('GET', '/v1/recovery/case/report', undefined, 'token');
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
