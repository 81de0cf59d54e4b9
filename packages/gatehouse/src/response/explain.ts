/**
 * The response part's plain sentences (zh/en): what each action did (or, in dry-run, would have done)
 * with the numbers from its record, and the response's own signals. The engine's signals and decisions
 * are in engine/explain.ts. Typed against `ActionKind` and `RESPONSE_SIGNALS`: a new action or signal
 * without a sentence does not compile.
 */
import type { Localized } from '@gatehouse/sdk';
import type { ActionKind } from './actions/index.ts';
import type { RESPONSE_SIGNALS } from './policy.ts';

type Detail = Readonly<Record<string, unknown>>;
const count = (v: unknown): number => (Array.isArray(v) ? v.length : typeof v === 'number' ? v : 0);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** What an action did, from its record's `detail` (the same words for enforce; dry-run says "would"). */
const DONE = {
  challenge_owner: (d) =>
    d.coalescedWith === undefined
      ? {
          en: 'Asked the owner "was this you?" on another device or a verified channel.',
          zh: '已在其他设备或已验证的联系方式上询问账号主人“是你本人吗？”。',
        }
      : {
          en: 'Did not ask the owner again: a "was this you?" asked minutes ago is still waiting for an answer.',
          zh: '未再次询问账号主人：几分钟前发出的“是你本人吗？”仍在等待回答。',
        },
  hold_message: () => ({
    en: 'Held the message until the owner confirms it was them.',
    zh: '已暂缓这条消息，等待账号主人确认是本人操作。',
  }),
  throttle_account: (d) => ({
    en: `Limited the account to ${count(d.perMinute)} messages a minute for a while.`,
    zh: `已暂时将该账号限制为每分钟最多 ${count(d.perMinute)} 条消息。`,
  }),
  freeze_account: (d) =>
    text(d.kind) === 'sanction'
      ? { en: 'Froze the account as a penalty.', zh: '已作为处罚冻结该账号。' }
      : {
          en: 'Froze the account to stop the intruder; the owner can appeal to get it back.',
          zh: '已冻结该账号以阻止入侵者；账号主人可以申诉找回。',
        },
  revoke_sessions: (d) =>
    text(d.scope) === 'all'
      ? { en: 'Signed out every session of the account.', zh: '已让该账号的所有会话退出登录。' }
      : { en: "Signed out the intruder's session.", zh: '已让入侵者的会话退出登录。' },
  revoke_grants: (d) =>
    text(d.scope) === 'all'
      ? {
          en: "Withdrew every third-party app's access to the account.",
          zh: '已撤销所有第三方应用对该账号的访问权限。',
        }
      : {
          en: "Withdrew the app access the intruder's session granted.",
          zh: '已撤销入侵者会话授予的应用访问权限。',
        },
  forget_device: (d) => ({
    en: `Forgot the device and network the intruder signed in from (${count(d.deviceSessions)} session(s)): signing in from them again is treated as a stranger's.`,
    zh: `已不再将入侵者登录所用的设备和网络视为可信（${count(d.deviceSessions)} 个会话）：从这些设备或网络再次登录将被视为陌生登录。`,
  }),
  retract_messages: (d) => ({
    en: `Withdrew ${count(d.messages)} message(s) the intruder sent.`,
    zh: `已撤回入侵者发送的 ${count(d.messages)} 条消息。`,
  }),
  warn_recipients: (d) => ({
    en: `Warned ${count(d.recipients)} person(s) and ${count(d.groups)} group(s) who received the intruder's messages.`,
    zh: `已提醒收到入侵者消息的 ${count(d.recipients)} 人和 ${count(d.groups)} 个群。`,
  }),
  quarantine_content: (d) => ({
    en: `Stopped this content (${count(d.keys)} fingerprint(s)) from being sent by anyone for a while.`,
    zh: `已暂时禁止任何人发送这一内容（${count(d.keys)} 个指纹）。`,
  }),
  notify_owner: () => ({
    en: "Told the owner what happened, on the platform and on the owner's verified channels.",
    zh: '已在平台内及账号主人已验证的联系方式上告知其发生的情况。',
  }),
} as const satisfies Record<ActionKind, (d: Detail) => Localized>;

/** An action record in plain words; a dry-run record says what the rule would have done. */
export function explainAction(kind: ActionKind, mode: 'enforce' | 'dry-run', detail: Detail): Localized {
  const e = DONE[kind](detail);
  return mode === 'dry-run'
    ? { en: `Dry run — would have done: ${e.en}`, zh: `演练模式，实际未执行：${e.zh}` }
    : e;
}

export function isActionKind(k: string): k is ActionKind {
  return Object.hasOwn(DONE, k);
}

/** The response's own signals on decisions (policy.ts `RESPONSE_SIGNALS`). */
export const RESPONSE_SIGNAL_EXPLANATIONS = {
  owner_denied: {
    en: "The account's owner said this activity was not them.",
    zh: '账号主人表示这些操作不是本人所为。',
  },
  throttled: {
    en: 'The account is sending faster than the limit set while unusual activity is checked.',
    zh: '在核查异常活动期间，该账号的发送速度超过了限制。',
  },
} as const satisfies Record<(typeof RESPONSE_SIGNALS)[number], Localized>;
