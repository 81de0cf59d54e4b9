import type { SignalGroup, SignalName, Weights } from './config.ts';
import { WEIGHTS } from './config.ts';
import type { Signal } from './types.ts';

/** Collects the signals of one event and sums their log-odds. */
export class SignalSink {
  readonly weights: Weights;
  signals: Signal[] = [];
  logit = 0;
  /** Σ positive log-odds per signal group. */
  readonly positive: Record<SignalGroup, number> = {
    profile: 0,
    session: 0,
    velocity: 0,
    content: 0,
    crowd: 0,
    state: 0,
    app: 0,
  };

  constructor(weights: Weights) {
    this.weights = weights;
  }

  /** Profile + session: "the account breaks its habits". */
  get deviation(): number {
    return this.positive.profile + this.positive.session;
  }

  /**
   * Session + state: compromise evidence — how the session signed in and what it does that only an
   * intruder's session does, or the account being contained. Breaking one's own habits (profile)
   * is not: people greeting everyone at midnight do that too.
   */
  get compromise(): number {
    return this.positive.session + this.positive.state;
  }

  reset(): void {
    this.signals = [];
    this.logit = 0;
    const p = this.positive;
    p.profile = p.session = p.velocity = p.content = p.crowd = p.state = p.app = 0;
  }

  emit(
    name: SignalName,
    value: number | string,
    strength: number,
    en: string,
    zh: string,
    facts?: Signal['facts'],
  ): void {
    if (!(strength !== 0)) return;
    const weight = this.weights[name];
    const logOdds = weight * strength;
    if (logOdds === 0) return;
    const s: Signal = { name, value, strength, weight, logOdds, reason: { en, zh } };
    if (facts !== undefined) s.facts = facts;
    this.signals.push(s);
    this.logit += logOdds;
    if (logOdds > 0) this.positive[WEIGHTS[name].group] += logOdds;
  }

  /** The log-odds the signal added to this event (0 when it was not emitted). */
  logOddsOf(name: SignalName): number {
    for (const s of this.signals) if (s.name === name) return s.logOdds;
    return 0;
  }

  has(name: SignalName): boolean {
    for (const s of this.signals) if (s.name === name) return true;
    return false;
  }
}

export function clamp01(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 1 : x;
}
