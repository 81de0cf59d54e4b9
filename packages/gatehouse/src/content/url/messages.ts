/**
 * Reason codes of URL analysis, their weights and their English / Simplified Chinese text.
 * A reason is `{ code, weight, ...values, en, zh }`.
 */
import type { LookalikeMatch, LookalikeRule } from './lookalike.ts';

export interface Reason {
  code: string;
  weight: number;
  en: string;
  zh: string;
  [value: string]: unknown;
}

const RULE_TEXT: Record<LookalikeRule, [string, string]> = {
  addition: ['a letter added at the end', '末尾多加了一个字符'],
  bitsquatting: ['one bit flipped in a letter', '某个字符被翻转了一个比特'],
  cyrillic: ['Cyrillic letters that look Latin', '用外形相同的西里尔字母替换了拉丁字母'],
  homoglyph: ['look-alike characters', '用外形相似的字符替换'],
  hyphenation: ['a hyphen inserted', '插入了连字符'],
  insertion: ['a letter inserted', '插入了一个字符'],
  omission: ['a letter left out', '漏掉了一个字符'],
  plural: ['a plural form', '复数形式'],
  repetition: ['a letter doubled', '某个字符重复'],
  replacement: ['a letter replaced', '替换了一个字符'],
  subdomain: ['a dot inserted into the name', '在名称中插入了点号'],
  transposition: ['two letters swapped', '两个相邻字符对调'],
  'vowel-swap': ['a vowel swapped', '替换了一个元音'],
  dictionary: ['the brand glued to a word', '品牌名与常见词拼接'],
  'tld-swap': ['the brand name under another suffix', '同名但使用了其他后缀'],
  various: ['"www" or a TLD glued into the name', '在名称中拼接了 www 或顶级域名'],
  combosquatting: ['the brand combined with other words', '品牌名与其他词组合'],
  keyword: ['a brand keyword as the domain name', '以品牌关键词作为域名'],
  'brand-subdomain': ['the brand placed in a subdomain of another site', '品牌出现在其他网站的子域名中'],
  'brand-path': ["the brand's domain placed in the path of another site", '品牌域名出现在其他网站的路径中'],
  'edit-distance': [
    'a few letters changed (edit distance over look-alike characters)',
    '改动了少数字符（形似字符折叠后的编辑距离）',
  ],
  'fuzzy-combo': ['a misspelt brand or a brand next to lure words', '品牌名拼写变形或与诱导词拼接'],
};

export function lookalikeReason(m: LookalikeMatch): Reason {
  const [en, zh] = RULE_TEXT[m.rule];
  return {
    code: 'url.lookalike',
    weight: 80,
    ...m,
    en: `"${m.label}" imitates ${m.brand}${m.target !== m.brand ? ` (${m.target})` : ''}: ${en}`,
    zh: `"${m.label}" 仿冒 ${m.brand}${m.target !== m.brand ? `（${m.target}）` : ''}：${zh}`,
  };
}

type Maker = (v: Record<string, unknown>) => [number, string, string];

const s = (x: unknown) => String(x);

