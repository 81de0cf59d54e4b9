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
  verifyWebhook,
  WebhookVerificationError,
  type Account,
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

/** What a verified webhook asks the chat to do. */
/**
 * What a verified webhook asks the chat to do. Gatehouse's webhook types (response and recovery parts):
 * `message.retract`, `recipients.warn`, `account.frozen`, `account.unfrozen`, `sessions.revoke`
 * (and the identity event `session.revoked`), `message.hold`, `message.release`, `message.expire`,
 * `account.restore`, and owner notices (`owner.notify`, `owner.challenge`, `account.throttle`).
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
  | { kind: 'account.frozen'; account: string; reason: string; notice: { en: string; zh: string } | null }
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
  signIn(
    input: { handle: string; password: string },
    browser?: Browser,
  ): Promise<{ account: Account; session: Session; token: string }>;
  signOut(token: string): Promise<void>;
  me(token: string): Promise<Account>;
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
}

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
    signIn: (input, browser) => as(browser).signIn(input),
    signOut: (token) => client.withToken(token).signOut(),
    me: (token) => client.withToken(token).me(),

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
      if (!events) return { decision: 'allow', reasons: [] };
      const { messageId, ...m } = input;
      const answer: CheckMessageAnswer = await events.checkMessage({
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
      } catch (e) {
        if (e instanceof WebhookVerificationError)
          throw new WebhookError('WEBHOOK_INVALID', `${e.code}: ${e.message}`);
        throw e;
      }
      const data = (msg.data && typeof msg.data === 'object' ? msg.data : {}) as Record<string, unknown>;
      return {
        id: msg.id,
        type: msg.type,
        action: readAction(String(msg.type ?? ''), data, msg.account ? { account: msg.account } : {}),
      };
    },

    async flush() {
      await events?.flush();
    },
    async close() {
      await events?.close().catch((e: unknown) => opts.log?.warn({ err: e }, 'events not flushed at close'));
    },
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
function strs(...vs: unknown[]): string[] {
  const out: string[] = [];
  for (const v of vs) {
    if (typeof v === 'string' && v) out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && x) out.push(x);
  }
  return [...new Set(out)];
}

/** Reads a localised text: a string, or { en, 'zh-CN' | zh }. */
export function localised(v: unknown, fallbackEn = '', fallbackZh = ''): { en: string; zh: string } {
  if (typeof v === 'string') return { en: v, zh: v };
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const en = str(o.en) ?? str(o['en-US']) ?? fallbackEn;
    const zh = str(o['zh-CN']) ?? str(o.zh) ?? str(o['zh-Hans']) ?? (en || fallbackZh);
    return { en: en || zh, zh };
  }
  return { en: fallbackEn, zh: fallbackZh };
}

function ids(...vs: unknown[]): string[] {
  const out: string[] = [];
  for (const v of vs) {
    for (const x of Array.isArray(v) ? v : [v]) {
      const id =
        typeof x === 'string'
          ? x
          : x && typeof x === 'object'
            ? (str((x as Record<string, unknown>).messageId) ?? str((x as Record<string, unknown>).id))
            : undefined;
      if (id && !out.includes(id)) out.push(id);
    }
  }
  return out;
}

/**
 * Reads what a webhook asks for: `{id, type, timestamp, account?, data}`. Type names are Gatehouse's;
 * a few older spellings (`message.retracted`, `recipient.warned`, …) are read as well.
 */
export function readAction(
  type: string,
  d: Record<string, unknown>,
  top: Record<string, unknown> = {},
): WebhookAction {
  const account = str(d.account) ?? str(top.account) ?? null;
  const messageIds = ids(d.message, d.messageId, d.messageIds, d.messages);
  const t = type.toLowerCase();
  const need = (a: WebhookAction): WebhookAction =>
    account || a.kind === 'hold.released' ? a : { kind: 'ignored', type };
  switch (t) {
    case 'message.retract':
    case 'message.retracted':
    case 'messages.retract':
    case 'messages.retracted':
      return { kind: 'message.retracted', account, messageIds };
    case 'recipients.warn':
    case 'recipients.warned':
    case 'recipient.warned':
      return {
        kind: 'recipient.warned',
        account,
        recipients: strs(d.recipient, d.recipients),
        groups: ids(d.groups, d.group),
        messageIds,
        text: localised(d.warning ?? d.text),
      };
    case 'account.frozen':
      return account
        ? {
            kind: 'account.frozen',
            account,
            reason: str(d.reason) ?? '',
            notice: d.notice ? localised(d.notice) : null,
          }
        : { kind: 'ignored', type };
    case 'account.unfrozen':
      return account
        ? { kind: 'account.unfrozen', account, reason: str(d.reason) ?? '' }
        : { kind: 'ignored', type };
    case 'sessions.revoke':
    case 'session.revoked': {
      const session = str(d.session) ?? null;
      return account
        ? {
            kind: 'session.revoked',
            account,
            session,
            all: d.scope === 'all' || !session,
            reason: str(d.reason) ?? '',
          }
        : { kind: 'ignored', type };
    }
    case 'message.hold':
      return { kind: 'hold.placed', account, messageIds };
    case 'message.release':
    case 'message.hold.released':
      return { kind: 'hold.released', account, messageIds };
    case 'message.expire':
    case 'message.hold.expired':
      return { kind: 'hold.expired', account, messageIds };
    case 'account.restore': {
      const profile = Array.isArray(d.profile)
        ? d.profile
            .map((p: unknown) => p as Record<string, unknown>)
            .filter((p) => p && typeof p.field === 'string')
            .map((p) => ({ field: p.field as string, value: typeof p.value === 'string' ? p.value : null }))
        : [];
      return need({
        kind: 'restore',
        account: account ?? '',
        friends: strs(d.friends),
        groups: ids(d.groups),
        profile,
      });
    }
    case 'owner.notify':
    case 'owner.challenge':
    case 'account.throttle':
      return need({ kind: 'notice', account: account ?? '', text: localised(d.text ?? d.notice) });
    default:
      return { kind: 'ignored', type };
  }
}
