/**
 * The provider's pages (sign-in, consent, device code, sign-out, errors) in Chinese and English. Pure
 * functions from data to HTML; every value is escaped.
 */
import { FIELD_BY_SCOPE, OFFLINE_LABEL, type Localized } from './scopes.ts';

export type Lang = 'en' | 'zh';

export function esc(s: unknown): string {
  return String(s ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** zh when the ui_locales parameter or Accept-Language asks for Chinese first, else en. */
export function pickLang(uiLocales: string | undefined, acceptLanguage: string | undefined): Lang {
  const first = (uiLocales ?? '').split(' ')[0] || (acceptLanguage ?? '').split(',')[0] || '';
  return /^zh\b/i.test(first.trim()) ? 'zh' : 'en';
}

const T = {
  signIn: { en: 'Sign in', zh: '登录' },
  handle: { en: 'Handle', zh: '用户名' },
  password: { en: 'Password', zh: '密码' },
  toContinue: { en: 'to continue to', zh: '以继续使用' },
  wants: { en: 'wants to read:', zh: '请求读取：' },
  verified: { en: 'Verified by the platform', zh: '已通过平台认证' },
  unverified: {
    en: 'Not verified: the platform has not checked who runs this app. Share as little as you can.',
    zh: '未认证：平台尚未核实该应用的运营者。请尽量少授权。',
  },
  declinable: {
    en: 'Untick anything you do not want to share. The app gets only what stays ticked.',
    zh: '取消勾选你不想分享的内容。应用只能获得保持勾选的项目。',
  },
  signedInAs: { en: 'Signed in as', zh: '当前账号' },
  allow: { en: 'Allow', zh: '允许' },
  deny: { en: 'Deny', zh: '拒绝' },
  idOnly: {
    en: 'Without any field the app learns only an id that is unique to it (not your account id).',
    zh: '若不勾选任何项，应用只会得到一个它专属的编号（不是你的账号 ID）。',
  },
  deviceTitle: { en: 'Sign in on another device', zh: '在另一台设备上登录' },
  deviceEnter: { en: 'Enter the code shown on your device', zh: '请输入设备上显示的代码' },
  continue: { en: 'Continue', zh: '继续' },
  wrongCode: { en: 'That code is wrong or has expired. Try again.', zh: '代码错误或已过期，请重试。' },
  aborted: { en: 'The sign-in was cancelled.', zh: '登录已取消。' },
  failed: { en: 'Something went wrong. Try again.', zh: '出现错误，请重试。' },
  deviceAsk: {
    en: 'Did you start this on a device in front of you?',
    zh: '这个请求是你在面前的设备上发起的吗？',
  },
  deviceWarn: {
    en: 'If someone sent you this code, or a web page or message asked you to enter it, answer No: approving gives them your account.',
    zh: '如果这个代码是别人发给你的，或是某个网页、消息让你输入的，请选择“不是”：确认后对方将获得你的账号访问权。',
  },
  yesMine: { en: 'Yes, it is my device', zh: '是，是我的设备' },
  notMine: { en: 'No, cancel', zh: '不是，取消' },
  requestFrom: { en: 'The request came from', zh: '请求来自' },
  device: { en: 'Device', zh: '设备' },
  code: { en: 'Code', zh: '代码' },
  farAway: {
    en: 'This request came from a different network than the one you are on now.',
    zh: '该请求来自与你当前不同的网络。',
  },
  done: { en: 'Done. You can return to your device.', zh: '完成。你可以回到设备上继续。' },
  signOutAsk: { en: 'Sign out of Gatehouse?', zh: '要退出 Gatehouse 吗？' },
  signOutYes: { en: 'Yes, sign me out', zh: '是，退出' },
  signOutNo: { en: 'No, stay signed in', zh: '不，保持登录' },
  signedOut: { en: 'You are signed out.', zh: '你已退出登录。' },
  error: { en: 'The request could not be completed', zh: '无法完成该请求' },
} satisfies Record<string, Localized>;

const t = (k: keyof typeof T, lang: Lang) => T[k][lang];

function layout(lang: Lang, title: string, body: string): string {
  const other = lang === 'zh' ? 'en' : 'zh';
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f5f7;margin:0;padding:24px}
main{max-width:420px;margin:0 auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.3em;margin:0 0 12px}.app{font-weight:600}.ok{color:#0a7f3f}.warn{color:#a45b00;background:#fff6e5;padding:8px;border-radius:4px}
label{display:block;margin:8px 0}input[type=text],input[type=password]{width:100%;padding:8px;box-sizing:border-box}
button{padding:10px 16px;margin:12px 8px 0 0;border-radius:4px;border:1px solid #888;background:#fff;cursor:pointer}
button.primary{background:#1f6feb;color:#fff;border-color:#1f6feb}.err{color:#b00020}.muted{color:#666;font-size:.9em}
code{font-size:1.4em;letter-spacing:.1em}
</style></head><body><main>${body}
<p class="muted"><a href="?lang=${other}" data-lang="${other}">${other === 'zh' ? '中文' : 'English'}</a></p>
</main></body></html>`;
}

export interface AppBadge {
  name: Localized;
  verified: boolean;
}

function appLine(app: AppBadge, lang: Lang): string {
  return `<p><span class="app" id="app-name">${esc(app.name[lang])}</span><br>${
    app.verified
      ? `<span class="ok" id="app-verified">✔ ${esc(t('verified', lang))}</span>`
      : `<span class="warn" id="app-unverified">${esc(t('unverified', lang))}</span>`
  }</p>`;
}

export function loginPage(p: {
  lang: Lang;
  app: AppBadge;
  action: string;
  csrf: string;
  error?: string;
  handle?: string;
}): string {
  const { lang } = p;
  return layout(
    lang,
    t('signIn', lang),
    `<h1>${esc(t('signIn', lang))}</h1><p class="muted">${esc(t('toContinue', lang))}</p>${appLine(p.app, lang)}
${p.error ? `<p class="err" role="alert">${esc(p.error)}</p>` : ''}
<form method="post" action="${esc(p.action)}" autocomplete="on">
<input type="hidden" name="csrf" value="${esc(p.csrf)}">
<label>${esc(t('handle', lang))}<input type="text" name="handle" value="${esc(p.handle ?? '')}" required autofocus autocomplete="username"></label>
<label>${esc(t('password', lang))}<input type="password" name="password" required autocomplete="current-password"></label>
<button class="primary" type="submit">${esc(t('signIn', lang))}</button>
</form>`,
  );
}

export function consentPage(p: {
  lang: Lang;
  app: AppBadge;
  action: string;
  csrf: string;
  /** Field scopes asked for (in catalogue order) and whether offline access is asked. */
  fields: string[];
  offline: boolean;
  handle: string;
}): string {
  const { lang } = p;
  const items = p.fields
    .map((s) => {
      const f = FIELD_BY_SCOPE.get(s);
      return f
        ? `<label><input type="checkbox" name="scope" value="${esc(s)}" checked> ${esc(f.label[lang])}</label>`
        : '';
    })
    .join('\n');
  const offline = p.offline
    ? `<label><input type="checkbox" name="scope" value="offline_access" checked> ${esc(OFFLINE_LABEL[lang])}</label>`
    : '';
  return layout(
    lang,
    `${p.app.name[lang]}`,
    `${appLine(p.app, lang)}<p>${esc(t('wants', lang))}</p>
<form method="post" action="${esc(p.action)}" id="consent">
<input type="hidden" name="csrf" value="${esc(p.csrf)}">
${items}${offline}
<p class="muted">${esc(t('declinable', lang))} ${esc(t('idOnly', lang))}</p>
<button class="primary" type="submit" name="decision" value="allow">${esc(t('allow', lang))}</button>
<button type="submit" name="decision" value="deny">${esc(t('deny', lang))}</button>
</form>
<p class="muted">${esc(t('signedInAs', lang))} ${esc(p.handle)}</p>`,
  );
}

export function deviceInputPage(p: {
  lang: Lang;
  form: string;
  error?: 'wrong' | 'aborted' | 'failed';
}): string {
  const { lang } = p;
  const msg =
    p.error === 'wrong' ? 'wrongCode' : p.error === 'aborted' ? 'aborted' : p.error ? 'failed' : undefined;
  return layout(
    lang,
    t('deviceTitle', lang),
    `<h1>${esc(t('deviceTitle', lang))}</h1>${msg ? `<p class="err" role="alert">${esc(t(msg, lang))}</p>` : ''}
<p>${esc(t('deviceEnter', lang))}</p>${p.form}
<button class="primary" type="submit" form="op.deviceInputForm">${esc(t('continue', lang))}</button>`,
  );
}

export function deviceConfirmPage(p: {
  lang: Lang;
  app: AppBadge;
  form: string;
  userCode: string;
  origin: { ip: string; network: string; device: string; at: number | undefined };
  differentNetwork: boolean;
}): string {
  const { lang } = p;
  const when = p.origin.at ? new Date(p.origin.at).toISOString().replace('.000Z', 'Z') : '';
  return layout(
    lang,
    t('deviceTitle', lang),
    `<h1 id="device-question">${esc(t('deviceAsk', lang))}</h1>${appLine(p.app, lang)}
<p>${esc(t('requestFrom', lang))}: <strong id="device-origin">${esc(p.origin.ip)}</strong> (${esc(p.origin.network)})${when ? `, ${esc(when)}` : ''}<br>
${esc(t('device', lang))}: <span id="device-ua">${esc(p.origin.device)}</span><br>
${esc(t('code', lang))}: <code>${esc(p.userCode)}</code></p>
${p.differentNetwork ? `<p class="warn" id="device-far">${esc(t('farAway', lang))}</p>` : ''}
<p class="warn">${esc(t('deviceWarn', lang))}</p>
${p.form}
<button class="primary" type="submit" form="op.deviceConfirmForm">${esc(t('yesMine', lang))}</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">${esc(t('notMine', lang))}</button>`,
  );
}

export function messagePage(lang: Lang, key: 'done' | 'signedOut'): string {
  return layout(lang, t(key, lang), `<h1>${esc(t(key, lang))}</h1>`);
}

export function logoutPage(lang: Lang, form: string): string {
  return layout(
    lang,
    t('signOutAsk', lang),
    `<h1>${esc(t('signOutAsk', lang))}</h1>${form}
<button class="primary" type="submit" form="op.logoutForm" name="logout" value="yes">${esc(t('signOutYes', lang))}</button>
<button type="submit" form="op.logoutForm">${esc(t('signOutNo', lang))}</button>`,
  );
}

export function errorPage(lang: Lang, out: { error?: string; error_description?: string }): string {
  return layout(
    lang,
    t('error', lang),
    `<h1>${esc(t('error', lang))}</h1><p><code id="error">${esc(out.error ?? 'server_error')}</code></p><p>${esc(out.error_description ?? '')}</p>`,
  );
}
