/**
 * Gatehouse and the reference chat in one process, wired as an operator would wire them: an embedded
 * Gatehouse (SQLite, the simulation settings of embedded.ts), an operator key, the chat's webhook
 * endpoint registered in Gatehouse, and the chat (`@gatehouse/example-chat`) started with that key and
 * signing secret. Used by `gatehouse replay --via chat` (a temporary directory) and `gatehouse demo`.
 *
 * Both sides trust X-Forwarded-For: the simulator gives every person and intruder their own address,
 * the chat reads it (trustProxy) and forwards it to Gatehouse, which trusts the chat (trustProxy).
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ERRORS, GatehouseError } from '../errors/index.ts';
import type { Gatehouse } from '../gatehouse.ts';
import { startSimGatehouse } from './embedded.ts';

/** The chat's in-process server, as far as the stack needs it. */
export interface ChatHandle {
  listen(): Promise<string>;
  /** Every message delivered without a verdict has its late verdict or its report, and reports are sent. */
  rechecksSettled(): Promise<void>;
  close(): Promise<void>;
  db: {
    user(id: string): { state: string } | undefined;
    warnings(userId: string): unknown[];
    message(id: string): { state: string; recipient: string | null; group_id: string | null } | undefined;
  };
}

export interface ChatStack {
  gh: Gatehouse;
  chat: ChatHandle;
  gatehouseUrl: string;
  chatUrl: string;
  /** Operator key of the simulator (events:write, accounts:read, response:read, webhooks:read, incidents:read). */
  key: string;
  dataDir: string;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Data directory (Gatehouse's database in it, the chat's in `chat/`); default: temporary, removed at close. */
  dataDir?: string;
  /** Gatehouse's port (0: a free one). */
  port?: number;
  /** The chat's port (0: a free one). */
  chatPort?: number;
  host?: string;
  /** Third-party apps the chat lists under Apps / 应用 (its --app-url). */
  apps?: Array<{ name: string; url: string }>;
}

export function freePort(host: string): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

/** Loads the reference chat; a missing workspace package is a typed, bilingual error. */
export async function loadChat(
  importChat: () => Promise<unknown> = () => import('@gatehouse/example-chat'),
): Promise<{
  createChatServer: (opts: Record<string, unknown>) => Promise<ChatHandle>;
}> {
  try {
    return (await importChat()) as {
      createChatServer: (opts: Record<string, unknown>) => Promise<ChatHandle>;
    };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (
      code === 'ERR_MODULE_NOT_FOUND' ||
      code === 'MODULE_NOT_FOUND' ||
      code === 'ERR_PACKAGE_PATH_NOT_EXPORTED'
    )
      throw new GatehouseError(
        'CHAT_NOT_INSTALLED',
        `${ERRORS.CHAT_NOT_INSTALLED.title} / ${ERRORS.CHAT_NOT_INSTALLED.titleZh}`,
        { cause: e },
      );
    throw e;
  }
}

export async function startChatStack(o: StackOptions): Promise<ChatStack> {
  const { createChatServer } = await loadChat();
  const host = o.host ?? '127.0.0.1';
  const sim = await startSimGatehouse({
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    host,
    port: o.port ?? 0,
  });
  const { gh, key } = sim;
  const dir = sim.dataDir;
  let chat: ChatHandle | undefined;
  const cleanup = async () => {
    await chat?.close().catch(() => undefined);
    await sim.close();
  };
  try {
    const gatehouseUrl = sim.url;
    const { key: chatKey } = await gh.keys.create('reference chat', ['events:write']);
    const chatPort = o.chatPort || (await freePort(host));
    const hook = `http://${host}:${chatPort}/gatehouse/webhooks`;
    // One endpoint for the chat: a previous run in the same directory may have left one (another port).
    for (const ep of await gh.webhooks.listEndpoints())
      if (ep.description === 'reference chat (simulator)') await gh.webhooks.remove(ep.id, 'system');
    const ep = await gh.webhooks.addEndpoint(
      { url: hook, description: 'reference chat (simulator)' },
      'system',
    );
    chat = await createChatServer({
      gatehouse: gatehouseUrl,
      apiKey: chatKey,
      webhookSecrets: [ep.secret],
      dataDir: join(dir, 'chat'),
      host,
      port: chatPort,
      logLevel: 'silent',
      trustProxy: true,
      ...(o.apps ? { apps: o.apps } : {}),
    });
    const chatUrl = await chat.listen();
    return { gh, chat, gatehouseUrl, chatUrl, key, dataDir: dir, close: cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
