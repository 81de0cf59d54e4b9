/**
 * Test-only: the Redis these tests use (GATEHOUSE_TEST_REDIS_URL, default the local server), and a skip
 * reason when it is absent (a failure under GATEHOUSE_REQUIRE_SERVICES=1).
 */
import { connect } from 'node:net';
import { REQUIRE_SERVICES } from './index.ts';

export const REDIS_URL = process.env.GATEHOUSE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname, port: Number(u.port || 6379), timeout: 10_000 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('error', () => done(false));
    s.once('timeout', () => done(false));
  });
}

/** Skip reason for a Redis test, or undefined when it must run. Throws when required but absent. */
export async function redisSkip(): Promise<string | undefined> {
  // a slow answer on a loaded machine is not an absent server: asked again when the server is required
  for (let i = 0; i < (REQUIRE_SERVICES ? 3 : 1); i++) if (await reachable(REDIS_URL)) return undefined;
  if (REQUIRE_SERVICES)
    throw new Error(`Redis is required (GATEHOUSE_REQUIRE_SERVICES=1) but ${REDIS_URL} is not reachable`);
  const msg = `Redis not reachable at ${REDIS_URL}: skipping the Redis run`;
  console.log(`# SKIP ${msg}`);
  return msg;
}
