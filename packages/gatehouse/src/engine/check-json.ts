/**
 * The pre-send check's answer as JSON, written by hand: the route's zod schema (CheckAnswer in
 * routes.ts) documents it, and check-json.test.ts holds this writer to what that schema's serializer
 * gives, field by field. It copies only the schema's fields (a reason or signal carrying more keeps them
 * to itself, as the schema's serializer strips them) and stringifies once, without the schema walk that
 * built a second copy of every answer.
 */
import type { UnknownAccountWarning } from './known-accounts.ts';
import type { CheckAnswer } from './service-types.ts';

export type CheckReply = CheckAnswer & { warnings: UnknownAccountWarning[] };

export function checkAnswerJson(a: CheckReply): string {
  // the common answer (nothing to explain, nothing to warn of) from a template: only the values written
  if (
    a.reasons.length === 0 &&
    a.signals === undefined &&
    a.campaigns.length === 0 &&
    a.warnings.length === 0 &&
    typeof a.id === 'string' &&
    typeof a.risk === 'number' &&
    typeof a.duplicate === 'boolean' &&
    a.rehearsal === undefined
  )
    return (
      `{"id":${JSON.stringify(a.id)},"verdict":${JSON.stringify(a.verdict)},"action":${JSON.stringify(a.action)},` +
      `"risk":${JSON.stringify(a.risk)},"reasons":[],"campaigns":[],"duplicate":${a.duplicate},"warnings":[]}`
    );
  const out: Record<string, unknown> = {
    id: a.id,
    verdict: a.verdict,
    action: a.action,
    risk: a.risk,
    reasons: a.reasons.map((r) => ({ signal: r.signal, en: r.en, zh: r.zh })),
  };
  if (a.signals !== undefined)
    out.signals = a.signals.map((s) => ({ signal: s.signal, value: s.value, logOdds: s.logOdds }));
  out.campaigns = a.campaigns;
  out.duplicate = a.duplicate;
  if (a.rehearsal !== undefined) out.rehearsal = a.rehearsal;
  out.warnings = a.warnings.length === 0 ? a.warnings : a.warnings.map(warningJson);
  return JSON.stringify(out);
}

function warningJson(w: UnknownAccountWarning) {
  return w.indexes === undefined
    ? { code: w.code, account: w.account, en: w.en, zh: w.zh }
    : { code: w.code, account: w.account, indexes: w.indexes, en: w.en, zh: w.zh };
}
