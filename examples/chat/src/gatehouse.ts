/**
 * The ONE place where the chat platform talks to Gatehouse, and only through `@gatehouse/sdk`:
 * sign-up / sign-in / sign-out (`GatehouseClient`), event reporting (the batching `EventsClient` and the
 * `events` builders), the pre-send check (`EventsClient.checkMessage`, which also records the message)
 * and webhook verification (`verifyWebhook`). Everything else in the example sees the small
 * `GatehouseLink` interface below.
 */
import {
  events as build,
  EventsClient,
  GatehouseApiError,
  GatehouseClient,
  isWebhookType,
  parseWebhook,
  verifyWebhook,
  WebhookVerificationError,
  type Account,
  type TypedWebhookMessage,
  type CheckMessageAnswer,
  type PlatformEventInput,
  type Session,
} from '@gatehouse/sdk';

export { GatehouseApiError };
export type { Account, Session };

/** A reason for a decision, in both languages. */
export interface Reason {
  code: string;
  en: string;
  zh: string;
}

export interface CheckInput {
  account: string;
  session?: string;
  messageId: string;
  recipients?: string[];
  group?: { id: string; memberCount: number };
  text: string;
  urls: string[];
  attachments: { sha256: string; mime?: string }[];
  client: { kind: 'web' | 'mobile' | 'desktop' | 'bot'; name: string; version: string };
}

export interface CheckResult {
  decision: 'allow' | 'hold' | 'block';
  reasons: Reason[];
}

/** Events the chat reports (the SDK's platform event inputs, without id/time). */
export type ChatEvent =
  | ({ type: 'message.sent' } & CheckInput)
  | {
      type: 'message.reported';
      account: string;
      messageId: string;
      sender: string;
      reason: 'spam' | 'scam' | 'not_my_friend';
    }
  | { type: 'friend.added' | 'friend.removed'; account: string; friend: string }
  | { type: 'group.joined' | 'group.left'; account: string; group: { id: string; memberCount: number } }
  | { type: 'profile.changed'; account: string; field: string; old: string | null; new: string | null }
  | { type: 'contact.blocked'; account: string; contact: string };

/**
 * What a verified webhook asks the chat to do (readAction): `message.retract`, `recipients.warn`,
 * `account.frozen`, `account.unfrozen`, `sessions.revoke`, `session.revoked` and `sessions.revoked_all`
 * (Gatehouse ended one or every session of the account), `message.hold`, `message.release`,
 * `message.expire`, `account.restore`, and owner notices (`owner.notify`, `owner.challenge`,
 * `account.throttle`).
 */
export type WebhookAction =
  | { kind: 'message.retracted'; account: string | null; messageIds: string[] }
  | {
      kind: 'recipient.warned';
      account: string | null;
      recipients: string[];
      groups: string[];
      messageIds: string[];
      text: { en: string; zh: string };
    }
  | {
      kind: 'account.frozen';
      account: string;
      reason: string;
      /** Why, in plain words (Gatehouse's reasons); empty when an operator froze it. */
      reasons: Reason[];
      notice: { en: string; zh: string } | null;
    }
  | { kind: 'account.unfrozen'; account: string; reason: string }
  | { kind: 'session.revoked'; account: string; session: string | null; all: boolean; reason: string }
  | { kind: 'hold.placed' | 'hold.released' | 'hold.expired'; account: string | null; messageIds: string[] }
  | {
      kind: 'restore';
      account: string;
      friends: string[];
      groups: string[];
      profile: { field: string; value: string | null }[];
    }
  | { kind: 'notice'; account: string; text: { en: string; zh: string } }
  | { kind: 'ignored'; type: string };

export interface VerifiedWebhook {
  id: string;
  type: string;
  action: WebhookAction;
}

/** The end user behind a sign-up or sign-in, as the chat's HTTP server saw them. */
export interface Browser {
  userAgent?: string | undefined;
  ip?: string | undefined;
  /** The device token Gatehouse gave this browser at an earlier sign-in (the chat keeps it in a cookie). */
  deviceToken?: string | undefined;
}

/** A finished sign-in; `deviceToken` when Gatehouse gave this browser a new one to keep. */
export interface SignedIn {
  account: Account;
  session: Session;
  token: string;
  deviceToken?: string;
}

export interface Capabilities {
  events: boolean;
  check: boolean;
  webhooks: boolean;
}

