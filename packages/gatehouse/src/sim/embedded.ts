/**
 * An embedded Gatehouse for `gatehouse replay`: a temporary data directory (SQLite), an operator key,
 * and simulation-only settings, all documented in docs/scenarios.md:
 * - fast Argon2id (8 MiB, 1 iteration, 1 lane): thousands of sign-ins in seconds; never for real use;
 * - trustProxy: the simulator sets X-Forwarded-For to give each person and intruder their own network;
 * - signupMaxPerIp raised: the whole society is created from one machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';

export const SIM_SETTINGS = {
  argon2MemoryKib: 8192,
  argon2Iterations: 1,
  argon2Parallelism: 1,
  trustProxy: true,
  signupMaxPerIp: 100_000,
} as const;

export async function startEmbedded(): Promise<{ url: string; key: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sim-'));
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: dir,
      databaseUrl: '',
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      sqliteSynchronous: 'NORMAL',
      outboxPollMs: 20,
      ...SIM_SETTINGS,
    },
  });
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  try {
    const url = await gh.listen();
    const { key } = await gh.keys.create('simulator', [
      'events:write',
      'accounts:read',
      'response:read',
      'webhooks:read',
    ]);
    return {
      url,
      key,
      close: async () => {
        await gh.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
