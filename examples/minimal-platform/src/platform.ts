/**
 * The smallest platform protected by Gatehouse: node:http, JSON, state in memory, every Gatehouse
 * call through @gatehouse/sdk. It does the five steps of docs/integrating.md:
 *
 *   1. sign people up and in on their behalf (their address forwarded; Gatehouse's ids stored),
 *   2. report what they do (friends; messages the check could not see),
 *   3. ask the pre-send check before delivering, acting on `verdict` and failing open,
 *   4. receive signed webhooks and do what they ask (freeze, end sessions, retract, warn, release…),
 *   5. open and proxy the appeal of an owner who cannot sign in.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  EventsClient,
  GatehouseApiError,
  GatehouseClient,
  events,
  verifyWebhook,
  WebhookVerificationError,
} from '@gatehouse/sdk';

export interface PlatformOptions {
  /** Gatehouse's base URL. */
  gatehouse: string;
  /** Operator key: accounts:read, accounts:write, accounts:forward, events:write, recovery:write. */
  apiKey: string;
  /** Signing secrets of this platform's webhook endpoint (the new and the old during a rotation). */
  webhookSecrets: string[];
  port?: number;
  /** How long the pre-send check may take before the message is delivered anyway (fail open). */
  checkTimeoutMs?: number;
}

interface User {
  id: string; // Gatehouse's account id: every event, check and webhook uses it
  handle: string;
  frozen: boolean;
  friends: Set<string>;
  /** Bilingual texts: `en` and `zh` (the SDK's Localized). */
  warnings: Text[];
  challenges: Array<{ challenge: string; text: unknown }>;
}
interface Session {
  account: string;
  ghSession: string;
  ghToken: string;
}
interface Message {
  id: string;
  from: string;
  to: string[];
  text: string;
  state: 'delivered' | 'held' | 'blocked' | 'retracted' | 'dropped';
  notice?: Text;
}
type Text = { en: string } & Record<string, string>;

const CLIENT = { kind: 'web', name: 'minimal-platform', version: '0.1.0' } as const;

export class Platform {
  readonly users = new Map<string, User>(); // by Gatehouse id
  readonly byHandle = new Map<string, User>();
  readonly sessions = new Map<string, Session>(); // by this platform's token
  readonly messages = new Map<string, Message>();
  /** Webhook ids already applied: delivery is at least once. */
  readonly applied = new Set<string>();
  private readonly gh: GatehouseClient;
  private readonly reporter: EventsClient;
  private readonly server: Server;
  private readonly opts: PlatformOptions;

