/**
 * The platform the simulator's people use. The society and the schedule (runner.ts) only talk to this
 * interface; two transports implement it:
 * - `ApiPlatform`: straight against Gatehouse's HTTP API, as a platform back end would call it;
 * - `ChatPlatform` (chat-platform.ts): through the reference chat (`examples/chat`) exactly as browsers.
 * Operator calls (history backfill, engine catch-up, the webhook pull feed) always go to Gatehouse
 * through `gatehouse`.
 */
import { GatehouseError } from '../errors/index.ts';
import type { SimApi } from './api.ts';
import { apiQrSignIn, type QrSignIn } from './qr.ts';
import type { ScenarioMessage } from './scenario.ts';
import type { Person } from './society.ts';

export interface Client {
  kind: 'mobile' | 'desktop' | 'web';
  name: string;
  version: string;
}

/** Where a message goes: friends by Gatehouse account id, or a group (its id on the platform). */
export type Target = { recipients: string[] } | { group: { id: string; memberCount: number } };

export interface Content {
  text: string;
  urls: string[];
  attachments: Array<{ sha256: string; mime: string }>;
}

/** What a scenario's message carries: its text (with its link), the link, its image. */
export function content(m: ScenarioMessage): Content {
  return {
    text: m.url ? `${m.text} ${m.url}` : m.text,
    urls: m.url ? [m.url] : [],
    attachments: m.image ? [{ sha256: m.image, mime: 'image/jpeg' }] : [],
  };
}

export interface SendAnswer {
  /** The id Gatehouse knows the message by (its retractions name it); unknown when never checked. */
  id: string | undefined;
  verdict: 'allow' | 'hold' | 'block';
  /** The check answered `contain` (only the direct transport sees the action). */
  contained: boolean;
  /** The check answered `challenge` (only the direct transport sees the action). */
  challenged: boolean;
  /** Signals behind the answer (the platform's own refusal, e.g. a frozen account, has its own name). */
  reasons: string[];
  /** Every signal behind an answer that is not a plain allow, with its value and log-odds (direct transport). */
  signals?: Array<{ signal: string; value: number | string; logOdds: number }>;
}

/** What the chat itself shows recipients after the run (chat transport only). */
export interface PlatformCheck {
  /** Intruder messages the platform accepted (delivered or held): these are the ones to take back. */
  intruderMessagesAccepted: number;
  /** Of those, shown to recipients as retracted by the platform. */
  retractedForRecipients: number;
  /** Of those, still visible to a recipient. */
  stillVisible: number;
  /** Intruder attempts the platform itself refused (account frozen, session ended): never checked. */
  refusedByPlatform: number;
}

