import type { Locale } from './catalogue.ts';
import { escapeHtml as e } from './templates/index.ts';

/** Headers of the "this wasn't me" pages: no framing, no scripts, no referrer (the URL holds a token). */
export const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const W = {
  en: {
    title: "This wasn't me",
    ask: 'Report that this was not you:',
    does: 'We will end the session this notice is about and freeze the account at once, so nobody can use it. You then get it back through an appeal, where you set a new password.',
    button: "This wasn't me: lock my account",
    done: 'Your account is locked. The intruder is out. Open an appeal to get your account back.',
    appeal: 'Get your account back',
    used: 'This link was already used. If your account is locked, open an appeal to get it back.',
    expired:
      'This link has expired. If you still think someone else is using your account, sign in and end their sessions, or contact the platform.',
    invalid: 'This link is not valid. Open it exactly as it arrived in the message.',
    failed: 'Something went wrong and the account was not locked. Try the link again in a minute.',
  },
  'zh-CN': {
    title: '不是我本人',
    ask: '报告以下操作不是你本人：',
    does: '我们会立即终止这条通知所说的会话并冻结账号，任何人都无法再使用它。之后你可以通过申诉找回账号，并设置新密码。',
    button: '不是我本人：锁定我的账号',
    done: '你的账号已锁定，入侵者已被踢出。请提交申诉以找回账号。',
    appeal: '找回账号',
    used: '此链接已被使用过。如果你的账号已被锁定，请提交申诉以找回。',
    expired: '此链接已过期。如果你仍认为有人在使用你的账号，请登录并终止其会话，或联系平台。',
    invalid: '此链接无效。请按消息中收到的原样打开。',
    failed: '出现问题，账号未能锁定。请稍后再试此链接。',
  },
} as const;

export type PageState =
  | { kind: 'ask'; summary: string; token: string }
  | { kind: 'done' | 'used' | 'expired' | 'invalid' | 'failed' };

/** The page a "this wasn't me" link opens (GET asks, the form POSTs; no script). */
export function notMePage(locale: Locale, s: PageState, appealUrl: string): string {
  const w = W[locale];
  const body =
    s.kind === 'ask'
      ? `<p>${e(w.ask)}</p><blockquote style="margin:0 0 16px 0;padding:8px 12px;border-left:3px solid #b00020;background:#fafafa">${e(s.summary)}</blockquote>
<p>${e(w.does)}</p>
<form method="post" action="not-me"><input type="hidden" name="token" value="${e(s.token)}">
<button type="submit" style="padding:10px 14px;border:0;border-radius:4px;background:#b00020;color:#fff;font-size:16px">${e(w.button)}</button></form>`
      : `<p>${e(w[s.kind])}</p>${s.kind === 'done' || s.kind === 'used' ? `<p><a href="${e(appealUrl)}">${e(w.appeal)}</a></p>` : ''}`;
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${e(w.title)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Roboto,PingFang SC,Microsoft YaHei,sans-serif;max-width:560px;margin:0 auto;padding:16px;line-height:1.5;color:#1a1a1a">
<h1 style="font-size:20px">${e(w.title)}</h1>
${body}
</body></html>
`;
}
