/**
 * A small deterministic lexicon ContentAnalyzer for engine tests and the engine benchmark. The real
 * content part (text models, URL/lookalike analysis, PDQ banks) plugs in through the same interface.
 */
import type { ContentAnalyzer, ImageMatch, IntentName, TextIntent, TextScore, UrlVerdict } from './types.ts';

const TERMS: Array<[term: string, intent: IntentName, weight: number]> = [
  ['借钱', 'money', 0.5],
  ['转账', 'money', 0.5],
  ['转我', 'money', 0.5],
  ['急需用钱', 'money', 0.6],
  ['充话费', 'money', 0.5],
  ['医院', 'money', 0.2],
  ['lend me', 'money', 0.5],
  ['transfer me', 'money', 0.5],
  ['top up my', 'money', 0.5],
  ['赌场', 'gambling', 0.6],
  ['博彩', 'gambling', 0.6],
  ['百家乐', 'gambling', 0.6],
  ['首充', 'gambling', 0.4],
  ['casino', 'gambling', 0.5],
  ['约炮', 'porn', 0.7],
  ['裸聊', 'porn', 0.7],
  ['色情', 'porn', 0.6],
  ['porn', 'porn', 0.6],
  ['免费皮肤', 'prize', 0.5],
  ['free nitro', 'prize', 0.6],
  ['free skins', 'prize', 0.5],
  ['验证账号', 'impersonation', 0.5],
  ['verify your account', 'impersonation', 0.5],
  ['点击领取', 'impersonation', 0.4],
];

const BLOCKED = new Set(['bet-888.com', 'xxx-live.cn', 'free-nitro.gift']);
const BRANDS: Array<[label: string, domain: string]> = [
  ['qq', 'qq.com'],
  ['discord', 'discord.com'],
  ['steam', 'steampowered.com'],
];
const SUSPICIOUS_TLDS = new Set(['top', 'xyz', 'icu', 'click', 'gift']);
const TWO_LEVEL = new Set(['com.cn', 'net.cn', 'org.cn', 'co.uk', 'com.hk']);
const URL_RE = /https?:\/\/[^\s<>"']+/gi;

export function registeredDomain(host: string): string {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  if (labels.length <= 2) return labels.join('.');
  const last2 = labels.slice(-2).join('.');
  return TWO_LEVEL.has(last2) ? labels.slice(-3).join('.') : last2;
}

export class LexiconContentAnalyzer implements ContentAnalyzer {
  readonly bank = new Map<string, string>();

  scoreText(text: string): TextScore {
    const lower = text.toLowerCase();
    const intents: TextIntent[] = [];
    let keep = 1;
    for (const [term, intent, w] of TERMS) {
      const at = lower.indexOf(term);
      if (at >= 0) {
        intents.push({ intent, term, start: at, end: at + term.length });
        keep *= 1 - w;
      }
    }
    return { probability: 1 - keep, intents };
  }

  analyzeUrls(text: string, urls: readonly string[]): UrlVerdict[] {
    const all = new Set(urls);
    if (text.includes('://')) for (const m of text.matchAll(URL_RE)) all.add(m[0]);
    const out: UrlVerdict[] = [];
    for (const url of all) {
      let host: string;
      try {
        host = new URL(url.includes('://') ? url : `http://${url}`).hostname;
      } catch {
        out.push({ url, registeredDomain: '', verdict: 'suspicious', reasons: ['unparseable'] });
        continue;
      }
      const rd = registeredDomain(host);
      if (BLOCKED.has(rd)) {
        out.push({ url, registeredDomain: rd, verdict: 'blocked', reasons: ['blocklist'] });
        continue;
      }
      const brand = BRANDS.find(([label, domain]) => rd !== domain && rd.includes(label));
      if (brand) {
        out.push({
          url,
          registeredDomain: rd,
          verdict: 'lookalike',
          brand: brand[1],
          reasons: ['brand_in_domain'],
        });
        continue;
      }
      const tld = rd.slice(rd.lastIndexOf('.') + 1);
      out.push({
        url,
        registeredDomain: rd,
        verdict: SUSPICIOUS_TLDS.has(tld) ? 'suspicious' : 'clean',
        reasons: SUSPICIOUS_TLDS.has(tld) ? ['suspicious_tld'] : [],
      });
    }
    return out;
  }

  matchImage(hash: string): ImageMatch | undefined {
    const label = this.bank.get(hash.toLowerCase());
    return label === undefined ? undefined : { label, distance: 0 };
  }
}
