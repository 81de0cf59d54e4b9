/**
 * Pages anyone may publish on a shared platform — a form, a document, a file share, a site builder's
 * page — even where the domain is otherwise a brand's own (docs.google.com, docs.qq.com, wj.qq.com).
 * Whoever wrote the page controls it, not the domain's owner: a phishing form on Tencent Docs is the
 * classic lure of a hijacked QQ account. Such a link is never `url.official`, and its page (platform host
 * and the path that names the page) is the link's *site*: the unit the engine counts as a first link, a
 * link spread from a new session and a campaign fingerprint, instead of the whole platform.
 */

export interface Platform {
  /** host, or (starting with ".") a domain and its tenant hosts: ".feishu.cn" for acme.feishu.cn too */
  host: string;
  name: string;
  /** the path that names one page (anchored at the start; the match is the page's part of the site) */
  page: RegExp;
  /**
   * A query parameter that names the page where the path does not (`jq.qq.com/?k=<group>`): the page is
   * the path's match and this parameter's value, and a link without it names no page.
   */
  param?: string;
}

const ID = '[\\w-]{6,}';

const PLATFORMS: readonly Platform[] = [
  {
    host: 'docs.google.com',
    name: 'Google Docs',
    page: new RegExp(`^/(?:forms|document|spreadsheets|presentation|drawings)/(?:u/\\d+/)?d/(?:e/)?${ID}`),
  },
  { host: 'forms.gle', name: 'Google Forms', page: new RegExp(`^/${ID}`) },
  { host: 'sites.google.com', name: 'Google Sites', page: /^\/(?:view|site)\/[\w.-]+/ },
  { host: 'drive.google.com', name: 'Google Drive', page: new RegExp(`^/(?:file/d|drive/folders)/${ID}`) },
  { host: 'forms.office.com', name: 'Microsoft Forms', page: new RegExp(`^/(?:r|e)/${ID}`) },
  { host: '1drv.ms', name: 'OneDrive', page: new RegExp(`^/[a-z]/(?:s!|c/[\\w]+/)?${ID}`) },
  {
    host: 'docs.qq.com',
    name: 'Tencent Docs',
    page: new RegExp(`^/(?:form/page|form/fill|doc|sheet|slide|pdf|mind|aio|smartsheet)/${ID}`),
  },
  { host: 'wj.qq.com', name: 'Tencent Survey', page: /^\/s2?\/\d{4,}(?:\/[\w-]+)?/ },
  { host: 'share.weiyun.com', name: 'Weiyun', page: new RegExp(`^/${ID}`) },
  { host: 'pan.baidu.com', name: 'Baidu Netdisk', page: new RegExp(`^/s/${ID}`) },
  { host: 'kdocs.cn', name: 'WPS Docs', page: new RegExp(`^/l/${ID}`) },
  {
    host: '.feishu.cn',
    name: 'Feishu',
    page: new RegExp(`^/(?:docx|docs|wiki|sheets|base|share/base/form)/${ID}`),
  },
  {
    host: '.larksuite.com',
    name: 'Lark',
    page: new RegExp(`^/(?:docx|docs|wiki|sheets|base|share/base/form)/${ID}`),
  },
  { host: 'jinshuju.net', name: 'Jinshuju', page: new RegExp(`^/f/${ID}`) },
  { host: 'wjx.cn', name: 'Wenjuanxing', page: /^\/(?:vm|vj|jq|m)\/[\w-]{4,}/ },
  { host: 'wjx.top', name: 'Wenjuanxing', page: /^\/(?:vm|vj|jq|m)\/[\w-]{4,}/ },
  { host: 'shimo.im', name: 'Shimo', page: new RegExp(`^/(?:docs|sheets|forms|file)/${ID}`) },
  { host: 'yuque.com', name: 'Yuque', page: /^\/[\w-]{2,}\/[\w-]{2,}\/[\w-]{2,}/ },
  { host: '.typeform.com', name: 'Typeform', page: /^\/to\/[\w-]{4,}/ },
  { host: 'surveymonkey.com', name: 'SurveyMonkey', page: /^\/r\/[\w-]{4,}/ },
  { host: 'airtable.com', name: 'Airtable', page: /^\/(?:app\w+\/)?shr\w{6,}/ },
  // file shares: an app (an APK) or a document sent as a download
  { host: 'aliyundrive.com', name: 'Aliyun Drive', page: new RegExp(`^/s/${ID}`) },
  { host: 'alipan.com', name: 'Aliyun Drive', page: new RegExp(`^/s/${ID}`) },
  { host: 'pan.quark.cn', name: 'Quark', page: new RegExp(`^/s/${ID}`) },
  { host: '123pan.com', name: '123pan', page: /^\/s\/[\w-]{4,}/ },
  { host: '.lanzoux.com', name: 'Lanzou', page: /^\/[\w-]{6,}/ },
  { host: '.lanzoui.com', name: 'Lanzou', page: /^\/[\w-]{6,}/ },
  { host: '.lanzouw.com', name: 'Lanzou', page: /^\/[\w-]{6,}/ },
  { host: 'dropbox.com', name: 'Dropbox', page: /^\/(?:s|scl\/fi|sh)\/[\w-]{6,}/ },
  { host: 'we.tl', name: 'WeTransfer', page: /^\/[\w-]{6,}/ },
  { host: 'mega.nz', name: 'MEGA', page: /^\/(?:file|folder)\/[\w-]{6,}/ },
  // an H5 page builder's page (e-invitations, posters, event pages): the whole society uses one on a
  // wedding or a holiday, so the builder's domain is everywhere and proves nothing about one page
  { host: 'h5.eqxiu.com', name: 'Eqxiu', page: /^\/(?:s|ls)\/[\w-]{6,}/ },
  { host: '.eqxiu.cn', name: 'Eqxiu', page: /^\/(?:s|ls)\/[\w-]{6,}/ },
  { host: 'viewer.maka.im', name: 'MAKA', page: /^\/(?:k|pcviewer)\/[\w-]{6,}/ },
  { host: 'maka.im', name: 'MAKA', page: /^\/mview\/viewer\.html/, param: 'id' },
  { host: '.rabbitpre.com', name: 'Rabbitpre', page: /^\/m2?\/[\w-]{6,}/ },
  // a messenger's channel, group, bot or chat that anyone may open and name: the lure that moves the
  // reader to another app ("join t.me/…", a WhatsApp group, a Discord server, a QQ group's link)
  { host: 't.me', name: 'Telegram', page: /^\/(?:joinchat\/|\+|s\/)?[\w-]{4,}/ },
  { host: 'telegram.me', name: 'Telegram', page: /^\/(?:joinchat\/|\+|s\/)?[\w-]{4,}/ },
  { host: 'chat.whatsapp.com', name: 'WhatsApp', page: /^\/(?:invite\/)?[\w-]{10,}/ },
  { host: 'wa.me', name: 'WhatsApp', page: /^\/(?:message\/[\w-]{6,}|\+?\d{6,})/ },
  { host: 'discord.gg', name: 'Discord', page: /^\/[\w-]{2,}/ },
  { host: 'discord.com', name: 'Discord', page: /^\/invite\/[\w-]{2,}/ },
  { host: 'line.me', name: 'LINE', page: /^\/(?:R\/)?ti\/[gp]\/[\w@~-]{3,}/ },
  // a QQ or WeChat group's invitation: the first step of a "teacher's" or a task scam, on the platform's
  // own domains
  { host: 'qm.qq.com', name: 'QQ', page: /^\/q\/[\w-]{4,}/ },
  { host: 'qm.qq.com', name: 'QQ', page: /^\/cgi-bin\/qm\/qr/, param: 'k' },
  { host: 'jq.qq.com', name: 'QQ', page: /^\/(?=\?|$)/, param: 'k' },
  { host: 'weixin.qq.com', name: 'WeChat', page: /^\/g\/[\w-]{6,}/ },
  // a WeChat mini program's web link
  { host: 'wxaurl.cn', name: 'WeChat mini program', page: new RegExp(`^/${ID}`) },
];

