// The owner's "what happened while you were out" report, in the reader's language.
import { defineMessages, fmtTime, useLang } from '../../lib/i18n.ts';
import { L } from '../ui.tsx';
import type { Report } from './client.ts';

const t = defineMessages({
  en: {
    entered: 'How they got in',
    enteredAt: 'Signed in {time} by “{method}” from {device}, IP {ip}.',
    inferred: '(inferred from your sign-in history)',
    unknown: 'Not known.',
    why: 'Why your account was frozen',
    sent: 'What the intruder sent',
    sentCount: '{count} messages left your account, to {people} people and {groups} groups.',
    stopped: '{n} more were stopped before anyone received them.',
    retracted: '{n} messages were withdrawn from the people who received them.',
    warned: '{n} people were warned not to trust them.',
    sessions: '{n} sessions were signed out.',
    factorsRemoved:
      'Sign-in methods the intruder added were removed: {passkeys} passkeys, {apps} authenticator apps.',
    factorsRestored:
      'Your sign-in methods the intruder removed are back: {passkeys} passkeys, {apps} authenticator apps.',
    factorsLeftRemoved:
      'Not put back, because they were removed from a session that began before the takeover (you may have removed them yourself, for example a lost phone): {passkeys} passkeys, {apps} authenticator apps. If they were yours and the device is still with you, add them again.',
    restored: 'What was put back',
    restoredList: '{friends} friends, {groups} groups and {fields} profile fields restored.',
    apps: 'Apps that read your data in that time',
    appReads: '{name}: {fields} ({reads} reads)',
    advice: 'What to do now',
  },
  'zh-CN': {
    entered: '入侵者如何进入',
    enteredAt: '{time} 通过「{method}」方式从 {device} 登录，IP {ip}。',
    inferred: '（根据你的登录记录推断）',
    unknown: '未知。',
    why: '账号被冻结的原因',
    sent: '入侵者发送了什么',
    sentCount: '共有 {count} 条消息从你的账号发出，发给了 {people} 人和 {groups} 个群。',
    stopped: '另有 {n} 条在送达任何人之前就被拦截了。',
    retracted: '已从收件人处撤回 {n} 条消息。',
    warned: '已提醒 {n} 人不要相信这些消息。',
    sessions: '已让 {n} 个会话退出登录。',
    factorsRemoved: '已删除入侵者添加的登录方式：通行密钥 {passkeys} 个，身份验证器应用 {apps} 个。',
    factorsRestored: '入侵者删除的你的登录方式已恢复：通行密钥 {passkeys} 个，身份验证器应用 {apps} 个。',
    factorsLeftRemoved:
      '从入侵开始前登录的会话中删除的登录方式未恢复（可能是你自己删除的，例如丢失的手机）：通行密钥 {passkeys} 个，身份验证器应用 {apps} 个。如果它们是你的且设备仍在你手中，请重新添加。',
    restored: '已恢复的内容',
    restoredList: '已恢复 {friends} 位好友、{groups} 个群和 {fields} 项资料。',
    apps: '这段时间读取过你数据的应用',
    appReads: '{name}：{fields}（读取 {reads} 次）',
    advice: '接下来你该做什么',
  },
});

export function ReportView({ report: r }: { report: Report }) {
  useLang();
  const restored = r.restored;
  const f = r.signInFactors;
  return (
    <div class="stack report" id="report">
      <h3>{t('entered')}</h3>
      <p>
        {r.entry
          ? `${t('enteredAt', { time: fmtTime(r.entry.at), method: r.entry.method, device: r.entry.device, ip: r.entry.ip })} ${
              r.entry.source === 'engine' ? '' : t('inferred')
            }`
          : t('unknown')}
      </p>
      <h3>{t('why')}</h3>
      <p id="report-why">
        {r.decision ? (r.decision.why ? L(r.decision.why) : r.decision.summary) : t('unknown')}
      </p>
      <h3>{t('sent')}</h3>
      {r.messages ? (
        <>
          <p>
            {t('sentCount', {
              count: r.messages.count,
              people: r.messages.recipientsReached,
              groups: r.messages.groupsReached,
            })}{' '}
            {r.messages.stopped ? t('stopped', { n: r.messages.stopped }) : ''}
          </p>
          <ul>
            {r.messages.sample.map((m, i) => (
              <li key={i}>
                <span class="muted">{fmtTime(m.at)}</span> {m.text}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p>{t('unknown')}</p>
      )}
      <ul>
        {r.retracted ? <li>{t('retracted', { n: r.retracted.count })}</li> : null}
        {r.warned ? <li>{t('warned', { n: r.warned.count })}</li> : null}
        <li>{t('sessions', { n: r.sessionsRevoked })}</li>
        {f && (f.passkeysRemoved.length > 0 || f.totpRemoved) ? (
          <li id="report-factors-removed">
            {t('factorsRemoved', { passkeys: f.passkeysRemoved.length, apps: f.totpRemoved ? 1 : 0 })}
          </li>
        ) : null}
        {f && (f.passkeysRestored.length > 0 || f.totpRestored) ? (
          <li id="report-factors-restored">
            {t('factorsRestored', { passkeys: f.passkeysRestored.length, apps: f.totpRestored ? 1 : 0 })}
          </li>
        ) : null}
        {f && (f.passkeysLeftRemoved.length > 0 || f.totpLeftRemoved) ? (
          <li id="report-factors-left-removed">
            {t('factorsLeftRemoved', {
              passkeys: f.passkeysLeftRemoved.length,
              apps: f.totpLeftRemoved ? 1 : 0,
            })}
          </li>
        ) : null}
      </ul>
      {restored ? (
        <>
          <h3>{t('restored')}</h3>
          <p>
            {t('restoredList', {
              friends: restored.friends?.length ?? 0,
              groups: restored.groups?.length ?? 0,
              fields: restored.profile?.length ?? 0,
            })}
          </p>
        </>
      ) : null}
      {r.apps && r.apps.length > 0 ? (
        <>
          <h3>{t('apps')}</h3>
          <ul>
            {r.apps.map((a) => (
              <li key={a.client}>
                {t('appReads', { name: L(a.name), fields: a.fields.join(', '), reads: a.reads })}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3>{t('advice')}</h3>
      <ul>
        {r.advice.map((a, i) => (
          <li key={i}>{L(a)}</li>
        ))}
      </ul>
    </div>
  );
}
