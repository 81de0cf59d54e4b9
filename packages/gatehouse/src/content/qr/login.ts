/**
 * The platform's own QR-login links in chat (issue 12 item 3): a relayed QR login shared in a chat is
 * the vector of the 2022 QQ hijack ("scan this to get free skins" over a forged page relaying the
 * real login). A message carries intent `login_qr_shared` when
 *
 * - an image in it holds a QR code whose text is a platform login URL (`image`), or
 * - its text or links hold a platform login URL (`link`), or
 * - its wording asks to scan a code to log in, or to scan for free skins/coins (`wording`, zh/en).
 *
 * The platform's login URLs are configurable prefixes (`loginQrUrls`; default: `<publicUrl>/qr/`,
 * where Gatehouse's own QR login lives). A finding names the prefix, never the code itself: a live
 * code must not be kept anywhere it could be replayed from.
 */

export type LoginQrSource = 'image' | 'link' | 'wording';

export interface LoginQrFinding {
  intent: 'login_qr_shared';
  source: LoginQrSource;
  /** The login URL prefix matched, or the wording as written. */
  value: string;
  /** 1 for a login URL (image or text), 0.5 for wording alone. */
  strength: number;
  en: string;
  zh: string;
}

/** "Scan to log in" and "scan for free skins/coins" wording (normalised: NFKC, lower case). */
const WORDING = new RegExp(
  [
    // zh: 扫码登录 / 扫一扫登录 / 扫描二维码登录 / 扫码上号 / 扫码领皮肤…
    '(?:扫码|扫一扫|扫描二维码|扫二维码|扫这个码|扫下码|扫一下)(?:即可|就能|就可以|可|来|后)?(?:登录|登陆|上号|授权登录|确认登录)',
    '(?:扫码|扫一扫|扫描二维码|扫二维码)[^。！!？?\\n]{0,12}(?:免费|白嫖|领取?|送)[^。！!？?\\n]{0,8}(?:皮肤|点券|金币|q币|钻石|礼包|装备|会员)',
    // en: scan (this|the) (qr) code to log in / scan to sign in / scan … for free skins
    '\\bscan(?:\\s+(?:this|the|my|our))?(?:\\s+qr)?(?:\\s+code)?\\s+(?:to|and)\\s+(?:log|sign)\\s*-?\\s*in\\b',
    '\\bscan(?:\\s+(?:this|the|my|our))?(?:\\s+qr)?(?:\\s+code)?\\b[^.!?\\n]{0,30}\\bfree\\s+(?:skins?|coins?|gems?|diamonds?|items?|vip)\\b',
  ].join('|'),
  'u',
);

function withoutScheme(u: string): string {
  return u.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').toLowerCase();
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Finds `login_qr_shared` in a message; the login URL prefixes are read on each call (they may change at start-up). */
export class LoginQrMatcher {
  private readonly prefixes: () => readonly string[];
  private key = '';
  private given: readonly string[] | undefined;
  private list: readonly string[] = [];
  private bare: string[] = [];
  private linkRe: RegExp | undefined;

  constructor(prefixes: () => readonly string[]) {
    this.prefixes = prefixes;
  }

  private compile(): void {
    const list = this.prefixes();
    // the same list as last time (loginQrPrefixes answers unchanged settings with the same array)
    if (list === this.given) return;
    this.given = list;
    const key = list.join('\n');
    if (key === this.key) return;
    this.key = key;
    this.list = list.filter((p) => withoutScheme(p).length > 0);
    this.bare = this.list.map(withoutScheme);
    this.linkRe =
      this.bare.length > 0
        ? new RegExp(`(?:https?://)?(?:${this.bare.map(escape).join('|')})[^\\s"'<>]*`, 'iu')
        : undefined;
  }

  /** The platform login URL prefix (as configured) `url` starts with, if any (scheme and case aside). */
  loginPrefix(url: string): string | undefined {
    this.compile();
    const b = withoutScheme(url.trim());
    const i = this.bare.findIndex((p) => b.startsWith(p));
    return i < 0 ? undefined : this.list[i];
  }

  /**
   * A QR text as it may be kept: a platform login URL becomes its prefix and "…" (the code it carries
   * could still be approved for up to a minute); anything else unchanged.
   */
  redact(text: string): string {
    const p = this.loginPrefix(text);
    return p === undefined ? text : `${p}…`;
  }

  /**
   * The strongest finding in a message: its QR payloads (decoded from its images), then its text
   * and links, then its wording.
   */
  match(text: string, urls: readonly string[], qr: readonly string[]): LoginQrFinding | undefined {
    this.compile();
    for (const q of qr) {
      const p = this.loginPrefix(q);
      if (p !== undefined)
        return finding(
          'image',
          p,
          1,
          `an image holds a QR code that signs in to this platform (${p}…): whoever scans it logs the sender in`,
          `图片中的二维码是本平台的扫码登录（${p}…）：扫码确认会让对方登录你的账号`,
        );
    }
    const inText = this.linkRe?.exec(text);
    const link = inText ? this.loginPrefix(inText[0]) : urls.map((u) => this.loginPrefix(u)).find(Boolean);
    if (link !== undefined)
      return finding(
        'link',
        link,
        1,
        `the message links to this platform's QR login (${link}…)`,
        `消息包含本平台的扫码登录链接（${link}…）`,
      );
    if (text.length === 0) return undefined;
    const w = WORDING.exec(wordingForm(text));
    if (w)
      return finding(
        'wording',
        w[0],
        0.5,
        `asks to scan a code to sign in or for free items ("${w[0]}")`,
        `要求扫码登录或扫码领取免费物品（“${w[0]}”）`,
      );
    return undefined;
  }
}

/**
 * The text as WORDING reads it: NFKC, lower case. Asked on every message, so text made only of code
 * points NFKC leaves as they are — ASCII, CJK unified ideographs, the CJK punctuation that has no
 * compatibility form and is no combining mark (not the ideographic space, which NFKC makes a plain
 * space) — skips the normalisation (a copy of every message before). `login.test.ts` checks each.
 */
export function wordingForm(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (!nfkcStable(text.charCodeAt(i))) return text.normalize('NFKC').toLowerCase();
  }
  return text.toLowerCase();
}

/** A code unit NFKC keeps as it is, whatever stands around it (a starter with no decomposition). */
export function nfkcStable(c: number): boolean {
  return (
    c < 0x80 ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0x3001 && c <= 0x3029) ||
    (c >= 0x3030 && c <= 0x3035) ||
    (c >= 0x303b && c <= 0x303f)
  );
}

function finding(
  source: LoginQrSource,
  value: string,
  strength: number,
  en: string,
  zh: string,
): LoginQrFinding {
  return { intent: 'login_qr_shared', source, value, strength, en, zh };
}

let lastPrefixes: { configured: string; origins: readonly string[]; list: readonly string[] } | undefined;

/** The platform's login URL prefixes: the configured list, else `<origin>/qr/` of each own origin. */
export function loginQrPrefixes(configured: string, ownOrigins: readonly string[]): readonly string[] {
  // asked on every message: the same settings give the same array, without parsing URLs again (and
  // without a key built per message to tell)
  const last = lastPrefixes;
  if (
    last !== undefined &&
    last.configured === configured &&
    last.origins.length === ownOrigins.length &&
    last.origins.every((o, i) => o === ownOrigins[i])
  )
    return last.list;
  let list = configured
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (list.length === 0)
    list = [...new Set(ownOrigins.filter(Boolean).map((u) => `${new URL(u).origin}/qr/`))];
  lastPrefixes = { configured, origins: [...ownOrigins], list };
  return list;
}
