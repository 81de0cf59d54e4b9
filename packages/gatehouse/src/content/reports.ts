/**
 * User reports that teach the text model, with safeguards (pure functions; SQL in store.ts, the flow
 * in service.ts):
 *
 * 1. Reporter reputation. A reporter's weight grows with reports operators confirmed and falls fast
 *    with reports they rejected: (1 + confirmed) / (2 + confirmed + 3 × rejected), so a newcomer
 *    counts 0.5, a reliable reporter nears 1, and a brigade of rejected reporters nears 0.
 * 2. A quorum of independent reporters. Reports are grouped by the reported text (SHA-256 of its
 *    normalised form without spaces, so copies of one spam message pool their reports); the sender never counts,
 *    each reporter counts once, and reports from accounts that also sent the same text do not count.
 *    The text goes to review when at least `minReporters` distinct reporters AND a summed weight of
 *    `minWeight` agree.
 * 3. An operator review queue. Nothing is learned before an operator confirms: confirming teaches the
 *    model the text as spam (the same online step as an operator label) and raises the reporters'
 *    reputation; rejecting teaches nothing and lowers it.
 */
import { createHash } from 'node:crypto';
import { normalize } from './text/normalize.ts';

export interface ReportPolicy {
  /** Distinct independent reporters needed (default 3). */
  minReporters: number;
  /** Summed reporter weight needed (default 1.5). */
  minWeight: number;
}

export const DEFAULT_REPORT_POLICY: ReportPolicy = { minReporters: 3, minWeight: 1.5 };

/** A reporter's weight in [0, 1] from their confirmed and rejected past reports. */
export function reporterWeight(confirmed: number, rejected: number): number {
  const c = Math.max(0, confirmed);
  const r = Math.max(0, rejected);
  return (1 + c) / (2 + c + 3 * r);
}

/** The key reports on one text pool under: SHA-256 of the normalised text (disguised copies share it). */
export function reportTextKey(text: string): string {
  return createHash('sha256')
    .update(normalize(text.slice(0, 4096)).text.replace(/\s+/gu, ''))
    .digest('hex');
}

export interface ReportVote {
  reporter: string;
  sender: string;
  weight: number;
}

export interface QuorumResult {
  reached: boolean;
  reporters: number;
  weight: number;
  /** Why some reports did not count. */
  ignored: { selfReports: number; duplicates: number; senders: number };
}

/** Counts the independent reports on one text against the policy. */
export function quorum(
  votes: readonly ReportVote[],
  policy: ReportPolicy = DEFAULT_REPORT_POLICY,
): QuorumResult {
  const senders = new Set(votes.map((v) => v.sender));
  const seen = new Set<string>();
  let weight = 0;
  const ignored = { selfReports: 0, duplicates: 0, senders: 0 };
  for (const v of votes) {
    if (v.reporter === v.sender) {
      ignored.selfReports++;
      continue;
    }
    if (senders.has(v.reporter)) {
      // an account that sent this text itself is no independent witness against it
      ignored.senders++;
      continue;
    }
    if (seen.has(v.reporter)) {
      ignored.duplicates++;
      continue;
    }
    seen.add(v.reporter);
    weight += Math.max(0, Math.min(1, v.weight));
  }
  return {
    reached: seen.size >= policy.minReporters && weight >= policy.minWeight - 1e-9,
    reporters: seen.size,
    weight,
    ignored,
  };
}
