import type { Localized } from '@gatehouse/sdk';

export type { Localized };

/** A value for a text: the same in both languages, or one per language (an explanation). */
export type TextVar = string | number | Localized;
const fill = (s: string, vars: Record<string, TextVar>, lang: 'en' | 'zh') =>
  s.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = vars[k];
    return v === undefined ? `{${k}}` : typeof v === 'object' ? v[lang] : String(v);
  });

export const TEXTS = {
  recipientWarning: {
    en: "This message was sent by someone who took over {name}'s account. Do not transfer money or open its links.",
    zh: '这条消息是盗用{name}账号的人发送的。请勿转账，也不要打开其中的链接。',
  },
  messageRetracted: {
    en: "A message from {name} was withdrawn because {name}'s account was taken over.",
    zh: '由于{name}的账号被盗，其发送的一条消息已被撤回。',
  },
  ownerChallenge: {
    en: 'We stopped unusual activity on your account. {reason} Was this you? If not, tap "This wasn\'t me" and we will lock the intruder out at once.',
    zh: '我们拦截了你账号上的异常活动。{reason}是你本人操作的吗？如果不是，请点击“不是我本人”，我们会立即将入侵者踢出。',
  },
  ownerFrozen: {
    en: 'Your account {name} was frozen at {time} because someone else appears to have taken it over. {reason} Their sessions were ended and their messages withdrawn. Open an appeal to get your account back.',
    zh: '你的账号 {name} 已于 {time} 被冻结，因为它疑似被他人盗用。{reason}入侵者的会话已被终止，其发送的消息已撤回。请提交申诉以找回账号。',
  },
  operatorFrozen: {
    en: 'Your account was frozen by the platform’s safety team ({reason}). Open an appeal to get it back.',
    zh: '你的账号已被平台安全团队冻结（{reason}）。请提交申诉以找回账号。',
  },
  operatorUnfrozen: {
    en: 'Your account is active again.',
    zh: '你的账号已恢复正常。',
  },
  ownerThrottled: {
    en: 'Your account is temporarily limited to {rate} messages a minute while we check unusual activity.',
    zh: '我们正在核查异常活动，你的账号暂时限制为每分钟最多发送 {rate} 条消息。',
  },
  messageHeld: {
    en: 'Your message is on hold until you confirm it was you.',
    zh: '你的消息已被暂缓发送，请先确认是你本人操作。',
  },
} satisfies Record<string, Localized>;

export function localize(key: keyof typeof TEXTS, vars: Record<string, TextVar> = {}): Localized {
  const t = TEXTS[key];
  return { en: fill(t.en, vars, 'en'), zh: fill(t.zh, vars, 'zh') };
}
