// Test-only: a platform's webhook receiver on 127.0.0.1 that verifies signatures with the SDK and keeps
// each message once (by webhook-id), and a poller for "eventually" conditions.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '@gatehouse/sdk';

export interface ReceivedWebhook {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

export async function webhookReceiver(): Promise<{
  url: string;
  received: ReceivedWebhook[];
  /** The signing secret to verify with (set once the endpoint is registered). */
  setSecret(secret: string): void;
  close(): void;
}> {
  const received: ReceivedWebhook[] = [];
  const seen = new Set<string>();
  let secret = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        // every payload is checked against its type's schema in @gatehouse/sdk (a drift is a 400 here)
        const m = verifyWebhook(secret, req.headers as Record<string, string>, body, { validate: true });
        if (!seen.has(m.id)) {
          seen.add(m.id);
          received.push({ id: m.id, type: m.type, data: m.data as Record<string, unknown> });
        }
        res.writeHead(204).end();
      } catch (e) {
        if ((e as { code?: string }).code === 'bad_payload') console.error(`webhook receiver: ${String(e)}`);
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    setSecret: (s) => void (secret = s),
    close: () => void server.close(),
  };
}

/**
 * Polls `f` until it returns something other than undefined/false, or fails after `ms`. The default is
 * generous (CI runs on a loaded machine, 3-5x slower than a quiet run): a passing wait returns as soon as
 * its condition holds, so only a failing test pays for it.
 */
export async function until<T>(
  f: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    // a probe that never settles fails soon after the deadline (it does not hang the test to its timeout)
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what} (its probe did not settle)`)),
        Math.max(0, end - Date.now()) + 15_000,
      );
    });
    const v = await Promise.race([Promise.resolve(f()), late]).finally(() => clearTimeout(timer));
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
