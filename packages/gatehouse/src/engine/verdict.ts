/**
 * One content verdict per message: the ContentAnalyzer's text score, intents and link verdicts
 * folded into what the detectors read. The intent vocabulary is the content part's (`IntentName`):
 * the engine only sorts each intent into a class here, so an adapter can never map names
 * differently from the tested path.
 */
import { mayHoldLink } from '../content/url/index.ts';
import { BoundedMap } from './bounded.ts';
import { hash53 } from './text.ts';
import type { ContentAnalyzer, IntentName, JoinedMessages, UrlVerdict } from './types.ts';

/**
 * What an intent means to the engine: asking for money, abuse wording, a push to another channel, a
 * one-time code or password asked of the reader.
 */
export const INTENT_CLASS: Readonly<
  Record<IntentName, 'money' | 'abuse' | 'contact' | 'credential' | undefined>
> = {
  money: 'money',
  impersonation: 'abuse',
  prize: 'abuse',
  gambling: 'abuse',
  porn: 'abuse',
  // "add me on WeChat" is ordinary in chat: not a signal on its own, only a scheme's next step
  // (pipeline.ts `solicit`: after a money request from the same session)
  offPlatform: 'contact',
  // `credentialAsk`: the code ask detectors/session.ts weighs from a session not the owner's usual one
  credential: 'credential',
};

/** Content analysis of one message (cached by text). */
export interface ContentVerdict {
  probability: number;
  moneyTerm: string | undefined;
  /**
   * A scam's ask: the words asking the reader for something in a message the scam model reads as a
   * scam or nearly so (`TextScore.scamAsk`), money named or not ("hi mum, it's me … could you pay a
   * bill for me"); `scamMargin` says how sure the model is (log-odds over its threshold).
   */
  scamAsk: string | undefined;
  scamMargin: number;
  /** the words that make a money ask a share of a split cost ("AA", "一人三百二", "your half") */
  shareTerm: string | undefined;
  /** the words asking the reader for a one-time code, a password or an assisted verification */
  credentialAsk: string | undefined;
  /** a push to another channel ("add me on WeChat", a Telegram handle): not a signal on its own */
  contactTerm: string | undefined;
  abuseTerm: string | undefined;
  abuseIntent: IntentName | undefined;
  urls: UrlVerdict[];
  /** registered domains of the URLs, deduplicated (official and allowlisted domains left out) */
  domains: string[];
  worst: UrlVerdict | undefined;
}

const VERDICT_RANK = { clean: 0, suspicious: 1, lookalike: 2, blocked: 3 } as const;
const MAX_CACHED_TEXT = 2048;
const RECENT_FP_SLOTS = 65_536;
/** Texts up to this long without a fingerprint are cached by their own hash. */
const SHORT_TEXT = 32;

/** Content verdicts with a cache for texts seen more than once recently. */
export class ContentVerdicts {
  private readonly content: ContentAnalyzer;
  private readonly cache: BoundedMap<string, ContentVerdict>;
  private readonly recentFp = new Float64Array(RECENT_FP_SLOTS);

  constructor(content: ContentAnalyzer, cacheSize: number) {
    this.content = content;
    this.cache = new BoundedMap(cacheSize);
  }