export interface GatehouseLink {
  readonly capabilities: Capabilities;
  /**
   * `browser`: the person's User-Agent and IP address, so Gatehouse sees their device and network, not
   * the chat server's (the address is forwarded as X-Forwarded-For; Gatehouse honours it only when its
   * `trustProxy` setting is on).
   */
  signUp(
    input: { handle: string; password: string; displayName?: string },
    browser?: Browser,
  ): Promise<Account>;
  signIn(input: { handle: string; password: string }, browser?: Browser): Promise<SignedIn>;
  signOut(token: string): Promise<void>;
  me(token: string): Promise<Account>;
  /**
   * QR cross-device sign-in (Gatehouse's `/v1/auth/qr…` and `/v1/me/qr…`): the requesting browser's
   * public key starts it, `qrState` polls it, `qrCollect` proves the key and returns the sign-in; a
   * signed-in person's phone reads the context (`qrContext`) and decides (`qrDecide`).
   */
  qrStart(publicKey: unknown, browser?: Browser): Promise<QrStart>;
  qrState(id: string, browser?: Browser): Promise<{ state: string }>;
  qrCollect(id: string, signature: string, browser?: Browser): Promise<SignedIn>;
  qrContext(token: string, code: string, browser?: Browser): Promise<unknown>;
  qrDecide(
    token: string,
    code: string,
    decision: { decision: 'approve' | 'decline'; inFrontOfMe: boolean },
    browser?: Browser,
  ): Promise<{ state: string; outcome?: string }>;
  /**
   * Second factors (Gatehouse's `/v1/me/totp…` and `/v1/auth/signin/second-factor`): enrol an
   * authenticator app (the session must have proved its password recently), confirm it with a first
   * code, and finish a sign-in that answered SIGNIN_SECOND_FACTOR_REQUIRED.
   */
  totpEnrol(token: string, browser?: Browser): Promise<TotpEnrolment>;
  totpConfirm(token: string, code: string, browser?: Browser): Promise<{ confirmedAt: number }>;
  secondFactor(
    input: { challenge: string; method: 'totp' | 'recovery_code'; code: string },
    browser?: Browser,
  ): Promise<SignedIn>;
  /**
   * Passkeys (Gatehouse's `/v1/me/passkeys…` and `/v1/auth/passkey…`): the WebAuthn options for the
   * browser, then its answer. Registering needs a session that proved its password recently.
   */
  passkeyOptions(token: string, name: string, browser?: Browser): Promise<PasskeyCeremony>;
  passkeyRegister(
    token: string,
    ceremony: string,
    credential: unknown,
    browser?: Browser,
  ): Promise<{ id: string; name: string }>;
  passkeySignInOptions(browser?: Browser): Promise<PasskeyCeremony>;
  passkeySignIn(ceremony: string, credential: unknown, browser?: Browser): Promise<SignedIn>;
  /** Queues one event for the batching client (never throws, never waits). */
  report(event: ChatEvent): void;
  /** The synchronous pre-send check. */
  check(input: CheckInput): Promise<CheckResult>;
  /** Verifies a webhook's signature and reads what it asks for; throws WebhookError when invalid. */
  verifyWebhook(headers: Record<string, string | string[] | undefined>, rawBody: string): VerifiedWebhook;
  /** Sends every queued event. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A WebAuthn ceremony: Gatehouse's single-use token and the options for the browser (JSON form). */
export interface PasskeyCeremony {
  ceremony: string;
  options: unknown;
}

/** A pending authenticator-app enrolment: the secret as text, URI and QR image. */
export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrDataUrl: string;
}

/** A started QR login: what the requesting page shows (the QR image encodes `url`). */
export interface QrStart {
  id: string;
  code: string;
  url: string;
  qrSvg: string;
  challenge: string;
  expiresAt: number;
}

export class WebhookError extends Error {
  readonly code: 'WEBHOOK_INVALID' | 'WEBHOOKS_UNAVAILABLE';
  constructor(code: 'WEBHOOK_INVALID' | 'WEBHOOKS_UNAVAILABLE', message: string) {
    super(message);
    this.code = code;
  }
}

