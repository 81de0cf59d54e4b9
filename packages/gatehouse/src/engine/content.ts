/**
 * The engine's ContentAnalyzer over the real content parts: content/text (trained scam/spam model
 * and lexicon intents, Chinese and English) and content/url (link extraction, lookalikes of
 * protected brands, block/allow lists). Image banks plug in through `matchImage` when available.
 */
import type { TextModel } from '../content/text/index.ts';
import { loadDefaultTextModel, scoreForEngine } from '../content/text/index.ts';
import type { UrlContext } from '../content/url/index.ts';
import { analyzeText, analyzeUrl, SplitLinkBuffer, type SplitLinks } from '../content/url/index.ts';
import type { ContentAnalyzer, ImageMatch, JoinedMessages, TextScore, UrlVerdict } from './types.ts';
import type { LoginQrMatcher } from '../content/qr/index.ts';

export interface ContentOptions {
  /** The text model (default: the shipped model). */
  textModel?: TextModel;
  /** Brands and lists for link analysis; a function is read on each call (hot reload). */
  url?: UrlContext | (() => UrlContext);
  /** Image bank lookup (PDQ hex or SHA-256), when the image part is available. */
  matchImage?: (hash: string) => ImageMatch | undefined;
  /**
   * Links split across consecutive messages of one sender in one conversation (the content part's
   * `ContentService.linksAcrossMessages`); default: a bounded buffer of this analyzer's own.
   */
  linksAcrossMessages?: (sender: string, conversation: string, text: string, at: number) => SplitLinks;
  /** The platform's QR-login links (intent login_qr_shared), when configured. */
  loginQr?: LoginQrMatcher;
}

export function createContentAnalyzer(opts: ContentOptions = {}): ContentAnalyzer {
  const model = opts.textModel ?? loadDefaultTextModel();
  const urlCtx = typeof opts.url === 'function' ? opts.url : () => (opts.url as UrlContext | undefined) ?? {};
  let across = opts.linksAcrossMessages;
  if (!across) {
    const buffer = new SplitLinkBuffer();
    across = (sender, conversation, text, at) => buffer.takeJoined(sender, conversation, text, at, urlCtx);
  }
  const joined = across;
  return {
    scoreText(text: string): TextScore {
      // the content part's engine entry: scoreText's probability and intents, without the report
      const r = scoreForEngine(model, text);
      // the content part's intent names as they are (the engine classes them in verdict.ts)
      const intents: TextScore['intents'] =
        r.intents.length === 0
          ? []
          : r.intents.map((h) => ({ intent: h.intent, term: h.original, start: h.start, end: h.end }));
      return {
        probability: r.probability,
        intents,
        scamAsk: r.scamAsk,
        scamMargin: r.scamMargin,
        ...(r.share !== undefined ? { share: r.share } : {}),
      };
    },
    analyzeUrls(text: string, urls: readonly string[]): UrlVerdict[] {
      const ctx = urlCtx();
      const out: UrlVerdict[] = [];
      const seen = new Set<string>();
      const push = (a: {
        url: string;
        registeredDomain: string | null;
        site?: string;
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
          registeredDomain: a.site ?? a.registeredDomain ?? a.host,
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
    ...(opts.loginQr
      ? {
          loginQr: (text: string, urls: readonly string[], qr: readonly string[]) =>
            opts.loginQr!.match(text, urls, qr),
        }
      : {}),
    linksAcrossMessages(
      sender: string,
      conversation: string,
      text: string,
      at: number,
    ): JoinedMessages | undefined {
      const j = joined(sender, conversation, text, at);
      if (j.links.length === 0) return undefined;
      const links = j.links.map((a) => ({
        url: a.url,
        registeredDomain: a.site ?? a.registeredDomain ?? a.host,
        verdict: a.verdict,
        ...(a.brand !== undefined ? { brand: a.brand } : {}),
        reasons: [...a.reasons.map((r) => r.code), 'url.split_across_messages'],
      }));
      return { text: j.previous + text, links };
    },
  };
}

/**
 * Messages in every script mix the content patterns are split by (Latin, CJK, both, neither), with and
 * without links, money asks and prize words: V8 compiles a regular expression when it first runs it
 * and again, to machine code, when it becomes hot, and the large alternations here take 15–70 ms each
 * to compile — a stall of every pre-send check waiting behind the first message that needs one.
 */
const WARM_TEXTS = [
  '免费领取Q币和游戏皮肤，扫码登录马上到账 http://qq-login-game.example/free',
  '我是你的老同学，最近手头紧，能先转我两千吗？别告诉别人',
  '新春快乐，恭喜发财，红包拿来',
  'Hi mum, this is my new number. Can you send £200 today? Please don’t tell dad',
  'claim your free nitro gift now discord-gift.example/nitro',
  'see you at 3pm tomorrow',
  '周末一起吃饭吗 ok see you at 7',
  '12345 678 !!!',
  'Привет, как дела?',
];

/** Runs the analyzer over WARM_TEXTS a few times (a serving process, before its first request). */
export function warmContent(content: ContentAnalyzer): void {
  for (let round = 0; round < 3; round++)
    for (const text of WARM_TEXTS) {
      content.scoreText(text);
      content.analyzeUrls(text, []);
      content.loginQr?.(text, [], []);
    }
}
