/**
 * Test helpers: a real embedded Gatehouse, a chat server pointed at it, and HTTP + WebSocket users
 * with their own cookie. Test-only (imports Gatehouse's test helpers through a relative path).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import WebSocket from 'ws';
import type { WebhookPayload, WebhookType } from '@gatehouse/sdk';
import {
  enqueueInTx,
  signedHeaders,
  type WebhookMessageInput,
} from '../../../packages/gatehouse/src/webhooks/index.ts';
import { testGatehouse, tempDir } from '../../../packages/gatehouse/src/testing/index.ts';
import type { Gatehouse } from '../../../packages/gatehouse/src/gatehouse.ts';
import { createChatServer, DEVICE_COOKIE, SESSION_COOKIE, type ChatOptions, type ChatServer } from './app.ts';
import { createGatehouseLink, type GatehouseLink } from './gatehouse.ts';

export interface Env {
  gh: Gatehouse;
  ghUrl: string;
  chat: ChatServer;
  url: string;
  apiKey: string;
  /** The signing secret Gatehouse gave the chat's webhook endpoint (with `registerWebhooks`). */
  webhookSecret: string;
  /**
   * Has Gatehouse send a webhook the way its response part does (outbox row + dispatcher, signed), and
   * waits until the chat has processed it.
   */
  deliver(msg: WebhookToSend): Promise<string>;
  cleanup(): Promise<void>;
}

/** A webhook as a test has Gatehouse send it: one of the SDK's types with its payload. */
export type WebhookToSend = {
  [T in WebhookType]: { id?: string; type: T; account?: string; data: WebhookPayload<T> };
}[WebhookType];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts Gatehouse and the chat. `wrapLink` lets a unit test replace one call of the real link (for
 * example the pre-send check's answer) while everything else stays real.
 */
export async function startEnv(
  extra: Partial<ChatOptions> & {
    registerWebhooks?: boolean;
    gatehouseConfig?: Parameters<typeof testGatehouse>[1];
    /** The link's fetch (a test slows one call down); the link is then built with the chat's options. */
    linkFetch?: typeof fetch;
  } = {},
  wrapLink?: (link: GatehouseLink) => GatehouseLink,
): Promise<Env> {
  const { registerWebhooks, gatehouseConfig, linkFetch, ...given } = extra;
  // The chat's default check timeout is 500 ms, after which it fails open (delivers, reports the message,
  // retracts it on the late verdict). On a loaded test machine an answer can take longer, and a test of
  // what the pre-send check decides would then meet the fail-open path; check-timeout.test.ts tests that
  // path on purpose with its own timeout.
  const chatOpts: typeof given = { checkTimeoutMs: 10_000, ...given };
  const { gh, cleanup: ghCleanup } = await testGatehouse('sqlite', {
    webhookRetryBaseMs: 50,
    webhookPollMs: 20,
    ...gatehouseConfig,
  });
  const ghUrl = await gh.listen();
  const { key: apiKey } = await gh.keys.create('chat test', ['admin']);
  const tmp = tempDir('gatehouse-chat-test-');
  let webhookSecret = '';
  let port = 0;
  if (registerWebhooks) {
    // The operator registers the chat's endpoint in Gatehouse and starts the chat with its secret.
    port = await freePort();
    const res = await fetch(`${ghUrl}/v1/webhooks/endpoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/gatehouse/webhooks`, description: 'chat' }),
    });
    if (res.status !== 201)
      throw new Error(`endpoint registration failed: ${res.status} ${await res.text()}`);
    webhookSecret = ((await res.json()) as { secret: string }).secret;
  }
  const secrets = webhookSecret ? [webhookSecret] : (chatOpts.webhookSecrets ?? []);
  const built =
    wrapLink || linkFetch
      ? createGatehouseLink({
          baseUrl: ghUrl,
          apiKey,
          webhookSecrets: secrets,
          ...(linkFetch ? { fetch: linkFetch } : {}),
          ...(chatOpts.checkTimeoutMs !== undefined ? { checkTimeoutMs: chatOpts.checkTimeoutMs } : {}),
        })
      : undefined;
  const link = built && wrapLink ? wrapLink(built) : built;
  const chat = await createChatServer({
    gatehouse: ghUrl,
    apiKey,
    dataDir: tmp.dir,
    port,
    logLevel: 'silent',
    ...chatOpts,
    webhookSecrets: secrets,
    ...(link ? { link } : {}),
  });
  const url = await chat.listen();
  return {
    gh,
    ghUrl,
    chat,
    url,
    apiKey,
    webhookSecret,
    async deliver(msg) {
      const { id } = await gh.store.db.transaction().execute((tx) =>
        enqueueInTx(tx, {
          ...({ type: msg.type, payload: msg.data } as WebhookMessageInput),
          ...(msg.account ? { account: msg.account } : {}),
          ...(msg.id ? { id: msg.id } : {}),
        }),
      );
      gh.dispatcher.poke();
      const until = Date.now() + 60_000; // generous: CI runs on a loaded machine
      while (!chat.db.seenWebhook(id)) {
        if (Date.now() > until) throw new Error(`webhook ${id} (${msg.type}) was not processed by the chat`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return id;
    },
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
  /** The browser's User-Agent (forwarded to Gatehouse at sign-in). */
  userAgent = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36';
  cookie = '';
  /** The device cookie (`chat_device=…`) the chat set at this browser's first sign-in, sent back after. */
  deviceCookie = '';
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
    const h: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
      ...headers,
    };
    const jar = [this.cookie, this.deviceCookie].filter(Boolean).join('; ');
    if (jar) h.cookie = jar;
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
    const device = res.headers.getSetCookie().find((c) => c.startsWith(`${DEVICE_COOKIE}=`));
    if (device) this.deviceCookie = device.split(';')[0]!;
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

  async signIn(handle: string, password = 'correct horse battery staple 42'): Promise<this> {
    const r = await this.call<{ user: { id: string }; csrfToken: string }>('POST', '/api/signin', {
      handle,
      password,
    });
    if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${JSON.stringify(r.body)}`);
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
  next(pred: (f: Frame) => boolean, timeoutMs = 20_000): Promise<Frame> {
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

/**
 * Posts a webhook signed with Gatehouse's own signing code (as its dispatcher sends it), for replays and
 * tampering tests.
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
  const res = await fetch(`${chatUrl}/gatehouse/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedHeaders([secret], id, ts, body) },
    body: opts.tamper ? body.replace('"data":{', '"data":{"x":1,') : body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A fresh Standard Webhooks secret (whsec_ + base64 of 24 random bytes). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}
