/**
 * The engine's ContentAnalyzer over the real content parts: content/text (trained scam/spam model
 * and lexicon intents, Chinese and English) and content/url (link extraction, lookalikes of
 * protected brands, block/allow lists). Image banks plug in through `matchImage` when available.
 */
import type { TextModel } from '../content/text/index.ts';
import { loadDefaultTextModel, scoreText } from '../content/text/index.ts';
import type { UrlContext } from '../content/url/index.ts';
import { analyzeText, analyzeUrl } from '../content/url/index.ts';
import type { ContentAnalyzer, ImageMatch, TextScore, UrlVerdict } from './types.ts';

/** content/text intent → engine intent ("money" asks; the rest are abuse wording). */
const INTENT_MAP: Record<string, string | undefined> = {
  money: 'money_request',
  gambling: 'gambling',
  porn: 'porn',
  prize: 'giveaway',
  impersonation: 'phishing',
  offPlatform: undefined, // "add me on WeChat" is ordinary in chat: not a signal on its own
};

export interface ContentOptions {
  /** The text model (default: the shipped model). */
  textModel?: TextModel;
  /** Brands and lists for link analysis; a function is read on each call (hot reload). */
  url?: UrlContext | (() => UrlContext);
  /** Image bank lookup (PDQ hex or SHA-256), when the image part is available. */
  matchImage?: (hash: string) => ImageMatch | undefined;
}

export function createContentAnalyzer(opts: ContentOptions = {}): ContentAnalyzer {
  const model = opts.textModel ?? loadDefaultTextModel();
  const urlCtx = typeof opts.url === 'function' ? opts.url : () => (opts.url as UrlContext | undefined) ?? {};
  return {
    scoreText(text: string): TextScore {
      const r = scoreText(model, text, { top: 0 });
      const intents: TextScore['intents'] = [];
      for (const h of r.intents) {
        const intent = INTENT_MAP[h.intent];
        if (intent !== undefined) intents.push({ intent, term: h.original, start: h.start, end: h.end });
      }
      return { probability: r.probability, intents };
    },
    analyzeUrls(text: string, urls: readonly string[]): UrlVerdict[] {
      const ctx = urlCtx();
      const out: UrlVerdict[] = [];
      const seen = new Set<string>();
      const push = (a: {
        url: string;
        registeredDomain: string | null;
        host: string;
        verdict: UrlVerdict['verdict'];
        brand?: string;
        reasons: Array<{ code: string }>;
        start?: number;
        end?: number;
      }) => {
        if (seen.has(a.url)) return;
        seen.add(a.url);
        out.push({
          url: a.url,
          registeredDomain: a.registeredDomain ?? a.host,
          verdict: a.verdict,
          ...(a.brand !== undefined ? { brand: a.brand } : {}),
          reasons: a.reasons.map((r) => r.code),
          ...(a.start !== undefined && a.end !== undefined ? { start: a.start, end: a.end } : {}),
        });
      };
      if (text.length > 0) for (const a of analyzeText(text, ctx).urls) push(a);
      for (const u of urls) push(analyzeUrl(u, ctx));
      return out;
    },
    matchImage(hash: string): ImageMatch | undefined {
      return opts.matchImage?.(hash);
    },
  };
}