export interface Platform {
  /** `api` or `chat` (shown in the metrics). */
  readonly transport: 'api' | 'chat';
  /** Operator calls to Gatehouse. */
  readonly gatehouse: SimApi;
  /** One message names one friend or one group (the chat): the runner splits multi-recipient sends. */
  readonly onePerConversation: boolean;
  /** The client a person's messages carry (history is reported with it, so it matches the live phase). */
  clientOf(p: Person): Client;
  /** Creates the account and signs its owner in on their device and network; the Gatehouse account id. */
  createAccount(p: Person, password: string): Promise<string>;
  /**
   * Makes the society's friendships and groups exist on the platform (the direct transport has no such
   * state). Returns the platform's id for each society group id.
   */
  connect(
    people: Array<{ p: Person; id: string }>,
    groups: Array<{ id: string; members: number[] }>,
    conc: number,
    progress: (done: number, total: number) => void,
  ): Promise<Map<string, string>>;
  /**
   * The device token Gatehouse gave the owner's phone at its first sign-in, which the owner's app sends
   * back at later sign-ins (the engine knows the device by it); undefined when the platform keeps it.
   */
  ownerDeviceToken?(handle: string): string | undefined;
  /** An intruder's sign-in; an opaque session on success, undefined when refused. */
  intruderSignIn(handle: string, password: string, userAgent: string, ip: string): Promise<unknown>;
  /**
   * A QR login requested from `requester` and approved on the owner's phone (the account's handle);
   * undefined when refused. Only the direct transport has it.
   */
  qrSignIn?(handle: string, requester: { ua: string; ip: string }): Promise<QrSignIn | undefined>;
  /**
   * The owner signs in away from home at `ip`: on their own phone (its user agent and device token),
   * or on a new phone (`newPhone`: one of a few current models' user agents by this number, no token);
   * an opaque session, undefined when the sign-in is refused or stepped up. Only the direct transport
   * has it.
   */
  ownerSignInAway?(p: Person, password: string, ip: string, newPhone: number | false): Promise<unknown>;
  /** A wrong-password sign-in (credential stuffing). */
  failedGuess(handle: string, userAgent: string, ip: string): Promise<void>;
  /** The owner (person index) sends from their usual device. */
  ownerSend(
    index: number,
    account: string,
    to: Target,
    content: Content,
    client: Client,
  ): Promise<SendAnswer>;
  /**
   * Sends on a session the platform gave: the intruder's (`intruderSignIn`), or an owner's away from
   * home (`ownerSignInAway`).
   */
  intruderSend(
    session: unknown,
    account: string,
    to: Target,
    content: Content,
    client: Client,
  ): Promise<SendAnswer>;
  /**
   * After the live phase: the platform's own work on what was sent is done (the chat: every message
   * delivered without a verdict asked about again or reported), so Gatehouse has heard of all of it.
   */
  settle?(): Promise<void>;
  /** After the run: what recipients see of the intruder messages the platform accepted. */
  verify?(
    messages: Array<{ id: string; sender: string; to: Target }>,
    progress: (done: number, total: number) => void,
  ): Promise<Omit<PlatformCheck, 'refusedByPlatform'>>;
}

type CheckAnswer = {
  verdict: 'allow' | 'hold' | 'block';
  action: string;
  reasons: Array<{ signal: string }>;
  signals?: Array<{ signal: string; value: number | string; logOdds: number }>;
};

/** Straight against Gatehouse's HTTP API: identity routes for people, the pre-send check for messages. */
export class ApiPlatform implements Platform {
  readonly transport = 'api' as const;
  readonly onePerConversation = false;
  readonly gatehouse: SimApi;
  private readonly newId: () => string;
  /** Each owner's phone: its session token, user agent and address (for QR approvals). */
  private readonly phones = new Map<string, { token: string; ua: string; ip: string; device?: string }>();
  constructor(api: SimApi, newId: () => string) {
    this.gatehouse = api;
    this.newId = newId;
  }

  clientOf(p: Person): Client {
    return p.client;
  }

  async createAccount(p: Person, password: string): Promise<string> {
    const created = await this.gatehouse.call<{ id: string }>(
      'POST',
      '/v1/accounts',
      { handle: p.handle, password, displayName: p.handle },
      { key: false, ua: p.userAgent, ip: p.ip },
    );
    const s = await this.gatehouse.call<{ token: string; deviceToken?: string }>(
      'POST',
      '/v1/auth/signin',
      { handle: p.handle, password, mode: 'token' },
      { key: false, ua: p.userAgent, ip: p.ip },
    );
    this.phones.set(p.handle, {
      token: s.data.token,
      ua: p.userAgent,
      ip: p.ip,
      ...(s.data.deviceToken ? { device: s.data.deviceToken } : {}),
    });
    return created.data.id;
  }

  ownerDeviceToken(handle: string): string | undefined {
    return this.phones.get(handle)?.device;
  }

  async connect(): Promise<Map<string, string>> {
    return new Map();
  }

  intruderSignIn(handle: string, password: string, ua: string, ip: string): Promise<unknown> {
    return this.passwordSignIn(handle, password, ua, ip);
  }

