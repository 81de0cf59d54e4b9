import type { Db } from '../store/db.ts';
import { CATALOGUE, LOCALES, PAGES, type Locale, type NoticeKind, type NoticeParams } from './catalogue.ts';
import type { OutgoingMessage } from './channels/types.ts';
import type { LinkTokens } from './links.ts';
import type { DeliveryRow, NoticeRow } from './schema.ts';
import { notifyStore as q } from './store.ts';
import {
  email,
  noticeContent,
  safeParams,
  sms,
  timeFormatter,
  untrusted,
  type NoticeContent,
  type RenderContext,
} from './templates/index.ts';

export interface ComposeOptions {
  db: Db;
  links: LinkTokens;
  /** Base URL of the owner-facing pages (publicUrl, or the server's own address). */
  publicUrl: () => string;
  timeZone: string;
  handleOf: (account: string) => Promise<string | undefined>;
}

/** A page under the base URL, keeping the base's own path ("https://x.cn/account" + /security/…). */
export function pageUrl(base: string, path: string, query?: Record<string, string>): string {
  const u = new URL(path.replace(/^\/+/, ''), base.endsWith('/') ? base : `${base}/`);
  for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
  return u.toString();
}

/** The content of a stored notice in one language (with or without its "this wasn't me" link). */
export function contentOf(
  n: Pick<NoticeRow, 'kind' | 'params'>,
  x: Omit<RenderContext, 'page' | 'appeal' | 'time'> & { base: string; timeZone: string },
): NoticeContent {
  const kind = n.kind as NoticeKind;
  const params = safeParams(JSON.parse(n.params) as NoticeParams<typeof kind>);
  return noticeContent(kind, params, {
    locale: x.locale,
    handle: x.handle,
    time: timeFormatter(x.locale, x.timeZone),
    page: pageUrl(x.base, PAGES[CATALOGUE[kind].page]),
    appeal: pageUrl(x.base, PAGES.appeal),
    ...(x.notMe ? { notMe: x.notMe } : {}),
  });
}

/**
 * Lays a planned notice out for one delivery: the email (text and HTML), the SMS and the in-app notice,
 * in the notice's language, with the notices folded into it listed. The "this wasn't me" link is
 * re-derived from the link id (its token is never stored) and left out of the in-app notice.
 */
export async function compose(o: ComposeOptions, n: NoticeRow, d: DeliveryRow): Promise<OutgoingMessage> {
  const locale = ((LOCALES as readonly string[]).includes(n.locale ?? '') ? n.locale : 'zh-CN') as Locale;
  const base = o.publicUrl();
  const handle = untrusted((await o.handleOf(n.account_id)) ?? n.account_id, 64);
  const link = await q.linkOfNotice(o.db, n.id);
  const notMe = link ? pageUrl(base, PAGES.notMe, { token: o.links.token(link.id) }) : undefined;
  const at = { base, timeZone: o.timeZone, handle };
  const c = contentOf(n, { ...at, locale, ...(d.channel !== 'inapp' && notMe ? { notMe } : {}) });
  const folded = await q.coalescedInto(o.db, n.id);
  const time = timeFormatter(locale, o.timeZone);
  const also = folded.map((f) => `${time(f.created_at)}: ${contentOf(f, { ...at, locale }).summary}`);
  const other: Locale = locale === 'en' ? 'zh-CN' : 'en';
  const both = { [locale]: c.summary, [other]: contentOf(n, { ...at, locale: other }).summary } as {
    en: string;
    'zh-CN': string;
  };
  const page = pageUrl(base, PAGES[CATALOGUE[n.kind as NoticeKind].page]);
  return {
    id: `${n.id}.${d.seq}`,
    account: n.account_id,
    to: d.address,
    locale,
    email: email(c, locale, { handle, also, settingsUrl: pageUrl(base, PAGES.notifications) }),
    sms: sms(c, locale, folded.length),
    inapp: {
      text: both,
      notice: { id: n.id, kind: n.kind, locale, title: c.subject, body: c.summary, url: page },
    },
  };
}
