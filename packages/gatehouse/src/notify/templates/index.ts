import type { Locale, NoticeKind, NoticeParams } from '../catalogue.ts';
import type { ExtraTemplates, NoticeContent, RenderContext, Templates } from './content.ts';
import { EN, EN_EXTRA } from './en.ts';
import { ZH, ZH_EXTRA } from './zh.ts';

export {
  untrusted,
  safeParams,
  timeFormatter,
  type NoticeContent,
  type RenderContext,
  type Templates,
} from './content.ts';

const TEMPLATES: Record<Locale, Templates> = { en: EN, 'zh-CN': ZH };
const EXTRA: Record<Locale, ExtraTemplates> = { en: EN_EXTRA, 'zh-CN': ZH_EXTRA };

/** The content of a notice in one language (the parameters must already be made safe to show). */
export function noticeContent<K extends NoticeKind>(
  kind: K,
  params: NoticeParams<K>,
  x: RenderContext,
): NoticeContent {
  return (TEMPLATES[x.locale][kind] as (p: NoticeParams<K>, x: RenderContext) => NoticeContent)(params, x);
}

export function testContent(locale: Locale, time: string): NoticeContent {
  return EXTRA[locale].test({ time });
}

export function codeSubject(locale: Locale): string {
  return EXTRA[locale].codeSubject;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const WORDS = {
  en: {
    also: 'Also in the last few minutes:',
    footer: (handle: string) =>
      `You get this message because this address is set to hear about the security of the account ${handle}.`,
    settings: 'Language and where notices go',
  },
  'zh-CN': {
    also: '此前几分钟内还有：',
    footer: (handle: string) => `你收到此消息，是因为此地址被设置为接收账号 ${handle} 的安全通知。`,
    settings: '通知语言和接收方式',
  },
} as const;

export interface EmailExtras {
  handle: string;
  /** One line per notice folded into this one (a coalesced burst), oldest first. */
  also?: string[];
  /** The notification-settings page; absent: no footer link. */
  settingsUrl?: string;
}

/** Plain text and HTML of one notice (every value is escaped in the HTML). */
export function email(c: NoticeContent, locale: Locale, extras: EmailExtras): RenderedEmail {
  const w = WORDS[locale];
  const also = extras.also ?? [];
  const text = [
    c.summary,
    '',
    ...c.facts.map(([k, v]) => `${k}: ${v}`),
    '',
    ...c.advice.map((a) => `- ${a}`),
    ...(c.actions.length ? ['', ...c.actions.map((a) => `${a.label}: ${a.url}`)] : []),
    ...(also.length ? ['', w.also, ...also.map((a) => `- ${a}`)] : []),
    '',
    '--',
    w.footer(extras.handle),
    ...(extras.settingsUrl ? [`${w.settings}: ${extras.settingsUrl}`] : []),
    '',
  ].join('\n');
  const e = escapeHtml;
  const p = 'margin:0 0 12px 0';
  const html = [
    '<!doctype html>',
    `<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">`,
    `<title>${e(c.subject)}</title></head>`,
    '<body style="font-family:-apple-system,Segoe UI,Roboto,PingFang SC,Microsoft YaHei,sans-serif;color:#1a1a1a;max-width:560px;margin:0 auto;padding:16px;line-height:1.5">',
    `<h1 style="font-size:18px;${p}">${e(c.subject)}</h1>`,
    `<p style="${p}">${e(c.summary)}</p>`,
    `<table role="presentation" style="border-collapse:collapse;${p}">`,
    ...c.facts.map(
      ([k, v]) =>
        `<tr><td style="padding:2px 12px 2px 0;color:#555;vertical-align:top">${e(k)}</td><td style="padding:2px 0">${e(v)}</td></tr>`,
    ),
    '</table>',
    `<ul style="${p};padding-left:20px">${c.advice.map((a) => `<li>${e(a)}</li>`).join('')}</ul>`,
    ...c.actions.map(
      (a, i) =>
        `<p style="${p}"><a href="${e(a.url)}" style="display:inline-block;padding:10px 14px;border-radius:4px;text-decoration:none;${i === 0 ? 'background:#b00020;color:#ffffff' : 'border:1px solid #b00020;color:#b00020'}">${e(a.label)}</a></p>`,
    ),
    ...(also.length
      ? [
          `<p style="${p};font-weight:600">${e(w.also)}</p>`,
          `<ul style="${p};padding-left:20px">${also.map((a) => `<li>${e(a)}</li>`).join('')}</ul>`,
        ]
      : []),
    '<hr style="border:none;border-top:1px solid #ddd">',
    `<p style="font-size:12px;color:#666;${p}">${e(w.footer(extras.handle))}${extras.settingsUrl ? ` <a href="${e(extras.settingsUrl)}" style="color:#666">${e(w.settings)}</a>` : ''}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: c.subject, text, html };
}

/** The SMS: the summary, how many more (a coalesced burst), and the main link. */
export function sms(c: NoticeContent, locale: Locale, more = 0): string {
  const extra = more > 0 ? (locale === 'en' ? ` (+${more} more)` : `（另有 ${more} 条）`) : '';
  const link = c.actions[0]?.url;
  return `Gatehouse: ${c.summary}${extra}${link ? ` ${link}` : ''}`;
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