const MAKERS: Record<string, Maker> = {
  'url.malformed': (v) => [20, `Malformed link (${s(v.problem)})`, `链接格式错误（${s(v.problem)}）`],
  'url.blocked': (v) => [
    100,
    `On the operator blocklist (${s(v.entry)})`,
    `在运营方黑名单中（${s(v.entry)}）`,
  ],
  'url.allowlisted': (v) => [
    0,
    `On the operator allowlist (${s(v.entry)})`,
    `在运营方白名单中（${s(v.entry)}）`,
  ],
  'url.official': (v) => [0, `Official domain of ${s(v.brand)}`, `${s(v.brand)} 的官方域名`],
  'url.user-content': (v) => [
    10,
    `A page anyone can publish on ${s(v.platform)} (${s(v.site)}): its author, not the platform, controls it`,
    `${s(v.platform)} 上任何人都能发布的页面（${s(v.site)}）：由发布者而非平台控制`,
  ],
  'url.brand-country': (v) => [
    0,
    `${s(v.brand)}'s own name under a country suffix (.${s(v.suffix)}): not a lookalike, not trusted either`,
    `${s(v.brand)} 在国家/地区后缀（.${s(v.suffix)}）下的同名域名：不视为仿冒，也不视为官方`,
  ],
  'url.shortener': (v) => [
    25,
    `Link shortener ${s(v.service)} hides the destination`,
    `短链接服务 ${s(v.service)} 隐藏了真实地址`,
  ],
  'url.ip-host': (v) => [
    v.form === 'dotted' || v.form === 'ipv6' ? 40 : 55,
    `Raw IP address as host (${s(v.ip)}, ${s(v.form)} form)`,
    `直接使用 IP 地址作为主机（${s(v.ip)}，${s(v.form)} 形式）`,
  ],
  'url.port': (v) => [20, `Unusual port ${s(v.port)}`, `非常规端口 ${s(v.port)}`],
  'url.userinfo': (v) =>
    v.deceptive
      ? [
          60,
          `"${s(v.userinfo)}@" before the real host ${s(v.host)} disguises it`,
          `真实主机 ${s(v.host)} 前的 "${s(v.userinfo)}@" 用于伪装`,
        ]
      : [30, 'User name or password inside the link', '链接中包含用户名或密码'],
  'url.many-subdomains': (v) => [
    20,
    `Unusually many subdomain levels (${s(v.levels)})`,
    `子域名层级异常多（${s(v.levels)} 层）`,
  ],
  'url.free-hosting': (v) => [20, `Free hosting (${s(v.suffix)})`, `免费托管服务（${s(v.suffix)}）`],
  'url.tunnel': (v) => [35, `Tunnel service (${s(v.suffix)})`, `内网穿透服务（${s(v.suffix)}）`],
  'url.cloud-storage': (v) => [20, `Cloud storage bucket (${s(v.suffix)})`, `云存储空间（${s(v.suffix)}）`],
  'url.free-tld': (v) => [
    20,
    `Formerly free, much-abused TLD (.${s(v.suffix)})`,
    `曾免费注册、被大量滥用的顶级域名（.${s(v.suffix)}）`,
  ],
  'url.dynamic-dns': (v) => [30, `Dynamic DNS name (${s(v.suffix)})`, `动态域名（${s(v.suffix)}）`],
  'url.dangerous-scheme': (v) => [
    70,
    `${s(v.scheme)}: link runs code or embeds content`,
    `${s(v.scheme)}: 链接会执行代码或内嵌内容`,
  ],
  'url.punycode': (v) => [
    25,
    `Internationalized name ${s(v.unicode)} (${s(v.ascii)})`,
    `国际化域名 ${s(v.unicode)}（${s(v.ascii)}）`,
  ],
  'url.mixed-script': (v) => [
    50,
    `Host mixes scripts (${(v.scripts as string[]).join(', ')})`,
    `主机名混用多种文字（${(v.scripts as string[]).join('、')}）`,
  ],
  'url.unknown-suffix': (v) => [
    20,
    `Unknown top-level domain .${s(v.suffix)}`,
    `未知的顶级域名 .${s(v.suffix)}`,
  ],
  'url.obfuscated': (v) => [
    40,
    `Link written to dodge filters (${(v.flags as string[]).join(', ')})`,
    `链接被刻意变形以躲避检测（${(v.flags as string[]).join('、')}）`,
  ],
  'url.domain-unseen': (v) => [
    10,
    `${s(v.domain)} was never seen on the platform before`,
    `${s(v.domain)} 此前从未在平台上出现`,
  ],
  'url.domain-new': (v) => [
    20,
    `${s(v.domain)} first seen on the platform ${s(v.ageHours)} h ago`,
    `${s(v.domain)} 于 ${s(v.ageHours)} 小时前首次在平台上出现`,
  ],
  'url.lure': (v) => [
    (v.words as string[]).length >= 2 ? 25 : 15,
    `Lure words in the link (${(v.words as string[]).join(', ')})`,
    `链接中含有诱导词（${(v.words as string[]).join('、')}）`,
  ],
  'url.tld-risk': (v) => [
    15,
    `TLD much used by throwaway phishing sites (.${s(v.tld)})`,
    `常被一次性钓鱼网站使用的顶级域名（.${s(v.tld)}）`,
  ],
  'text.truncated': (v) => [
    0,
    `Only the first ${s(v.scanned)} characters were scanned`,
    `仅扫描了前 ${s(v.scanned)} 个字符`,
  ],
};

/** Builds a reason with its weight and texts. */
export function reason(code: string, values: Record<string, unknown> = {}): Reason {
  const make = MAKERS[code];
  if (!make) return { code, weight: 0, ...values, en: code, zh: code };
  const [weight, en, zh] = make(values);
  return { code, weight, ...values, en, zh };
}

export const REASON_CODES: readonly string[] = ['url.lookalike', ...Object.keys(MAKERS)];