  constructor(opts: PlatformOptions) {
    this.opts = opts;
    this.gh = new GatehouseClient({ baseUrl: opts.gatehouse, apiKey: opts.apiKey });
    this.reporter = new EventsClient({
      baseUrl: opts.gatehouse,
      apiKey: opts.apiKey,
      timeoutMs: opts.checkTimeoutMs ?? 300,
      flushIntervalMs: 50,
    });
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        const status = err instanceof GatehouseApiError ? err.status : 500;
        const code = err instanceof GatehouseApiError ? err.code : 'INTERNAL';
        send(res, status, { code, detail: err instanceof Error ? err.message : String(err) });
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(this.opts.port ?? 0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await this.reporter.close();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const raw = await readBody(req);
    if (req.method === 'POST' && path === '/gatehouse/webhooks') return this.webhook(req, res, raw);
    if (path.startsWith('/appeal/case') || path === '/appeal/pledge')
      return this.proxyAppeal(req, res, path, raw);
    const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    const key = `${req.method} ${path}`;
    if (key === 'POST /signup') return this.signUp(req, res, body);
    if (key === 'POST /signin') return this.signIn(req, res, body);
    if (key === 'POST /appeal') return this.openAppeal(res, body);
    const session = this.sessions.get(bearer(req) ?? '');
    if (!session) return send(res, 401, { code: 'SIGNED_OUT' });
    const me = this.users.get(session.account)!;
    if (key === 'POST /friends') return this.befriend(res, me, body);
    if (key === 'POST /messages') return this.sendMessage(res, me, session, body);
    if (key === 'GET /inbox') return send(res, 200, this.inbox(me));
    if (key === 'POST /recovery-codes') {
      // recovery codes are Gatehouse's: the owner's own session asks for them
      const out = await this.gh
        .withToken(session.ghToken)
        .request('POST', '/v1/me/recovery/codes', undefined, 'token');
      return send(res, 200, out);
    }
    const answer = /^\/challenges\/([^/]+)$/.exec(path);
    if (answer && req.method === 'POST') {
      const out = await this.gh
        .withToken(session.ghToken)
        .request('POST', `/v1/me/challenges/${encodeURIComponent(answer[1]!)}`, body, 'token');
      return send(res, 200, out);
    }
    send(res, 404, { code: 'NOT_FOUND' });
  }

  // ---- step 1: accounts, signed up and in on the user's behalf -------------------------------------

  private asUser(req: IncomingMessage): GatehouseClient {
    // the end user's address and browser, believed by Gatehouse from a key with accounts:forward
    return this.gh.onBehalfOf({
      ip: req.socket.remoteAddress ?? '',
      userAgent: req.headers['user-agent'] ?? '',
    });
  }

  private async signUp(req: IncomingMessage, res: ServerResponse, b: Record<string, unknown>) {
    const account = await this.asUser(req).createAccount({
      handle: String(b.handle),
      password: String(b.password),
    });
    const user: User = {
      id: account.id,
      handle: account.handle,
      frozen: false,
      friends: new Set(),
      warnings: [],
      challenges: [],
    };
    this.users.set(user.id, user);
    this.byHandle.set(user.handle, user);
    send(res, 201, { id: user.id });
  }

  private async signIn(req: IncomingMessage, res: ServerResponse, b: Record<string, unknown>) {
    const r = await this.asUser(req).signIn({ handle: String(b.handle), password: String(b.password) });
    const token = randomBytes(24).toString('base64url');
    this.sessions.set(token, { account: r.account.id, ghSession: r.session.id, ghToken: r.token });
    send(res, 200, { token, account: r.account.id });
  }

  // ---- step 2: events -------------------------------------------------------------------------------

  private async befriend(res: ServerResponse, me: User, b: Record<string, unknown>) {
    const friend = this.byHandle.get(String(b.handle));
    if (!friend) return send(res, 404, { code: 'NO_SUCH_USER' });
    me.friends.add(friend.id);
    friend.friends.add(me.id);
    await this.reporter.send(events.friendAdded({ account: me.id, friend: friend.id }));
    send(res, 201, { friend: friend.id });
  }

  // ---- step 3: the pre-send check ------------------------------------------------------------------

  private async sendMessage(res: ServerResponse, me: User, s: Session, b: Record<string, unknown>) {
    if (me.frozen) return send(res, 403, { code: 'ACCOUNT_FROZEN' });
    const to = (b.to as string[]).map((h) => this.byHandle.get(h)?.id).filter((x): x is string => !!x);
    const m: Message = { id: randomUUID(), from: me.id, to, text: String(b.text), state: 'delivered' };
    const event = {
      id: m.id,
      time: Date.now(),
      account: me.id,
      session: s.ghSession,
      recipients: to,
      text: m.text,
      client: { ...CLIENT },
    };
    let verdict: 'allow' | 'hold' | 'block' = 'allow';
    try {
      verdict = (await this.reporter.checkMessage(event)).verdict; // act on verdict, never on action
    } catch {
      // fail open: deliver, and report the message so detection still sees it
      await this.reporter.send(events.messageSent(event));
    }
    m.state = verdict === 'allow' ? 'delivered' : verdict === 'hold' ? 'held' : 'blocked';
    this.messages.set(m.id, m);
    send(res, verdict === 'block' ? 422 : 201, { id: m.id, state: m.state });
  }

  inbox(u: User) {
    const messages = [...this.messages.values()]
      .filter((m) => m.to.includes(u.id) && (m.state === 'delivered' || m.state === 'retracted'))
      .map((m) =>
        m.state === 'retracted'
          ? { id: m.id, from: m.from, retracted: m.notice }
          : { id: m.id, from: m.from, text: m.text },
      );
    return { messages, warnings: u.warnings, challenges: u.challenges, frozen: u.frozen };
  }

  // ---- step 4: webhooks ----------------------------------------------------------------------------

  private async webhook(req: IncomingMessage, res: ServerResponse, raw: Buffer) {
    let msg;
    try {
      msg = verifyWebhook(this.opts.webhookSecrets, req.headers, raw);
    } catch (e) {
      if (e instanceof WebhookVerificationError) return send(res, 401, { code: e.code });
      throw e;
    }
    if (!this.applied.has(msg.id)) {
      this.apply(msg.type, msg.data as Record<string, unknown>);
      this.applied.add(msg.id);
    }
    res.writeHead(204).end();
  }

  /** What each webhook asks of the platform (docs/integrating.md, step 4). */
  private apply(type: string, d: Record<string, unknown>): void {
    const user = typeof d.account === 'string' ? this.users.get(d.account) : undefined;
    const message = typeof d.message === 'string' ? this.messages.get(d.message) : undefined;
    switch (type) {
      case 'account.frozen':
        if (user) user.frozen = true;
        this.endSessions((s) => s.account === d.account);
        break;
      case 'account.unfrozen':
        if (user) user.frozen = false;
        break;
      case 'sessions.revoke':
        this.endSessions((s) => s.account === d.account && (d.scope === 'all' || s.ghSession === d.session));
        break;
      case 'message.retract':
        // a message this platform never delivered (the check stopped it) has nothing to take back
        if (message?.state === 'delivered') {
          message.state = 'retracted';
          message.notice = d.notice as Text;
        }
        break;
      case 'recipients.warn':
        for (const id of d.recipients as string[]) this.users.get(id)?.warnings.push(d.warning as Text);
        break;
      case 'message.release':
        if (message?.state === 'held') message.state = 'delivered';
        break;
      case 'message.expire':
        if (message?.state === 'held') message.state = 'dropped';
        break;
      case 'owner.challenge':
        user?.challenges.push({ challenge: String(d.challenge), text: d.text });
        break;
      case 'account.restore':
        // friends the intruder removed: add them back (groups and profile likewise in a fuller platform)
        for (const f of (d.friends as string[] | undefined) ?? []) user?.friends.add(f);
        break;
      // account.throttle, content.quarantine, message.hold, owner.notify…: the check already enforces
      // them; a fuller platform would show them to the owner
    }
  }

  private endSessions(which: (s: Session) => boolean): void {
    for (const [token, s] of this.sessions) if (which(s)) this.sessions.delete(token);
  }

  // ---- step 5: the appeal of an owner who cannot sign in ---------------------------------------------

  private async openAppeal(res: ServerResponse, b: Record<string, unknown>) {
    const user = this.byHandle.get(String(b.handle));
    if (!user?.frozen) return send(res, 404, { code: 'NOTHING_TO_APPEAL' });
    // recovery:write: Gatehouse opens the case and answers the token the owner walks it with
    const r = await this.gh.openRecoveryCase(user.id);
    send(res, 201, { token: r.token });
  }

  /** /appeal/case/…, /appeal/pledge → Gatehouse's /v1/recovery/…, with the owner's case token and address. */
  private async proxyAppeal(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer) {
    const url = `${this.opts.gatehouse}/v1/recovery${path.slice('/appeal'.length)}`;
    const r = await fetch(url, {
      method: req.method,
      headers: {
        authorization: req.headers.authorization ?? '',
        'x-api-key': this.opts.apiKey,
        'x-forwarded-for': req.socket.remoteAddress ?? '',
        'user-agent': req.headers['user-agent'] ?? '',
        ...(raw.length ? { 'content-type': 'application/json' } : {}),
      },
      ...(raw.length ? { body: new Uint8Array(raw) } : {}),
    });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await r.arrayBuffer()));
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function bearer(req: IncomingMessage): string | undefined {
  return /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
