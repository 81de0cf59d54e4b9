import type { SignalGroup, SignalName, Weights } from './config.ts';
import { WEIGHTS } from './config.ts';
import type { Signal } from './types.ts';

/** Collects the signals of one event and sums their log-odds. */
export class SignalSink {
  readonly weights: Weights;
  signals: Signal[] = [];
  logit = 0;
  /** Σ positive log-odds of the profile and session groups: "the account breaks its habits". */
  deviation = 0;
  /** Σ positive log-odds of the profile, session and state groups (compromise evidence). */
  compromise = 0;

  constructor(weights: Weights) {
    this.weights = weights;
  }

  reset(): void {
    this.signals = [];
    this.logit = 0;
    this.deviation = 0;
    this.compromise = 0;
  }

  emit(name: SignalName, value: number | string, strength: number, en: string, zh: string): void {
    if (!(strength !== 0)) return;
    const weight = this.weights[name];
    const logOdds = weight * strength;
    if (logOdds === 0) return;
    this.signals.push({ name, value, strength, weight, logOdds, reason: { en, zh } });
    this.logit += logOdds;
    const g: SignalGroup = WEIGHTS[name].group;
    if (logOdds > 0) {
      if (g === 'profile' || g === 'session') {
        this.deviation += logOdds;
        this.compromise += logOdds;
      } else if (g === 'state') this.compromise += logOdds;
    }
  }

  has(name: SignalName): boolean {
    for (const s of this.signals) if (s.name === name) return true;
    return false;
  }
}

export function clamp01(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}
