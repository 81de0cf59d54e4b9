/**
 * The ONE place where the chat platform talks to Gatehouse, and only through `@gatehouse/sdk`:
 * sign-up / sign-in / sign-out (GatehouseClient), event reporting (the SDK's batching EventsClient),
 * the pre-send check (`checkMessage`) and webhook verification (`verifyWebhook`). Everything else in
 * the example sees the small `GatehouseLink` interface below.
 *
 * SDK pieces that are not in the installed SDK yet are detected at start and reported in
 * `capabilities`; the chat then runs without them (no event reports, no pre-send check, webhooks
 * answer 501). Nothing is simulated.
 */
import * as sdk from '@gatehouse/sdk';
import { GatehouseApiError, GatehouseClient, type Account, type Session } from '@gatehouse/sdk';

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
export type WebhookAction =
  | { kind: 'message.retracted'; account: string | null; messageIds: string[] }
  | {
      kind: 'recipient.warned';
      account: string | null;
      recipients: string[];
      messageIds: string[];
      text: { en: string; zh: string };
    }
  | { kind: 'account.frozen' | 'account.unfrozen'; account: string; reason: string }
  | { kind: 'session.revoked'; account: string; session: string | null }
  | { kind: 'hold.released' | 'hold.expired'; messageIds: string[] }
  | { kind: 'friend.restored'; account: string; friend: string }
  | { kind: 'group.restored'; account: string; group: string }
  | { kind: 'profile.restored'; account: string; field: string; value: string }
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
}
interface FutureSdk {
  EventsClient?: new (opts: Record<string, unknown>) => EventsClientLike;
  events?: Record<string, (f: Record<string, unknown>) => Record<string, unknown>>;
  checkMessage?: (client: GatehouseClient, input: Record<string, unknown>) => Promise<unknown>;
  verifyWebhook?: (secrets: string[] | string, headers: Record<string, string>, rawBody: string) => unknown;
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
  const canCheck = typeof future.checkMessage === 'function' && !!opts.apiKey;
  const canWebhooks = typeof future.verifyWebhook === 'function' && opts.webhookSecrets.length > 0;
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
      const { type, ...fields } = event;
      const builder = future.events?.[BUILDER[type]];
      const ev = builder ? builder(fields) : { id: crypto.randomUUID(), time: Date.now(), type, ...fields };
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
      const r = (await future.checkMessage!(client, {
        id: input.messageId,
        time: Date.now(),
        type: 'message.sent',
        ...input,
      })) as Record<string, unknown>;
      return readCheck(r);
    },

    verifyWebhook(headers, rawBody) {
      if (!canWebhooks)
        throw new WebhookError(
          'WEBHOOKS_UNAVAILABLE',
          'webhook verification is not configured or not in this SDK',
        );
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k.toLowerCase()] = String(v);
      let payload: unknown;
      try {
        payload = future.verifyWebhook!(opts.webhookSecrets, flat, rawBody);
      } catch (e) {
        throw new WebhookError('WEBHOOK_INVALID', (e as Error).message);
      }
      if (payload === false || payload === undefined || payload === null)
        throw new WebhookError('WEBHOOK_INVALID', 'signature does not verify');
      const body = (typeof payload === 'object' ? payload : JSON.parse(rawBody)) as Record<string, unknown>;
      const id = flat['webhook-id'] ?? str(body.id);
      if (!id) throw new WebhookError('WEBHOOK_INVALID', 'no webhook id');
      const type = str(body.type) ?? '';
      return { id, type, action: readAction(type, (body.data ?? body) as Record<string, unknown>, body) };
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

/**
 * Reads what a webhook asks for. Type names are matched loosely (e.g. `messages.retract` and
 * `message.retracted`), the account may sit at the top level or in `data`.
 */
export function readAction(
  type: string,
  d: Record<string, unknown>,
  top: Record<string, unknown> = {},
): WebhookAction {
  const account = str(d.account) ?? str(d.accountId) ?? str(top.account) ?? null;
  const messageIds = [
    ...new Set([
      ...strs(d.messageId, d.messageIds),
      ...(Array.isArray(d.messages)
        ? d.messages.map((m: unknown) =>
            typeof m === 'string'
              ? m
              : (str((m as Record<string, unknown>)?.messageId) ?? str((m as Record<string, unknown>)?.id)),
          )
        : []
      ).filter((x): x is string => !!x),
    ]),
  ];
  const t = type.toLowerCase();
  const has = (...words: string[]) => words.every((w) => t.includes(w));
  if (has('retract')) return { kind: 'message.retracted', account, messageIds };
  if (has('warn'))
    return {
      kind: 'recipient.warned',
      account,
      recipients: strs(d.recipient, d.recipients),
      messageIds,
      text: localised(d.text ?? d.message ?? d.warning ?? d.texts),
    };
  if (has('unfr'))
    return account
      ? { kind: 'account.unfrozen', account, reason: str(d.reason) ?? '' }
      : { kind: 'ignored', type };
  if (has('account', 'freez') || has('account', 'frozen'))
    return account
      ? { kind: 'account.frozen', account, reason: str(d.reason) ?? '' }
      : { kind: 'ignored', type };
  if (has('session', 'revok'))
    return account
      ? { kind: 'session.revoked', account, session: str(d.session) ?? null }
      : { kind: 'ignored', type };
  if (has('hold', 'releas')) return { kind: 'hold.released', messageIds };
  if (has('hold', 'expir')) return { kind: 'hold.expired', messageIds };
  if (has('restor') && account) {
    if (has('friend')) {
      const friend = str(d.friend);
      if (friend) return { kind: 'friend.restored', account, friend };
    } else if (has('group')) {
      const g = d.group;
      const group = str(g) ?? str((g as Record<string, unknown> | undefined)?.id);
      if (group) return { kind: 'group.restored', account, group };
    } else if (has('profile')) {
      const field = str(d.field);
      const value = typeof d.value === 'string' ? d.value : typeof d.old === 'string' ? d.old : undefined;
      if (field && value !== undefined) return { kind: 'profile.restored', account, field, value };
    }
  }
  return { kind: 'ignored', type };
}