export interface LinkOptions {
  baseUrl: string;
  /** Operator API key (ghk_…) with events:write, for events and the pre-send check. */
  apiKey?: string;
  /** Webhook signing secrets (whsec_…); several during rotation. */
  webhookSecrets: string[];
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  fetch?: typeof fetch;
  /**
   * How long the pre-send check may take, ms (default 500): a platform calls it on its send path, so a
   * slow answer must not hold the sender. On timeout `check` throws and the chat fails open or closed.
   */
  checkTimeoutMs?: number;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 500;

export function createGatehouseLink(opts: LinkOptions): GatehouseLink {
  const client = new GatehouseClient({
    baseUrl: opts.baseUrl,
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
    userAgent: 'gatehouse-example-chat/0.1',
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    timeoutMs: 10_000,
  });
  /** A client without the operator key that presents the browser's User-Agent and forwards its address. */
  const anonymous = new GatehouseClient({
    baseUrl: opts.baseUrl,
    userAgent: 'gatehouse-example-chat/0.1',
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    timeoutMs: 10_000,
  });
  const as = (b?: Browser) =>
    b?.userAgent || b?.ip
      ? anonymous.onBehalfOf({
          ...(b.userAgent ? { userAgent: b.userAgent.slice(0, 512) } : {}),
          ...(b.ip ? { ip: b.ip } : {}),
        })
      : client;
  const capabilities: Capabilities = {
    events: !!opts.apiKey,
    check: !!opts.apiKey,
    webhooks: opts.webhookSecrets.length > 0,
  };
  opts.log?.info({ capabilities }, 'gatehouse link');

  const events = opts.apiKey
    ? new EventsClient({
        baseUrl: opts.baseUrl,
        apiKey: opts.apiKey,
        timeoutMs: 5_000,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        onRejected: (rejected) =>
          opts.log?.warn(
            {
              rejected: rejected.map((r) => ({
                type: r.event.type,
                reason: r.result.reason,
                detail: r.result.detail,
              })),
            },
            'events rejected by Gatehouse',
          ),
        onError: (err, evs) =>
          opts.log?.warn({ err: err.message, events: evs.length }, 'events not delivered'),
      })
    : undefined;
  // the pre-send check on its own client: its timeout is the send path's, not the batch uploads'
  const checker = opts.apiKey
    ? new EventsClient({
        baseUrl: opts.baseUrl,
        apiKey: opts.apiKey,
        timeoutMs: opts.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      })
    : undefined;

  const toEvent = (e: ChatEvent): PlatformEventInput => {
    switch (e.type) {
      case 'message.sent': {
        const { type: _t, ...m } = e;
        // the event id is the message id: Gatehouse's holds and retractions name it
        return build.messageSent({ id: e.messageId, ...m });
      }
      case 'message.reported': {
        const { type: _t, ...f } = e;
        return build.messageReported(f);
      }
      case 'friend.added':
      case 'friend.removed': {
        const { type, ...f } = e;
        return type === 'friend.added' ? build.friendAdded(f) : build.friendRemoved(f);
      }
      case 'group.joined':
      case 'group.left': {
        const { type, ...f } = e;
        return type === 'group.joined' ? build.groupJoined(f) : build.groupLeft(f);
      }
      case 'profile.changed': {
        const { type: _t, ...f } = e;
        return build.profileChanged(f);
      }
      case 'contact.blocked': {
        const { type: _t, ...f } = e;
        return build.contactBlocked(f);
      }
    }
  };

  return {
    capabilities,
    signUp: (input, browser) => as(browser).createAccount(input),
    signIn: (input, browser) =>
      as(browser).signIn({ ...input, ...(browser?.deviceToken ? { deviceToken: browser.deviceToken } : {}) }),
    signOut: (token) => client.withToken(token).signOut(),
    me: (token) => client.withToken(token).me(),
    qrStart: (publicKey, browser) => as(browser).request('POST', '/v1/auth/qr', { publicKey }),
    qrState: (id, browser) => as(browser).request('GET', `/v1/auth/qr/${encodeURIComponent(id)}`),
    qrCollect: (id, signature, browser) =>
      as(browser).request('POST', `/v1/auth/qr/${encodeURIComponent(id)}/session`, {
        signature,
        mode: 'token',
      }),
    qrContext: (token, code, browser) =>
      as(browser)
        .withToken(token)
        .request('GET', `/v1/me/qr/${encodeURIComponent(code)}`, undefined, 'token'),
    qrDecide: (token, code, decision, browser) =>
      as(browser)
        .withToken(token)
        .request('POST', `/v1/me/qr/${encodeURIComponent(code)}/decision`, decision, 'token'),
    totpEnrol: (token, browser) =>
      as(browser).withToken(token).request('POST', '/v1/me/totp', undefined, 'token'),
    totpConfirm: (token, code, browser) =>
      as(browser).withToken(token).request('POST', '/v1/me/totp/confirm', { code }, 'token'),
    secondFactor: (input, browser) =>
      as(browser).request('POST', '/v1/auth/signin/second-factor', { ...input, mode: 'token' }),
    passkeyOptions: (token, name, browser) =>
      as(browser).withToken(token).request('POST', '/v1/me/passkeys/options', { name }, 'token'),
    passkeyRegister: (token, ceremony, credential, browser) =>
      as(browser).withToken(token).request('POST', '/v1/me/passkeys', { ceremony, credential }, 'token'),
    passkeySignInOptions: (browser) => as(browser).request('POST', '/v1/auth/passkey/options'),
    passkeySignIn: (ceremony, credential, browser) =>
      as(browser).request('POST', '/v1/auth/passkey', {
        ceremony,
        credential,
        mode: 'token',
        ...(browser?.deviceToken ? { deviceToken: browser.deviceToken } : {}),
      }),

    report(event) {
      if (!events) return;
      try {
        if (!events.trySend(toEvent(event)))
          opts.log?.warn({ type: event.type }, 'event queue full; event not reported');
      } catch (e) {
        opts.log?.warn({ err: e, type: event.type }, 'event not reported');
      }
    },

    async check(input) {
      if (!checker) return { decision: 'allow', reasons: [] };
      const { messageId, ...m } = input;
      const answer: CheckMessageAnswer = await checker.checkMessage({
        id: messageId,
        time: Date.now(),
        messageId,
        ...m,
      });
      return {
        decision: answer.verdict,
        reasons: answer.reasons.map((r) => ({ code: r.signal, en: r.en, zh: r.zh })),
      };
    },

    verifyWebhook(headers, rawBody) {
      if (!capabilities.webhooks)
        throw new WebhookError('WEBHOOKS_UNAVAILABLE', 'no webhook signing secret is configured');
      let msg: ReturnType<typeof verifyWebhook>;
      try {
        msg = verifyWebhook(opts.webhookSecrets, headers, rawBody);
        // a type this chat does not know yet (a newer Gatehouse) is acknowledged and ignored; a known
        // type is read only in the shape its schema describes
        if (!isWebhookType(msg.type))
          return { id: msg.id, type: msg.type, action: { kind: 'ignored', type: msg.type } };
        const typed = parseWebhook(msg);
        return { id: typed.id, type: typed.type, action: readAction(typed) };
      } catch (e) {
        if (e instanceof WebhookVerificationError)
          throw new WebhookError('WEBHOOK_INVALID', `${e.code}: ${e.message}`);
        throw e;
      }
    },

    async flush() {
      await events?.flush();
    },
    async close() {
      await events?.close().catch((e: unknown) => opts.log?.warn({ err: e }, 'events not flushed at close'));
    },
  };
}

/**
 * What a verified webhook asks the chat to do. The payload was checked against its type's schema in
 * `@gatehouse/sdk` (`verifyWebhook(…, { validate: true })`), so each case reads typed fields: Gatehouse
 * sends one shape per type.
 */
export function readAction(msg: TypedWebhookMessage): WebhookAction {
  switch (msg.type) {
    case 'message.retract':
      // a message the pre-send check held or blocked was never delivered: nothing to withdraw
      // a batch (a contained account's later messages) names every message in `messages`; `message` is its first
      return {
        kind: 'message.retracted',
        account: msg.data.account,
        messageIds: [...new Set([msg.data.message, ...(msg.data.messages ?? []).map((m) => m.id)])],
      };
    case 'recipients.warn':
      return {
        kind: 'recipient.warned',
        account: msg.data.account,
        recipients: msg.data.recipients,
        groups: msg.data.groups,
        messageIds: msg.data.messages,
        text: msg.data.warning,
      };
    case 'account.frozen':
      return {
        kind: 'account.frozen',
        account: msg.data.account,
        reason: msg.data.reason,
        reasons: msg.data.reasons.map((r) => ({ code: r.signal, en: r.en, zh: r.zh })),
        notice: msg.data.notice,
      };
    case 'account.unfrozen':
      return { kind: 'account.unfrozen', account: msg.data.account, reason: msg.data.reason };
    case 'sessions.revoke':
      return {
        kind: 'session.revoked',
        account: msg.data.account,
        session: msg.data.session,
        all: msg.data.scope === 'all' || !msg.data.session,
        reason: '',
      };
    case 'session.revoked':
      return {
        kind: 'session.revoked',
        account: msg.data.account,
        session: msg.data.session,
        all: false,
        reason: msg.data.reason,
      };
    // Gatehouse ended every session of the account (the owner's "sign out everywhere", an operator, a
    // freeze, a recovery password reset): every chat session made with them ends too
    case 'sessions.revoked_all':
      return {
        kind: 'session.revoked',
        account: msg.data.account,
        session: null,
        all: true,
        reason: msg.data.reason,
      };
    case 'message.hold':
      return { kind: 'hold.placed', account: msg.data.account, messageIds: [msg.data.message] };
    case 'message.release':
      return { kind: 'hold.released', account: msg.data.account, messageIds: [msg.data.message] };
    case 'message.expire':
      return { kind: 'hold.expired', account: msg.data.account, messageIds: [msg.data.message] };
    case 'account.restore':
      return {
        kind: 'restore',
        account: msg.data.account,
        friends: msg.data.friends,
        groups: msg.data.groups,
        profile: msg.data.profile,
      };
    case 'owner.notify':
    case 'owner.challenge':
      return { kind: 'notice', account: msg.data.account, text: msg.data.text };
    case 'account.throttle':
      return { kind: 'notice', account: msg.data.account, text: msg.data.notice };
    default:
      return { kind: 'ignored', type: msg.type };
  }
}
