/**
 * The pre-send check's answer for one request body, on one engine (the embedded service's or an
 * engine worker's partition): the body read (by hand when plainly valid, else by the event parser),
 * a repeated id answered from before, the event-time bounds, the engine's verdict, then the session's
 * restriction and the throttle gate; a verdict the policy only rehearses is answered allow (`rehearsal`
 * names it, and the decision is not flagged `checked`: the message goes out). Throws EVENT_INVALID /
 * TEXT_TOO_LONG.
 */
import { parsePlatformEvent, type MessageSentEvent } from '@gatehouse/sdk';
import { GatehouseError } from '../errors/index.ts';
import { checkedEvent, plainMessageSent } from './check-body.ts';
import type { Engine } from './engine.ts';
import type { CheckAnswer, EngineServiceOptions } from './service-types.ts';
import type { Decision } from './types.ts';

/** Why an event's time is outside what the engine accepts (too old, too far ahead), if it is. */
export function timeBound(
  L: Engine['limits'],
  time: number,
  now: number,
): { reason: 'too_old' | 'too_far_in_future'; detail: string } | undefined {
  if (time < now - L.maxPastMs)
    return {
      reason: 'too_old',
      detail: `event time is more than ${L.maxPastMs / 3_600_000} h in the past`,
    };
  if (time > now + L.maxFutureMs)
    return {
      reason: 'too_far_in_future',
      detail: `event time is more than ${L.maxFutureMs / 60_000} min in the future`,
    };
  return undefined;
}

export function evaluateCheck(
  engine: Engine,
  input: unknown,
  now: number,
  prior: (id: string) => CheckAnswer | undefined,
  hooks: Pick<EngineServiceOptions, 'restrict' | 'gate' | 'rehearses'>,
): { answer: CheckAnswer; ev: MessageSentEvent; decision?: Decision } {
  const body = typeof input === 'object' && input !== null && !Array.isArray(input) ? input : undefined;
  // the common plainly valid body read by hand (check-body.ts, `type` and `time` defaulted as below);
  // anything else by the event parser
  const plain = body ? plainMessageSent(body as Record<string, unknown>, now) : undefined;
  const p = plain ? { ok: true as const, event: plain } : parsePlatformEvent(checkedEvent(body, now));
  if (!p.ok && p.reason === 'text_too_long')
    throw new GatehouseError('TEXT_TOO_LONG', p.detail, { extra: { reason: p.reason } });
  if (!p.ok) throw new GatehouseError('EVENT_INVALID', p.detail, { extra: { reason: p.reason } });
  if (p.event.type !== 'message.sent')
    throw new GatehouseError('EVENT_INVALID', 'only message.sent can be checked', {
      extra: { reason: 'invalid_event' },
    });
  const ev: MessageSentEvent = p.event;
  const seen = prior(ev.id);
  if (seen) return { answer: { ...seen, duplicate: true }, ev };
  const bound = timeBound(engine.limits, ev.time, now);
  if (bound) throw new GatehouseError('EVENT_INVALID', bound.detail, { extra: { reason: bound.reason } });
  const r = engine.checkMessage(ev, { receivedAt: now });
  if (!('verdict' in r)) throw new GatehouseError('EVENT_INVALID', r.detail, { extra: { reason: r.reason } });
  const d = r.decision;
  // a verdict the policy only rehearses (dry-run) lets the message go; the answer names it
  const rehearsal = r.verdict !== 'allow' && hooks.rehearses?.(d) ? r.verdict : undefined;
  const verdict = rehearsal ? 'allow' : r.verdict;
  // a session's restriction is asked whatever the engine decided (both reasons are reported); the
  // gate (a throttle, which counts what it lets through) only for messages that would go out
  const gated =
    hooks.restrict?.(ev.account, now, ev, engine) ??
    (verdict === 'allow' ? hooks.gate?.(ev.account, now, ev) : undefined);
  const answer: CheckAnswer = {
    id: ev.id,
    verdict: gated && verdict === 'allow' ? 'hold' : verdict,
    action: d.action,
    risk: d.risk,
    reasons: gated ? [gated, ...d.reasons] : d.reasons,
    campaigns: d.campaigns ?? [],
    duplicate: false,
  };
  if (rehearsal) answer.rehearsal = rehearsal;
  if (gated || d.action !== 'allow')
    answer.signals = d.signals.map((x) => ({
      signal: x.name,
      value: x.value,
      logOdds: Math.round(x.logOdds * 100) / 100,
    }));
  return { answer, ev, decision: d };
}
