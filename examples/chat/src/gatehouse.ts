/**
 * The ONE place where the chat platform talks to Gatehouse, and only through `@gatehouse/sdk`:
 * sign-up / sign-in / sign-out (GatehouseClient), event reporting (the SDK's batching EventsClient),
 * the pre-send check (`checkMessage`) and webhook verification (`verifyWebhook`). Everything else in
 * the example sees the small `GatehouseLink` interface below.
 *
 * The events client and the pre-send check are looked up in the SDK at start (they land in parallel);
 * when absent, `capabilities` says so and the chat runs without them (no event reports, every message
 * delivered). Nothing is simulated.
 */
import * as sdk from '@gatehouse/sdk';
import {
  GatehouseApiError,
  GatehouseClient,
  verifyWebhook,
  WebhookVerificationError,
  type Account,
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

export interface Capabilities {
  events: boolean;
  check: boolean;
  webhooks: boolean;
}

export interface GatehouseLink {
  readonly capabilities: Capabilities;
  signUp(input: { handle: string; password: string; displayName?: string }): Promise<Account>;
  signIn(input: {
    handle: string;
    password: string;
  }): Promise<{ account: Account; session: Session; token: string }>;
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

// The SDK pieces built in parallel (platform events, check, webhooks). Looked up by name so this file
// type-checks and runs against an SDK that does not have them yet.
interface EventsClientLike {
  send?(event: unknown): unknown;
  enqueue?(event: unknown): unknown;
  add?(event: unknown): unknown;
  flush(): Promise<unknown>;
  close?(): Promise<unknown>;
  checkMessage?(input: Record<string, unknown>): Promise<unknown>;
}
interface FutureSdk {
  EventsClient?: new (opts: Record<string, unknown>) => EventsClientLike;
  events?: Record<string, (f: Record<string, unknown>) => Record<string, unknown>>;
  checkMessage?: (client: GatehouseClient, input: Record<string, unknown>) => Promise<unknown>;
}
const future = sdk as unknown as FutureSdk;

const BUILDER: Record<ChatEvent['type'], string> = {
  'message.sent': 'messageSent',
  'message.reported': 'messageReported',
  'friend.added': 'friendAdded',
  'friend.removed': 'friendRemoved',
  'group.joined': 'groupJoined',
  'group.left': 'groupLeft',
  'profile.changed': 'profileChanged',
  'contact.blocked': 'contactBlocked',
};

export function createGatehouseLink(opts: LinkOptions): GatehouseLink {
  const client = new GatehouseClient({
    baseUrl: opts.baseUrl,
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
    userAgent: 'gatehouse-example-chat/0.1',
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    timeoutMs: 10_000,
  });
  const canEvents = typeof future.EventsClient === 'function' && !!opts.apiKey;
  const canCheck =
    !!opts.apiKey &&
    (typeof future.checkMessage === 'function' ||
      (canEvents && typeof future.EventsClient!.prototype.checkMessage === 'function'));
  const canWebhooks = opts.webhookSecrets.length > 0;
  const capabilities: Capabilities = { events: canEvents, check: canCheck, webhooks: canWebhooks };
  opts.log?.info({ capabilities }, 'gatehouse link');

  const events: EventsClientLike | undefined = canEvents
    ? new future.EventsClient!({
        baseUrl: opts.baseUrl,
        apiKey: opts.apiKey,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      })
    : undefined;

  return {
    capabilities,
    signUp: (input) => client.createAccount(input),
    signIn: (input) => client.signIn(input),
    signOut: (token) => client.withToken(token).signOut(),
    me: (token) => client.withToken(token).me(),

    report(event) {
      if (!events) return;
      const { type, ...rest } = event;
      // a message.sent event carries the message id as its own id: Gatehouse's holds name the event
      const fields: Record<string, unknown> =
        type === 'message.sent' ? { id: event.messageId, ...rest } : rest;
      const builder = future.events?.[BUILDER[type]];
      const ev = builder ? builder(fields) : { id: crypto.randomUUID(), time: Date.now(), ...fields, type };
      try {
        const add = events.send ?? events.enqueue ?? events.add;
        const r = add?.call(events, ev);
        if (r instanceof Promise)
          r.catch((e: unknown) => opts.log?.warn({ err: e, type }, 'event not reported'));
      } catch (e) {
        opts.log?.warn({ err: e, type }, 'event not reported');
      }
    },

    async check(input) {
      if (!canCheck) return { decision: 'allow', reasons: [] };
      const msg = { id: input.messageId, time: Date.now(), type: 'message.sent', ...input };
      const r = (await (events?.checkMessage
        ? events.checkMessage(msg)
        : future.checkMessage!(client, msg))) as Record<string, unknown>;
      return readCheck(r);
    },

    verifyWebhook(headers, rawBody) {
      if (!canWebhooks)
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
      if (!events) return;
      await events.flush().catch(() => undefined);
      await events.close?.().catch(() => undefined);
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

function readCheck(r: Record<string, unknown>): CheckResult {
  const d = str(r.decision) ?? str(r.verdict) ?? str(r.action) ?? 'allow';
  const decision = d === 'block' || d === 'hold' ? d : 'allow';
  const raw = Array.isArray(r.reasons) ? r.reasons : [];
  const reasons = raw.map((x: unknown): Reason => {
    if (typeof x === 'string') return { code: x, en: x, zh: x };
    const o = (x ?? {}) as Record<string, unknown>;
    const code = str(o.code) ?? str(o.signal) ?? 'reason';
    const t = localised(
      o.text ?? o.message ?? o.title ?? o.messages,
      str(o.en) ?? code,
      str(o.zh) ?? str(o['zh-CN']) ?? code,
    );
    return { code, en: t.en, zh: t.zh };
  });
  return { decision, reasons };
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
