import { join } from 'node:path';
import { loadScenario } from '../sim/scenario.ts';
import { registerBenchmark, type BenchOptions, type Figures } from './index.ts';

const SCENARIO = join(import.meta.dirname, '../../../../scenarios/qq-incident.yaml');

/**
 * A mass incident against an embedded Gatehouse (SQLite, in the bench's process): the qq-incident scenario's society (2,000
 * accounts at scale 1, 5 % hijacked) with its history, then the live phase played at its fixed
 * schedule in real time — intruders blasting every friend and group while owners chat — every message
 * through the pre-send check over HTTP. Figures: checks per second during the live phase, check
 * p50/p99/max and how many exceeded a platform's 100 ms timeout, the response lag (decision → last
 * webhook enqueued for it) p50/p99, webhooks per second, and whether every intruder was contained and
 * every intruder message blocked or retracted.
 */
export async function benchIncident(opts: BenchOptions): Promise<Figures> {
  const accounts = Math.max(200, Math.round(2000 * opts.scale));
  opts.log(`incident: qq-incident, ${accounts} accounts, seed 5`);
  const { replay } = await import('../sim/runner.ts');
  const r = await replay({
    scenario: loadScenario(SCENARIO),
    accounts,
    seed: 5,
    recover: false,
    checkTimeoutMs: 100,
  });
  const m = r.metrics;
  const live = m.perSecond.filter((s) => s.checks > 0);
  const checks = live.reduce((n, s) => n + s.checks, 0);
  return {
    accounts: m.accounts,
    checksPerSecond: live.length ? Math.round((checks / live.length) * 10) / 10 : 0,
    checkP50Ms: m.checkLatencyMs.p50 ?? NaN,
    checkP99Ms: m.checkLatencyMs.p99 ?? NaN,
    checkMaxMs: m.checkLatencyMs.max ?? NaN,
    checksOver100Ms: m.checkLatencyMs.overTimeout,
    responseLagP50Ms: m.responseLagMs.p50 ?? NaN,
    responseLagP99Ms: m.responseLagMs.p99 ?? NaN,
    webhooksPerSecond: m.webhooks.perSecond,
    liveLagMs: m.liveLagMs,
    hijacked: m.hijacked,
    contained: m.detected,
    intruderMessages: m.intruderMessages,
    intruderMessagesLeftDelivered: m.intruderMessagesLeftDelivered,
    recipientsReachedMax: m.recipientsReachedBeforeContainment.max ?? 0,
  };
}

registerBenchmark({
  name: 'incident',
  description:
    'qq-incident live phase at its fixed schedule: checks/s, check p50/p99 during the incident, response lag p99, webhooks/s',
  run: benchIncident,
});