/** Platforms indexed by host (and the tenant suffixes, in order). */
export interface PlatformIndex {
  byHost: ReadonlyMap<string, readonly Platform[]>;
  bySuffix: readonly Platform[];
}

export function indexPlatforms(list: readonly Platform[]): PlatformIndex {
  const byHost = new Map<string, Platform[]>();
  for (const p of list)
    if (!p.host.startsWith('.')) {
      const a = byHost.get(p.host);
      if (a) a.push(p);
      else byHost.set(p.host, [p]);
    }
  return { byHost, bySuffix: list.filter((p) => p.host.startsWith('.')) };
}

const BUILT_IN = indexPlatforms(PLATFORMS);

export interface UserContentPage {
  platform: string;
  /** host and the page's path: "docs.google.com/forms/d/e/1FAIpQL…" */
  site: string;
}

/**
 * The published page a link opens on a shared platform, or undefined (any other link). `operator`: the
 * platforms of the operator's brands file (`userContent`, brands.ts), asked first.
 */
export function userContentPage(
  host: string,
  path: string,
  operator?: PlatformIndex,
): UserContentPage | undefined {
  if (path.length < 3) return undefined;
  return (operator && pageOn(operator, host, path)) ?? pageOn(BUILT_IN, host, path);
}

function pageOn(ix: PlatformIndex, host: string, path: string): UserContentPage | undefined {
  const list = ix.byHost.get(host) ?? (host.startsWith('www.') ? ix.byHost.get(host.slice(4)) : undefined);
  if (list !== undefined) {
    for (const p of list) {
      const page = pageOf(p, host, path);
      if (page) return page;
    }
    return undefined;
  }
  for (const s of ix.bySuffix)
    if (host.endsWith(s.host) || host === s.host.slice(1)) return pageOf(s, host, path);
  return undefined;
}

function pageOf(p: Platform, www: string, path: string): UserContentPage | undefined {
  const m = p.page.exec(path);
  if (!m) return undefined;
  // one page, one site: with "www." or without
  const host = www.startsWith('www.') ? www.slice(4) : www;
  if (p.param === undefined) return { platform: p.name, site: `${host}${m[0]}` };
  const v = queryParam(path, p.param);
  return v !== undefined && /^[\w-]{4,64}$/.test(v)
    ? { platform: p.name, site: `${host}${m[0]}?${p.param}=${v}` }
    : undefined;
}

/** The first value of query parameter `name` in a path as written (undefined when absent). */
function queryParam(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  if (q < 0) return undefined;
  const end = path.indexOf('#', q);
  for (const kv of path.slice(q + 1, end < 0 ? undefined : end).split('&')) {
    const eq = kv.indexOf('=');
    if (eq > 0 && kv.slice(0, eq) === name) return kv.slice(eq + 1);
  }
  return undefined;
}
