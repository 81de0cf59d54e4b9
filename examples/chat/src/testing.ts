/**
 * Test helpers: a real embedded Gatehouse, a chat server pointed at it, and HTTP + WebSocket users
 * with their own cookie. Test-only (imports Gatehouse's test helpers through a relative path).
 */
import { createHmac, randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { testGatehouse, tempDir } from '../../../packages/gatehouse/src/testing/index.ts';
import type { Gatehouse } from '../../../packages/gatehouse/src/gatehouse.ts';
import { createChatServer, SESSION_COOKIE, type ChatOptions, type ChatServer } from './app.ts';
import { createGatehouseLink, type GatehouseLink } from './gatehouse.ts';

export interface Env {
  gh: Gatehouse;
  ghUrl: string;
  chat: ChatServer;
  url: string;
  apiKey: string;
  cleanup(): Promise<void>;
}

/**
 * Starts Gatehouse and the chat. `wrapLink` lets a unit test replace one call of the real link (for
 * example the pre-send check's answer) while everything else stays real.
 */
export async function startEnv(
  extra: Partial<ChatOptions> = {},
  wrapLink?: (link: GatehouseLink) => GatehouseLink,
): Promise<Env> {
  const { gh, cleanup: ghCleanup } = await testGatehouse('sqlite');
  const ghUrl = await gh.listen();
  const { key: apiKey } = await gh.keys.create('chat test', ['admin']);
  const tmp = tempDir('gatehouse-chat-test-');
  const link = wrapLink
    ? wrapLink(createGatehouseLink({ baseUrl: ghUrl, apiKey, webhookSecrets: extra.webhookSecrets ?? [] }))
    : undefined;
  const chat = await createChatServer({
    gatehouse: ghUrl,
    apiKey,
    dataDir: tmp.dir,
    port: 0,
    logLevel: 'silent',
    ...extra,
    ...(link ? { link } : {}),
  });
  const url = await chat.listen();
  return {
    gh,
    ghUrl,
    chat,
    url,
    apiKey,
    async cleanup() {
      await chat.close();
      await ghCleanup();
      tmp.cleanup();
    },
  };
}

export interface Frame {
  type: string;
  [k: string]: unknown;
}

/** One person in a browser: a cookie, the CSRF token and a WebSocket. */
export class User {
  readonly base: string;
  cookie = '';
  csrf = '';
  id = '';
  handle = '';
  ws?: WebSocket;
  readonly frames: Frame[] = [];
  private waiters: { pred: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  constructor(base: string) {
    this.base = base;
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(body)) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] = 'application/json';
    }
    const res = await fetch(this.base + path, { method, headers: h, ...(payload ? { body: payload } : {}) });
    const set = res.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    if (set) this.cookie = set.split(';')[0]!;
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async signUp(
    handle: string,
    displayName = handle,
    password = 'correct horse battery staple 42',
  ): Promise<this> {
    const r = await this.call<{ user: { id: string }; csrfToken: string }>('POST', '/api/signup', {
      handle,
      password,
      displayName,
    });
    if (r.status !== 201) throw new Error(`sign-up failed: ${r.status} ${JSON.stringify(r.body)}`);
    this.id = r.body.user.id;
    this.csrf = r.body.csrfToken;
    this.handle = handle;
    return this;
  }

  async connect(): Promise<this> {
    const ws = new WebSocket(this.base.replace(/^http/, 'ws') + '/ws', { headers: { cookie: this.cookie } });
    this.ws = ws;
    ws.on('message', (d) => {
      const f = JSON.parse(String(d)) as Frame;
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => (w.pred(f) ? (w.resolve(f), false) : true));
    });
    await this.next((f) => f.type === 'hello');
    return this;
  }

  /** The first frame (already received or coming) that matches. */
  next(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  close(): void {
    this.ws?.close();
  }
}

/** A fresh Standard Webhooks secret (whsec_ + base64 of 24 random bytes). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Posts a webhook signed the Standard Webhooks way (what Gatehouse's dispatcher sends):
 * signature "v1," + base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>")).
 */
export async function postWebhook(
  chatUrl: string,
  secret: string,
  msg: { id?: string; type: string; account?: string; data: Record<string, unknown> },
  opts: { tamper?: boolean; timestamp?: number } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const id = msg.id ?? `msg_${randomBytes(12).toString('base64url')}`;
  const ts = Math.floor((opts.timestamp ?? Date.now()) / 1000);
  const body = JSON.stringify({
    id,
    type: msg.type,
    timestamp: new Date(ts * 1000).toISOString(),
    ...(msg.account ? { account: msg.account } : {}),
    data: msg.data,
  });
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
  const res = await fetch(`${chatUrl}/gatehouse/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': `v1,${sig}`,
    },
    body: opts.tamper ? body.replace('"data":{', '"data":{"x":1,') : body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
