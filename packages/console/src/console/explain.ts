// A decision's signal in words. Each signal carries its reason in English and Chinese from the engine
// when it has one; otherwise its name and value are shown. This is the hook for the explanation
// catalogue (plain zh/en sentences per signal) once it exists: replace the fallback with its lookup.
import type { Lang } from '../lib/i18n.ts';

export interface ExplainableSignal {
  name: string;
  value: number;
  logOdds?: number;
  reason?: { en?: string; zh?: string };
}

export function explainSignal(s: ExplainableSignal, lang: Lang): string {
  const text = lang === 'zh-CN' ? (s.reason?.zh ?? s.reason?.en) : (s.reason?.en ?? s.reason?.zh);
  const weight =
    typeof s.logOdds === 'number' ? ` (${s.logOdds >= 0 ? '+' : ''}${s.logOdds.toFixed(2)})` : '';
  return text ? `${text}${weight}` : `${s.name} = ${s.value}${weight}`;
}
