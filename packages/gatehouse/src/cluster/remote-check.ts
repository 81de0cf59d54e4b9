/**
 * The api role's pre-send check: asks the worker owning the account's partition (request/reply on
 * `<name>.check.<partition>`). While a partition changes hands nobody answers; the request is retried
 * until clusterCheckTimeoutMs (a timed-out request is not sent again), then answered ENGINE_UNAVAILABLE (503) —
 * the platform's fallback decides.
 */
import { RequestError } from '@nats-io/transport-node';
import { GatehouseError, ERRORS, type ErrorCode } from '../errors/index.ts';
import type { CheckAnswer } from '../engine/index.ts';
import type { ClusterLink } from './nats.ts';
import { partitionOf } from './partition.ts';
import type { CheckReply } from './runner.ts';

export function remoteCheck(link: ClusterLink, timeoutMs: number): (input: unknown) => Promise<CheckAnswer> {
  return async (input) => {
    const account =
      typeof input === 'object' && input !== null ? (input as { account?: unknown }).account : undefined;
    if (typeof account !== 'string' || account.length === 0)
      throw new GatehouseError('EVENT_INVALID', 'account: a non-empty string is required', {
        extra: { reason: 'invalid_event' },
      });
    const subject = link.names.check(partitionOf(account, link.partitions));
    const body = JSON.stringify(input);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      try {
        const m = await link.nc.request(subject, body, { timeout: Math.max(10, left) });
        const reply = m.json<CheckReply>();
        if (reply.ok) return reply.answer;
        const code = (reply.code in ERRORS ? reply.code : 'INTERNAL') as ErrorCode;
        throw new GatehouseError(code, reply.detail, reply.extra ? { extra: reply.extra } : {});
      } catch (err) {
        if (err instanceof GatehouseError) throw err;
        // no responders (a hand-over in progress): ask again while there is time; a timeout is not
        // retried (an overloaded owner would get the same work twice)
        const noResponders = err instanceof RequestError && err.isNoResponders();
        if (!noResponders || Date.now() + 50 >= deadline)
          throw new GatehouseError('ENGINE_UNAVAILABLE', `no engine worker answered within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
}
