/**
 * Combining signals into a decision. logit = bias + Σ signal log-odds (config.ts documents the
 * weights and thresholds); risk = sigmoid(logit).
 */
import type { Thresholds } from './config.ts';
import { explainSignal } from './explain.ts';
import type { Action, Decision, EngineEvent, PreSendVerdict, Signal } from './types.ts';

export function decide(logit: number, compromise: number, th: Thresholds): Action {
  if (logit >= th.contain) return compromise >= th.compromiseEvidence ? 'contain' : 'block';
  if (logit >= th.block) return 'block';
  if (logit >= th.hold) return 'hold';
  if (logit >= th.challenge) return 'challenge';
  return 'allow';
}

/** The pre-send answer for a decision: challenge holds the message until the sender passes it. */
export function toPreSend(a: Action): PreSendVerdict {
  return a === 'allow' ? 'allow' : a === 'challenge' || a === 'hold' ? 'hold' : 'block';
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * Sorts by contribution, largest first, in place and stably (the order Array.prototype.sort gives
 * with `b.logOdds - a.logOdds`): an insertion sort over a handful of signals allocates nothing.
 */
function sortByContribution(signals: Signal[]): void {
  for (let i = 1; i < signals.length; i++) {
    const s = signals[i]!;
    let j = i - 1;
    while (j >= 0 && s.logOdds - signals[j]!.logOdds > 0) {
      signals[j + 1] = signals[j]!;
      j--;
    }
    signals[j + 1] = s;
  }
}

export function makeDecision(
  eventId: string,
  eventType: EngineEvent['type'],
  account: string,
  session: string | undefined,
  time: number,
  action: Action,
  logit: number,
  signals: Signal[],
  campaigns: string[] | undefined,
): Decision {
  if (signals.length > 1) sortByContribution(signals);
  const reasons: Decision['reasons'] = [];
  for (let i = 0; i < signals.length && reasons.length < 3; i++) {
    const s = signals[i]!;
    if (s.logOdds > 0) reasons.push({ signal: s.name, ...explainSignal(s) });
  }
  const d: Decision = {
    id: `dec:${eventId}`,
    eventId,
    eventType,
    account,
    time,
    action,
    logit: Math.round(logit * 1000) / 1000,
    risk: Math.round(sigmoid(logit) * 10000) / 10000,
    reasons,
    signals,
  };
  if (session !== undefined) d.session = session;
  if (campaigns !== undefined) d.campaigns = campaigns;
  return d;
}
