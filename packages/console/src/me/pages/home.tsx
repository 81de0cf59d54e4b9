// The security centre's first page: the account, pending "was this you?" questions, and where to go.
import { useState } from 'preact/hooks';
import { defineMessages, fmtTime, useLang } from '../../lib/i18n.ts';
import { ActionForm } from '../../lib/layout.tsx';
import { Empty, Loaded, useAsync } from '../../lib/ui.tsx';
import { api, useMe } from '../session.ts';
import { L, Section, useAction, type Localized } from '../ui.tsx';

const t = defineMessages({
  en: {
    title: 'Security centre',
    signedInAs: 'Signed in as {name} ({handle})',
    state: 'Account state: {state}',
    active: 'active',
    frozen: 'frozen',
    deleted: 'deleted',
    questions: 'Was this you?',
    asked: 'Asked {time}; answer by {expires}.',
    wasMe: 'Yes, it was me',
    notMe: "No, this wasn't me",
    answeredMe: 'Thank you: the held messages go out.',
    answeredNotMe:
      'We locked the intruder out: your account is frozen and every session was ended. Appeal to get it back.',
    stepUp:
      'This sign-in is newer than the activity, so it cannot vouch for it alone. Prove it is you with a code from your authenticator app or one of your recovery codes.',
    stepUpCode: 'Authenticator or recovery code',
    stepUpGo: 'Confirm with this code',
  },
  'zh-CN': {
    title: '安全中心',
    signedInAs: '当前登录：{name}（{handle}）',
    state: '账号状态：{state}',
    active: '正常',
    frozen: '已冻结',
    deleted: '已删除',
    questions: '是你本人吗？',
    asked: '询问时间 {time}；请在 {expires} 前回答。',
    wasMe: '是我本人',
    notMe: '不是我本人',
    answeredMe: '谢谢确认：暂缓的消息将会发出。',
    answeredNotMe: '我们已将入侵者踢出：你的账号已冻结，所有会话均已退出。请申诉找回账号。',
    stepUp: '本次登录晚于这些活动，无法单独为其作证。请用身份验证器应用中的验证码或一个恢复码证明是你本人。',
    stepUpCode: '身份验证器验证码或恢复码',
    stepUpGo: '用此代码确认',
  },
});

interface Challenge {
  id: string;
  text: Localized;
  createdAt: number;
  expiresAt: number;
}

export function Home() {
  useLang();
  const { me } = useMe();
  const list = useAsync(() => api.get<{ challenges: Challenge[] }>('/v1/me/challenges'), []);
  const act = useAction();
  const [done, setDone] = useState<'answeredMe' | 'answeredNotMe' | null>(null);
  const [stepUpFor, setStepUpFor] = useState<string | null>(null);
  /** "It was me"; a session younger than the activity first proves more (a step-up code). */
  const wasMe = async (id: string) => {
    try {
      await api.post(`/v1/me/challenges/${encodeURIComponent(id)}`, { answer: 'was_me' });
    } catch (e) {
      if ((e as { code?: string }).code === 'CHALLENGE_SESSION_TOO_NEW') {
        setStepUpFor(id);
        return;
      }
      throw e;
    }
    setStepUpFor(null);
    setDone('answeredMe');
    list.reload();
  };
  return (
    <main>
      <h1>{t('title')}</h1>
      <p id="signed-in-as">{t('signedInAs', { name: me.displayName, handle: me.handle })}</p>
      <p>{t('state', { state: t(me.state) })}</p>
      <Section id="questions" title={t('questions')}>
        {act.feedback}
        {done ? (
          <p class="ok" role="status">
            {t(done)}
          </p>
        ) : null}
        <Loaded state={list}>
          {(d) => (
            <Empty when={d.challenges.length === 0}>
              <ul class="plain">
                {d.challenges.map((c) => (
                  <li key={c.id} class="stack" data-challenge={c.id}>
                    <p>{L(c.text)}</p>
                    <p class="muted">
                      {t('asked', { time: fmtTime(c.createdAt), expires: fmtTime(c.expiresAt) })}
                    </p>
                    <div class="row">
                      <button type="button" disabled={act.busy} onClick={() => act.run(() => wasMe(c.id))}>
                        {t('wasMe')}
                      </button>
                      <button
                        type="button"
                        class="danger"
                        disabled={act.busy}
                        onClick={() =>
                          act.run(async () => {
                            await api.post(`/v1/me/challenges/${encodeURIComponent(c.id)}`, {
                              answer: 'not_me',
                            });
                            setDone('answeredNotMe');
                            list.reload();
                          })
                        }
                      >
                        {t('notMe')}
                      </button>
                    </div>
                    {stepUpFor === c.id ? (
                      <ActionForm
                        action={(f) => {
                          const code = String(f.get('code')).trim();
                          void act.run(async () => {
                            if (/^\d{6}$/.test(code)) await api.post('/v1/me/step-up/totp', { code });
                            else await api.post('/v1/me/step-up', { recoveryCode: code });
                            await wasMe(c.id);
                          });
                        }}
                      >
                        <p class="error" role="alert">
                          {t('stepUp')}
                        </p>
                        <label>
                          {t('stepUpCode')}
                          <input name="code" autocomplete="one-time-code" required />
                        </label>
                        <button type="submit">{t('stepUpGo')}</button>
                      </ActionForm>
                    ) : null}
                  </li>
                ))}
              </ul>
            </Empty>
          )}
        </Loaded>
      </Section>
    </main>
  );
}
