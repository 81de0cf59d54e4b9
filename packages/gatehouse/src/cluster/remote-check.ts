/**
 * The api role asks the worker owning an account's partition (request/reply on a partition's subject):
 * the pre-send check on `<name>.check.<partition>`, and what the engine holds against a sign-in on
 * `<name>.signin-risk.<partition>`. While a partition changes hands nobody answers; the request is
 * retried until its time is up (a timed-out request is not sent again). A check then answers
 * ENGINE_UNAVAILABLE (503: the platform's fallback decides); a sign-in goes on under identity's own rules.
 */
import { RequestError } from '@nats-io/transport-node';
import { GatehouseError, ERRORS, type ErrorCode } from '../errors/index.ts';
import type { CheckAnswer, SignInRisk } from '../engine/index.ts';
import type { Logger } from '../log/index.ts';
import type { ClusterLink } from './nats.ts';
import { partitionOf } from './partition.ts';
import type { CheckReply, SignInRiskReply } from './runner.ts';

/** How long a sign-in waits for the engine's view at most, ms (the check's own budget is longer). */
const SIGNIN_ASK_MS = 2000;

/** Request/reply to a partition's owner, asked again while nobody answers; ENGINE_UNAVAILABLE after `timeoutMs`. */
async function askOwner<R>(link: ClusterLink, subject: string, body: string, timeoutMs: number): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    try {
      const m = await link.nc.request(subject, body, { timeout: Math.max(10, left) });
      return m.json<R>();
    } catch (err) {
      // no responders (a hand-over in progress): ask again while there is time; a timeout is not
      // retried (an overloaded owner would get the same work twice)
      const noResponders = err instanceof RequestError && err.isNoResponders();
      if (!noResponders || Date.now() + 50 >= deadline)
        throw new GatehouseError('ENGINE_UNAVAILABLE', `no engine worker answered within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export function remoteCheck(link: ClusterLink, timeoutMs: number): (input: unknown) => Promise<CheckAnswer> {
  return async (input) => {
    const account =
      typeof input === 'object' && input !== null ? (input as { account?: unknown }).account : undefined;
    if (typeof account !== 'string' || account.length === 0)
      throw new GatehouseError('EVENT_INVALID', 'account: a non-empty string is required', {
        extra: { reason: 'invalid_event' },
      });
    const subject = link.names.check(partitionOf(account, link.partitions));
    const reply = await askOwner<CheckReply>(link, subject, JSON.stringify(input), timeoutMs);
    if (reply.ok) return reply.answer;
    const code = (reply.code in ERRORS ? reply.code : 'INTERNAL') as ErrorCode;
    throw new GatehouseError(code, reply.detail, reply.extra ? { extra: reply.extra } : {});
  };
}

/**
 * What the engine owning the account's partition holds against a sign-in on a new device (the account
 * contained, a wave of new-device sign-ins on the network as that partition counts it). When no worker
 * answers in time the sign-in is judged by identity's own rules (logged): the engine's view is one more
 * layer, and a hand-over of a few seconds must not lock every owner out.
 */
export function remoteSignInRisk(
  link: ClusterLink,
  timeoutMs: number,
  log: Logger,
): (q: { account: string; ip: string }) => Promise<readonly SignInRisk[]> {
  return async (q) => {
    const subject = link.names.signInRisk(partitionOf(q.account, link.partitions));
    try {
      const reply = await askOwner<SignInRiskReply>(
        link,
        subject,
        JSON.stringify({ account: q.account, ip: q.ip }),
        Math.min(timeoutMs, SIGNIN_ASK_MS),
      );
      if (reply.ok && Array.isArray(reply.signals)) return reply.signals;
      log.warn(
        { account: q.account, detail: reply.ok ? 'no signals' : reply.detail },
        'sign-in risk refused',
      );
    } catch (err) {
      log.warn(
        { err, account: q.account },
        'no engine worker answered before a sign-in; identity rules only',
      );
    }
    return [];
  };
}
