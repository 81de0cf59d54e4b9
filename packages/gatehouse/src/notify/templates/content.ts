import { parse } from 'tldts';
import type { Locale, NoticeKind, NoticeParams } from '../catalogue.ts';

/** What one notice says, in one language, before it is laid out for email, SMS or in-app. */
export interface NoticeContent {
  /** The email subject and in-app title. Never a code or a secret. */
  subject: string;
  /** One or two sentences: the SMS, the in-app notice and a notice's line in a digest. */
  summary: string;
  /** What happened, as label/value pairs (when, where, which device…). */
  facts: Array<[label: string, value: string]>;
  /** What to do, in order. */
  advice: string[];
  /** Links; the first is the main one (SMS carries only that one). */
  actions: Array<{ label: string; url: string }>;
}

export interface RenderContext {
  locale: Locale;
  /** The account's handle (already made safe to show). */
  handle: string;
  /** An epoch-ms time in the configured time zone, in this language. */
  time(t: number): string;
  /** Absolute URL of the kind's security-centre page. */
  page: string;
  /** Absolute URL of the "this wasn't me" link, when the notice has one. */
  notMe?: string;
  /** Absolute URL of the appeal page (for notices about a frozen account). */
  appeal: string;
}

export type Template<K extends NoticeKind> = (p: NoticeParams<K>, x: RenderContext) => NoticeContent;
export type Templates = { [K in NoticeKind]: Template<K> };

/** The test message of `gatehouse notify test`, and the one-time-code message. */
export interface ExtraTemplates {
  test(x: { time: string }): NoticeContent;
  /** Subject of an email carrying a one-time code (never the code itself). */
  codeSubject: string;
}

// Bidirectional overrides, zero-width and control characters: they can make text read differently from
// what it is ("moc.evil" shown as "evil.com"), so they never reach a notice.
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * Makes a string that someone else may have chosen (a User-Agent, a handle, an app name, a reason) safe
 * to put in a notice: invisible and control characters removed, whitespace collapsed, length bounded, and
 * nothing a mail client would turn into a link (domains of public suffixes and www. names get "[.]",
 * "://" becomes "[:]//"). HTML escaping is separate (the HTML layout does it for every value).
 */
export function untrusted(s: string, max = 120): string {
  let t = s.normalize('NFC').replace(INVISIBLE, ' ').replace(/\s+/g, ' ').trim();
  t = t.replace(/:\/\//g, '[:]//');
  t = t.replace(/[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)+/gu, (token) => {
    const p = parse(token);
    return p.isIcann || /^www\./i.test(token) ? token.replaceAll('.', '[.]') : token;
  });
  const chars = [...t];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : t;
}

/** Every string in a parameter object made safe with `untrusted` (numbers, booleans kept). */
export function safeParams<T>(v: T): T {
  if (typeof v === 'string') return untrusted(v, 500) as T;
  if (Array.isArray(v)) return v.map((x) => safeParams(x) as unknown) as T;
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, safeParams(x)])) as T;
  return v;
}

/** Built formats by locale and time zone: building one costs far more than using it (a few at most). */
const formats = new Map<string, Intl.DateTimeFormat>();

/** Formats epoch-ms times for a locale and an IANA time zone ("2026年5月1日 12:03 (Asia/Shanghai)"). */
export function timeFormatter(locale: Locale, timeZone: string): (t: number) => string {
  const key = `${locale}|${timeZone}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
    });
    if (formats.size >= 64) formats.clear();
    formats.set(key, f);
  }
  const format = f;
  return (t) => `${format.format(new Date(t))} (${timeZone})`;
}
