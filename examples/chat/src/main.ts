/**
 * `gatehouse-chat` / `node examples/chat/src/main.ts`: starts the reference chat against a Gatehouse.
 *
 *   --gatehouse URL        Gatehouse base URL (GATEHOUSE_URL; default http://127.0.0.1:8080)
 *   --port N               HTTP port (CHAT_PORT; default 3000; 0 picks a free one)
 *   --host H               bind address (CHAT_HOST; default 127.0.0.1)
 *   --data-dir DIR         SQLite file and images (CHAT_DATA_DIR; default ./chat-data)
 *   --api-key KEY          Gatehouse operator key with events:write (GATEHOUSE_API_KEY)
 *   --webhook-secret S     webhook signing secret, repeatable (GATEHOUSE_WEBHOOK_SECRET, comma-separated)
 *   --secure-cookie        mark the session cookie Secure (serve over HTTPS)
 *   --trust-proxy          read the client address from X-Forwarded-For (CHAT_TRUST_PROXY=true; only
 *                          behind your own reverse proxy)
 *   --log-level L          pino level (CHAT_LOG_LEVEL; default info)
 *   --check-timeout-ms N   the pre-send check's timeout (CHAT_CHECK_TIMEOUT_MS; default 500)
 *   --check-failure M      when the check fails or times out: open (deliver, report it unchecked) or
 *                          closed (refuse the message) (CHAT_CHECK_FAILURE; default open)
 *   --app-url NAME=URL     a third-party app with "Sign in with Chat", listed under Apps / 应用;
 *                          repeatable (CHAT_APP_URLS, comma-separated)
 *   --appeal-url URL       Gatehouse's appeal page as browsers reach it, linked from the frozen banner
 *                          (CHAT_APPEAL_URL; default <gatehouse>/me/appeal)
 */
import { parseArgs } from 'node:util';
import { createChatServer, parseAppLink } from './app.ts';

const HELP = `Usage: gatehouse-chat [--gatehouse URL] [--port N] [--host H] [--data-dir DIR]
                      [--api-key ghk_…] [--webhook-secret whsec_…]… [--secure-cookie] [--trust-proxy]
                      [--log-level L] [--check-timeout-ms N] [--check-failure open|closed]
                      [--app-url NAME=URL]… [--appeal-url URL]
The reference chat platform protected by Gatehouse. 由 Gatehouse 保护的参考聊天平台。`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      gatehouse: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'api-key': { type: 'string' },
      'webhook-secret': { type: 'string', multiple: true },
      'secure-cookie': { type: 'boolean' },
      'trust-proxy': { type: 'boolean' },
      'log-level': { type: 'string' },
      'check-timeout-ms': { type: 'string' },
      'check-failure': { type: 'string' },
      'app-url': { type: 'string', multiple: true },
      'appeal-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const env = process.env;
  const gatehouse = values.gatehouse ?? env.GATEHOUSE_URL ?? 'http://127.0.0.1:8080';
  try {
    new URL(gatehouse);
  } catch {
    throw new Error(`--gatehouse: not a URL: ${gatehouse}`);
  }
  const port = Number(values.port ?? env.CHAT_PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: not a port: ${values.port}`);
  const secrets = [
    ...(values['webhook-secret'] ?? []),
    ...(env.GATEHOUSE_WEBHOOK_SECRET ?? '').split(',').filter(Boolean),
  ];
  const apiKey = values['api-key'] ?? env.GATEHOUSE_API_KEY;
  const checkTimeoutMs = Number(values['check-timeout-ms'] ?? env.CHAT_CHECK_TIMEOUT_MS ?? 500);
  if (!Number.isInteger(checkTimeoutMs) || checkTimeoutMs < 1 || checkTimeoutMs > 60_000)
    throw new Error(`--check-timeout-ms: not a number of milliseconds from 1 to 60000`);
  const checkFailure = values['check-failure'] ?? env.CHAT_CHECK_FAILURE ?? 'open';
  if (checkFailure !== 'open' && checkFailure !== 'closed')
    throw new Error(`--check-failure: open or closed, not ${checkFailure}`);
  const apps = [...(values['app-url'] ?? []), ...(env.CHAT_APP_URLS ?? '').split(',').filter(Boolean)].map(
    parseAppLink,
  );
  const server = await createChatServer({
    gatehouse,
    ...(apiKey ? { apiKey } : {}),
    webhookSecrets: secrets,
    dataDir: values['data-dir'] ?? env.CHAT_DATA_DIR ?? './chat-data',
    host: values.host ?? env.CHAT_HOST ?? '127.0.0.1',
    port,
    secureCookie: values['secure-cookie'] ?? false,
    trustProxy:
      values['trust-proxy'] ?? ['1', 'true', 'yes'].includes((env.CHAT_TRUST_PROXY ?? '').toLowerCase()),
    logLevel: values['log-level'] ?? env.CHAT_LOG_LEVEL ?? 'info',
    checkTimeoutMs,
    checkFailure,
    apps,
    ...((values['appeal-url'] ?? env.CHAT_APPEAL_URL)
      ? { appealUrl: values['appeal-url'] ?? env.CHAT_APPEAL_URL }
      : {}),
  });
  const url = await server.listen();
  const caps = server.gh.capabilities;
  console.log(`gatehouse-chat listening on ${url} (Gatehouse: ${gatehouse})`);
  console.log(
    `  events and pre-send check: ${caps.events ? 'on' : 'off (needs --api-key)'}; ` +
      `webhooks: ${caps.webhooks ? `${url}/gatehouse/webhooks` : 'off (needs --webhook-secret)'}`,
  );
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`gatehouse-chat: ${(e as Error).message}`);
    process.exit(1);
  });
}
