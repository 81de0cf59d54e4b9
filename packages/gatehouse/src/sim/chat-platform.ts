/**
 * The simulator's people in the reference chat (`examples/chat`), over HTTP exactly as browsers: each
 * person signs up through the chat from their own device (User-Agent) and network (X-Forwarded-For;
 * the chat runs with trustProxy and forwards the address to Gatehouse), keeps their `chat_session`
 * cookie and CSRF token, adds friends by handle, creates and joins groups, and sends every live message
 * through `POST /api/messages` (201 delivered, 202 held, 422 MESSAGE_BLOCKED). The chat sends one
 * message per friend or group. Intruders sign in through the chat from their own device and network.
 */
import { GatehouseError } from '../errors/index.ts';
import { pool, type SimApi } from './api.ts';
import type { Client, Content, Platform, PlatformCheck, SendAnswer, Target } from './platform.ts';
import type { Person } from './society.ts';

const COOKIE = 'chat_session';

/** One browser: a cookie jar of one cookie, the CSRF token, a user agent and an address. */
interface Browser {
  cookie: string;
  csrf: string;
  ua: string;
  ip: string;
}

interface Answer<T> {
  status: number;
  body: T;
}

/** The chat's own client name (history is reported with it, so it matches what the chat reports). */
export const CHAT_CLIENT: Client = { kind: 'web', name: 'gatehouse-example-chat', version: '0.1.0' };

export class ChatPlatform implements Platform {
  readonly transport = 'chat' as const;
  readonly onePerConversation = true;
  readonly gatehouse: SimApi;
  readonly url: string;
  /** Each person's browser, by person index. */
  private readonly owners = new Map<number, Browser>();
  private readonly byAccount = new Map<string, Browser>();

  private readonly settled: (() => Promise<void>) | undefined;

  /** `settled`: the chat's own wait for its late verdicts and reports (ChatHandle.rechecksSettled). */
  constructor(chatUrl: string, gatehouse: SimApi, settled?: () => Promise<void>) {
    this.url = chatUrl.replace(/\/+$/, '');
    this.gatehouse = gatehouse;
    this.settled = settled;
  }

  async settle(): Promise<void> {
    await this.settled?.();
  }

  clientOf(): Client {
    return CHAT_CLIENT;
  }

