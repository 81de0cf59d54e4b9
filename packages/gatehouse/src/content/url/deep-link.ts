/**
 * App links: links a chat user taps like a web link that open a page, a payment or a mini program inside
 * an app (`alipays://platformapi/startapp?…&url=…`, QQ's `mqqapi://forward/url?url_prefix=<base64>`).
 * The web page they open is carried inside, percent-encoded or in base64, where neither the reader nor a
 * filter that reads only `http(s)://` sees it. `embeddedUrls` takes it out, to be judged as a link.
 */

/** App link schemes → the app. */
export const APP_SCHEMES: ReadonlyMap<string, string> = new Map([
  ['alipays', 'Alipay'],
  ['alipay', 'Alipay'],
  ['weixin', 'WeChat'],
  ['mqqapi', 'QQ'],
  ['mqq', 'QQ'],
  ['mqqwpa', 'QQ'],
  ['taobao', 'Taobao'],
  ['tbopen', 'Taobao'],
  ['pinduoduo', 'Pinduoduo'],
  ['snssdk1128', 'Douyin'],
  ['intent', 'Android'],
  ['tg', 'Telegram'],
  ['whatsapp', 'WhatsApp'],
]);

/**
 * A messenger's own link to a channel, a group or a chat, as the web link that opens the same one
 * (`tg://resolve?domain=x` is `t.me/x`): judged and counted as that page (user-content.ts).
 */
const WEB_FORMS: ReadonlyArray<[scheme: string, action: string, param: string, web: (v: string) => string]> =
  [
    ['tg', 'resolve', 'domain', (v) => `https://t.me/${v}`],
    ['tg', 'join', 'invite', (v) => `https://t.me/+${v}`],
    ['whatsapp', 'send', 'phone', (v) => `https://wa.me/${v}`],
    ['whatsapp', 'chat', 'code', (v) => `https://chat.whatsapp.com/${v}`],
  ];

function webForm(link: string): string | undefined {
  const m = /^([a-z]+):\/\/([a-z]+)\/?\?([^#]*)/i.exec(link);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  const action = m[2]!.toLowerCase();
  for (const [sc, act, param, web] of WEB_FORMS) {
    if (sc !== scheme || act !== action) continue;
    const v = new URLSearchParams(m[3]).get(param)?.replace(/^[+ ]/, '');
    if (v !== undefined && /^[\w-]{2,64}$/.test(v)) return web(v);
  }
  return undefined;
}

const WEB = /^https?:\/\/[\x21-\x7e]+$/i;
const BASE64 = /^[A-Za-z0-9+/_-]{12,}={0,2}$/;

/**
 * The web URLs inside an app link's parameters (query, fragment, an Android intent's `;`-separated
 * extras): a value that is, once percent-decoded (twice at most) or base64-decoded, an http(s) URL; for a
 * messenger's link with none inside, the web link of the chat it opens (WEB_FORMS).
 */
export function embeddedUrls(link: string): string[] {
  const out: string[] = [];
  for (const part of link.split(/[?&#;]/)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    let v = part.slice(eq + 1);
    for (let k = 0; k < 2 && /%[0-9a-f]{2}/i.test(v); k++) {
      try {
        v = decodeURIComponent(v);
      } catch {
        break;
      }
    }
    if (!WEB.test(v)) {
      if (!BASE64.test(v)) continue;
      const b = Buffer.from(v.replaceAll('-', '+').replaceAll('_', '/'), 'base64').toString('latin1');
      if (!WEB.test(b)) continue;
      v = b;
    }
    if (!out.includes(v)) out.push(v);
  }
  if (out.length === 0) {
    const w = webForm(link);
    if (w !== undefined) out.push(w);
  }
  return out;
}