  of(text: string, urls: readonly string[], fp: number): ContentVerdict {
    // Only texts whose fingerprint was seen recently go through the cache (one-off texts would
    // just churn it): a 64 Ki-slot table of recent fingerprints decides.
    // a text too short for a fingerprint ("好的", "ok") is among the commonest: its own hash gates it
    const gate = fp !== 0 ? fp : text.length > 0 && text.length <= SHORT_TEXT ? hash53(text, 5) : 0;
    let cacheable = text.length <= MAX_CACHED_TEXT && gate !== 0;
    if (cacheable) {
      const slot = gate % RECENT_FP_SLOTS;
      if (this.recentFp[slot] !== gate) {
        this.recentFp[slot] = gate;
        cacheable = false;
      }
    }
    if (!cacheable) return analyze(this.content, text, urls);
    const key = urls.length === 0 ? text : `${text}\u0001${urls.join('\u0001')}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const r = analyze(this.content, text, urls);
    this.cache.set(key, r);
    return r;
  }
}

/**
 * The verdict on two consecutive messages read as one (a link crosses the cut): the joined text is
 * analysed whole — its words and its links — and the links that exist only across the cut carry
 * `url.split_across_messages`. Not cached (the pair is one-off).
 */
export function joinedVerdict(
  content: ContentAnalyzer,
  joined: JoinedMessages,
  urls: readonly string[],
): ContentVerdict {
  const split = new Map(joined.links.map((u) => [u.url, u]));
  const v = analyze(content, joined.text, urls);
  const out = v.urls.map((u) => (split.has(u.url) ? split.get(u.url)! : u));
  for (const u of joined.links) if (!v.urls.some((x) => x.url === u.url)) out.push(u);
  return fold(v.probability, v, out);
}

function analyze(content: ContentAnalyzer, text: string, urls: readonly string[]): ContentVerdict {
  // links written around a dot ("discord-gift点com", "qq。com", "%2E") count too, not only a plain "."
  const uv: UrlVerdict[] = urls.length > 0 || mayHoldLink(text) ? content.analyzeUrls(text, urls) : [];
  // Links the URL part finds clean are cut from the text before the text model scores it: the
  // model learned from SMS and group-ad corpora where nearly every link is spam, so "see you
  // tonight <news link>" would score as spam on the link alone. Risky links keep their words.
  const ts =
    text.length === 0
      ? {
          probability: 0,
          intents: [],
          scamAsk: undefined,
          scamMargin: -Infinity,
          share: undefined,
        }
      : content.scoreText(uv.length > 0 ? withoutCleanLinks(text, uv) : text);
  let moneyTerm: string | undefined;
  let contactTerm: string | undefined;
  let abuseTerm: string | undefined;
  let abuseIntent: IntentName | undefined;
  let credentialAsk: string | undefined;
  for (const it of ts.intents) {
    const cls = INTENT_CLASS[it.intent];
    if (cls === 'money') moneyTerm ??= it.term;
    else if (cls === 'credential') credentialAsk ??= it.term;
    else if (cls === 'contact') contactTerm ??= it.term;
    else if (cls === 'abuse' && abuseTerm === undefined) {
      abuseTerm = it.term;
      abuseIntent = it.intent;
    }
  }
  const { scamAsk } = ts;
  const scamMargin = ts.scamMargin ?? -Infinity;
  return fold(
    ts.probability,
    {
      moneyTerm,
      contactTerm,
      abuseTerm,
      abuseIntent,
      scamAsk,
      scamMargin,
      shareTerm: ts.share,
      credentialAsk,
    },
    uv,
  );
}

function fold(
  probability: number,
  it: Pick<
    ContentVerdict,
    | 'moneyTerm'
    | 'contactTerm'
    | 'abuseTerm'
    | 'abuseIntent'
    | 'scamAsk'
    | 'scamMargin'
    | 'shareTerm'
    | 'credentialAsk'
  >,
  uv: UrlVerdict[],
): ContentVerdict {
  const { moneyTerm, contactTerm, abuseTerm, abuseIntent, scamAsk, scamMargin, shareTerm, credentialAsk } =
    it;
  const domains: string[] = [];
  let worst: UrlVerdict | undefined;
  for (const u of uv) {
    // an official brand domain or an allowlisted one is never a campaign fingerprint
    const trusted =
      u.verdict === 'clean' && u.reasons.some((r) => r === 'url.official' || r === 'url.allowlisted');
    if (u.registeredDomain && !trusted && !domains.includes(u.registeredDomain))
      domains.push(u.registeredDomain);
    if (!worst || VERDICT_RANK[u.verdict] > VERDICT_RANK[worst.verdict]) worst = u;
  }
  return {
    probability,
    moneyTerm,
    contactTerm,
    abuseTerm,
    abuseIntent,
    scamAsk,
    scamMargin,
    shareTerm,
    credentialAsk,
    urls: uv,
    domains,
    worst,
  };
}

/** The text with the spans of clean links blanked out (unchanged when any link is not clean). */
export function withoutCleanLinks(text: string, uv: readonly UrlVerdict[]): string {
  let out = '';
  let at = 0;
  const spans: Array<[number, number]> = [];
  for (const u of uv) {
    if (u.verdict !== 'clean') return text;
    if (u.start !== undefined && u.end !== undefined) spans.push([u.start, u.end]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (const [s, e] of spans) {
    if (s < at) continue;
    out += text.slice(at, s) + ' ';
    at = e;
  }
  return spans.length === 0 ? text : out + text.slice(at);
}