  private async call<T>(
    b: Browser | undefined,
    method: string,
    path: string,
    body?: unknown,
    o: { ua?: string; ip?: string; ok?: number[] } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const ua = o.ua ?? b?.ua;
    const ip = o.ip ?? b?.ip;
    if (ua) headers['user-agent'] = ua;
    if (ip) headers['x-forwarded-for'] = ip;
    if (b?.cookie) headers.cookie = b.cookie;
    if (b?.csrf && method !== 'GET') headers['x-csrf-token'] = b.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      throw new GatehouseError('SIM_API_FAILED', `chat ${method} ${path}: ${(e as Error).message}`);
    }
    const set = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
    if (set && b) b.cookie = set.split(';')[0]!;
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = { text };
    }
    if (res.status >= 400 && !(o.ok ?? []).includes(res.status))
      throw new GatehouseError(
        'SIM_API_FAILED',
        `chat ${method} ${path}: ${res.status} ${text.slice(0, 300)}`,
      );
    return { status: res.status, body: data as T };
  }

  async createAccount(p: Person, password: string): Promise<string> {
    const b: Browser = { cookie: '', csrf: '', ua: p.userAgent, ip: p.ip };
    const r = await this.call<{ user: { id: string }; csrfToken: string }>(b, 'POST', '/api/signup', {
      handle: p.handle,
      password,
      displayName: p.handle,
    });
    b.csrf = r.body.csrfToken;
    this.owners.set(p.index, b);
    this.byAccount.set(r.body.user.id, b);
    return r.body.user.id;
  }

  async connect(
    people: Array<{ p: Person; id: string }>,
    groups: Array<{ id: string; members: number[] }>,
    conc: number,
    progress: (done: number, total: number) => void,
  ): Promise<Map<string, string>> {
    // Friendships are mutual in the chat: the person with the lower index adds the other by handle.
    const adds: Array<[number, string]> = [];
    for (const { p } of people)
      for (const f of p.friends) if (f > p.index) adds.push([p.index, people[f]!.p.handle]);
    const total = adds.length + groups.reduce((s, g) => s + g.members.length, 0);
    let done = 0;
    await pool(adds, conc, async ([i, handle]) => {
      await this.call(this.owners.get(i), 'POST', '/api/friends', { handle });
      progress(++done, total);
    });
    // A group is created by its first member; the others join by id.
    const ids = new Map<string, string>();
    await pool(groups, conc, async (g) => {
      const [first, ...rest] = g.members;
      const created = await this.call<{ id: string }>(this.owners.get(first!), 'POST', '/api/groups', {
        name: `group ${g.id.slice(-6)}`,
      });
      ids.set(g.id, created.body.id);
      progress(++done, total);
      for (const m of rest) {
        await this.call(
          this.owners.get(m),
          'POST',
          `/api/groups/${encodeURIComponent(created.body.id)}/join`,
        );
        progress(++done, total);
      }
    });
    return ids;
  }

  async intruderSignIn(handle: string, password: string, ua: string, ip: string): Promise<unknown> {
    const b: Browser = { cookie: '', csrf: '', ua, ip };
    const r = await this.call<{ user?: { state: string }; csrfToken?: string }>(
      b,
      'POST',
      '/api/signin',
      { handle, password },
      { ok: [400, 401, 403, 429, 503] },
    );
    // A frozen account gets a read-only chat session: the intruder cannot use it.
    if (r.status !== 200 || r.body.user?.state !== 'active') return undefined;
    b.csrf = r.body.csrfToken ?? '';
    return b;
  }

  async failedGuess(handle: string, ua: string, ip: string): Promise<void> {
    await this.call(
      undefined,
      'POST',
      '/api/signin',
      { handle, password: 'wrong-password-123' },
      { ua, ip, ok: [400, 401, 403, 429, 503] },
    );
  }

  ownerSend(index: number, _account: string, to: Target, c: Content): Promise<SendAnswer> {
    return this.send(this.owners.get(index)!, to, c);
  }

  intruderSend(session: unknown, _account: string, to: Target, c: Content): Promise<SendAnswer> {
    return this.send(session as Browser, to, c);
  }

  private async send(b: Browser, to: Target, c: Content): Promise<SendAnswer> {
    if ('recipients' in to && to.recipients.length !== 1)
      throw new GatehouseError('BAD_REQUEST', 'the chat sends one message per friend or group');
    const r = await this.call<{
      status?: string;
      message?: { id: string };
      messageId?: string;
      code?: string;
      reasons?: Array<{ code: string }>;
    }>(
      b,
      'POST',
      '/api/messages',
      {
        to: 'recipients' in to ? { user: to.recipients[0]! } : { group: to.group.id },
        // Images would have to be uploaded as bytes; scenario images (SHA-256 only) are left out here.
        text: c.text,
      },
      { ok: [401, 403, 422] },
    );
    const reasons = (r.body.reasons ?? []).map((x) => x.code);
    if (r.status === 201)
      return { id: r.body.message?.id, verdict: 'allow', contained: false, challenged: false, reasons };
    if (r.status === 202)
      return { id: r.body.message?.id, verdict: 'hold', contained: false, challenged: false, reasons };
    if (r.status === 422)
      return { id: r.body.messageId, verdict: 'block', contained: false, challenged: false, reasons };
    // 401: the session was ended (the intruder's, after containment); 403: the account is frozen.
    return {
      id: undefined,
      verdict: 'block',
      contained: false,
      challenged: false,
      reasons: [r.status === 401 ? 'chat_signed_out' : `chat_${(r.body.code ?? 'refused').toLowerCase()}`],
    };
  }

  /**
   * Reads, as one recipient of each accepted intruder message, the conversation in the chat: the message
   * must now show as retracted by the platform. Waits (up to 60 s: a loaded machine) for webhooks still on their way.
   */
  async verify(
    messages: Array<{ id: string; sender: string; to: Target }>,
    progress: (done: number, total: number) => void,
  ): Promise<Omit<PlatformCheck, 'refusedByPlatform'>> {
    const pending = new Map(messages.map((m) => [m.id, m]));
    let retracted = 0;
    const end = Date.now() + 60_000;
    for (;;) {
      let done = messages.length - pending.size;
      for (const [id, m] of [...pending]) {
        const viewer = 'recipients' in m.to ? m.to.recipients[0]! : this.groupViewer(m.sender, m.to.group.id);
        const b = viewer ? this.byAccount.get(viewer) : undefined;
        if (!b) {
          pending.delete(id);
          continue;
        }
        const conv = 'recipients' in m.to ? `dm:${m.sender}` : `group:${m.to.group.id}`;
        const r = await this.call<{ messages: Array<{ id: string; state: string }> }>(
          b,
          'GET',
          `/api/conversations/${encodeURIComponent(conv)}/messages`,
          undefined,
          { ok: [403, 404] },
        );
        const seen = r.body.messages?.find((x) => x.id === id);
        if (seen?.state === 'retracted') {
          retracted++;
          pending.delete(id);
          progress(++done, messages.length);
        }
      }
      if (pending.size === 0 || Date.now() > end) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    return {
      intruderMessagesAccepted: messages.length,
      retractedForRecipients: retracted,
      stillVisible: messages.length - retracted,
    };
  }

  /** Group members by platform group id (set by the runner for verification). */
  groupMembers = new Map<string, string[]>();
  private groupViewer(sender: string, group: string): string | undefined {
    return (this.groupMembers.get(group) ?? []).find((a) => a !== sender);
  }
}