  ownerSignInAway(p: Person, password: string, ip: string, newPhone: number | false): Promise<unknown> {
    return newPhone === false
      ? this.passwordSignIn(p.handle, password, p.userAgent, ip, this.phones.get(p.handle)?.device)
      : this.passwordSignIn(p.handle, password, NEW_PHONES[newPhone % NEW_PHONES.length]!, ip);
  }

  /** A password sign-in (with the device token a known phone sends back); its session id, or undefined. */
  private async passwordSignIn(
    handle: string,
    password: string,
    ua: string,
    ip: string,
    deviceToken?: string,
  ): Promise<unknown> {
    const s = await this.gatehouse.call<{ session: { id: string } }>(
      'POST',
      '/v1/auth/signin',
      { handle, password, mode: 'token', ...(deviceToken ? { deviceToken } : {}) },
      { key: false, ua, ip, ok: [401, 403, 429] },
    );
    return s.status === 200 ? s.data.session.id : undefined;
  }

  async qrSignIn(handle: string, requester: { ua: string; ip: string }): Promise<QrSignIn | undefined> {
    const phone = this.phones.get(handle);
    return phone ? apiQrSignIn(this.gatehouse, phone, requester) : undefined;
  }

  async failedGuess(handle: string, ua: string, ip: string): Promise<void> {
    await this.gatehouse.call(
      'POST',
      '/v1/auth/signin',
      { handle, password: 'wrong-password-123', mode: 'token' },
      { key: false, ua, ip, ok: [400, 401, 403, 429] },
    );
  }

  // The owners signed in minutes ago in real time, though in the story they have used their phones for
  // months; their messages are reported without a session so that young-session signals do not fire on
  // them (the engine still knows their device and network from the sign-in).
  ownerSend(_index: number, account: string, to: Target, c: Content, client: Client): Promise<SendAnswer> {
    return this.check(account, undefined, to, c, client);
  }

  intruderSend(
    session: unknown,
    account: string,
    to: Target,
    c: Content,
    client: Client,
  ): Promise<SendAnswer> {
    return this.check(account, String(session), to, c, client);
  }

  private async check(
    account: string,
    session: string | undefined,
    to: Target,
    c: Content,
    client: Client,
  ): Promise<SendAnswer> {
    const id = this.newId();
    const res = await this.gatehouse.call<CheckAnswer>('POST', '/v1/check/message', {
      id,
      type: 'message.sent',
      time: Date.now(),
      account,
      ...(session ? { session } : {}),
      client,
      ...to,
      ...c,
    });
    return {
      id,
      verdict: res.data.verdict,
      contained: res.data.action === 'contain',
      challenged: res.data.action === 'challenge',
      reasons: res.data.reasons.map((r) => r.signal),
      ...(res.data.signals ? { signals: res.data.signals } : {}),
    };
  }
}

/** The platform's sign-in away from home, or SCENARIO_INVALID (the chat transport has none). */
export function awayOf(platform: Platform): Platform & Required<Pick<Platform, 'ownerSignInAway'>> {
  if (!platform.ownerSignInAway)
    throw new GatehouseError(
      'SCENARIO_INVALID',
      `owners away from home (live.away) run on the direct transport, not ${platform.transport}`,
    );
  return platform as Platform & Required<Pick<Platform, 'ownerSignInAway'>>;
}

/** The phones an owner away from home may have just bought (`live.away.newPhone`). */
const NEW_PHONES = [
  'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36 QQ/9.1',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 QQ/9.1',
  'Mozilla/5.0 (Linux; Android 14; 23127PN0CC) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Mobile Safari/537.36 QQ/9.0',
  'Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 QQ/9.0',
  'Mozilla/5.0 (Linux; Android 14; PJZ110) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0 Mobile Safari/537.36 QQ/9.1',
  'Mozilla/5.0 (Linux; HarmonyOS 4.2; ALN-AL00) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0 Mobile Safari/537.36 QQ/9.1',
];
