/**
 * An embedded Gatehouse for `gatehouse replay` and `gatehouse demo`: a data directory (SQLite), an
 * operator key, and simulation-only settings, all documented in docs/scenarios.md:
 * - fast Argon2id (8 MiB, 1 iteration, 1 lane): thousands of sign-ins in seconds; never for real use;
 * - trustProxy: the simulator sets X-Forwarded-For to give each person and intruder their own network;
 * - signupMaxPerIp raised: the whole society is created from one machine;
 * - webhooks to http://127.0.0.1 allowed (the chat's receiver), no cooling-off for recovery factors
 *   (the owners kept their codes long before the simulated day), and no zxcvbn estimate for the
 *   generated passwords (passwordMinScore 0).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { createGatehouse, type Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { warmContent } from '../engine/index.ts';

export const SIM_SETTINGS = {
  argon2MemoryKib: 8192,
  argon2Iterations: 1,
  argon2Parallelism: 1,
  trustProxy: true,
  signupMaxPerIp: 100_000,
  // the reference chat's webhook receiver runs beside Gatehouse on 127.0.0.1, over http
  webhookAllowHttp: true,
  webhookAllowLoopback: true,
  // the society's owners kept their recovery codes long before the simulated day
  recoveryFactorCoolingOffHours: 0,
  // generated passwords, thousands of sign-ups: no strength estimate (length and breached list still apply)
  passwordMinScore: 0,
} as const;

export interface SimGatehouse {
  gh: Gatehouse;
  url: string;
  /** The simulator's operator key (events:write, accounts:read, response:read, webhooks:read, incidents:read). */
  key: string;
  dataDir: string;
  /** Stops Gatehouse; removes the data directory when it was temporary. */
  close(): Promise<void>;
}

/**
 * Starts Gatehouse with the simulation settings in `dataDir` (default: a temporary directory) and
 * creates the simulator's operator key. `gatehouse replay` uses it alone; chat-stack.ts beside the chat.
 */
export async function startSimGatehouse(
  o: { dataDir?: string; host?: string; port?: number } = {},
): Promise<SimGatehouse> {
  const temporary = !o.dataDir;
  const dir = o.dataDir ? resolve(o.dataDir) : mkdtempSync(join(tmpdir(), 'gatehouse-sim-'));
  mkdirSync(dir, { recursive: true });
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      databaseUrl: '',
      host: o.host ?? '127.0.0.1',
      port: o.port ?? 0,
      logLevel: 'silent',
      sqliteSynchronous: 'NORMAL',
      // the outbox and webhook timers keep their defaults: commits poke the drainer and the dispatcher,
      // and faster polling only costs queries on the event loop the pre-send check shares
      webhookRetryBaseMs: 200,
      cookieSecure: false,
      ...SIM_SETTINGS,
    },
  });
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  const close = async () => {
    await gh.close();
    if (temporary) rmSync(dir, { recursive: true, force: true });
  };
  try {
    warmContent(gh.engine.content);
    const url = await gh.listen();
    const { key } = await gh.keys.create('simulator', [
      'events:write',
      'accounts:read',
      'response:read',
      'webhooks:read',
      'incidents:read',
    ]);
    return { gh, url, key, dataDir: dir, close };
  } catch (e) {
    await close();
    throw e;
  }
}
