// How the owner gets the account back if it is taken: recovery codes, trusted friends, verified email
// addresses and phone numbers, friends' appeals waiting for this owner's confirmation, and the log of
// changes to all of these with "this wasn't me".
import { useState } from 'preact/hooks';
import { defineMessages, fmtTime, useLang } from '../../lib/i18n.ts';
import { ActionForm } from '../../lib/layout.tsx';
import { Empty, Loaded, useAsync } from '../../lib/ui.tsx';
import { api } from '../session.ts';
import { L, Section, useAction, type Localized } from '../ui.tsx';

const t = defineMessages({
  en: {
    title: 'Account recovery',
    help: 'New or changed recovery settings count only after a waiting period, and every change is announced to you.',
    codes: 'Recovery codes',
    codesLeft: '{n} unused codes.',
    countsFrom: 'They count from {time}.',
    generate: 'Make 10 new codes',
    saveThem: 'Save these codes somewhere safe. They are shown only once.',
    friends: 'Trusted friends',
    friendsHelp: 'Handles of up to 10 friends who can confirm it is you, one per line.',
    friendHandles: 'Friends’ handles',
    saveFriends: 'Save trusted friends',
    channels: 'Email addresses and phone numbers',
    kind: 'Kind',
    email: 'Email',
    phone: 'Phone',
    address: 'Address or number',
    addChannel: 'Add',
    verified: 'verified',
    unverified: 'not verified',
    code: 'Code sent to {address}',
    verify: 'Verify',
    remove: 'Remove',
    changes: 'Recent changes',
    notMe: "This wasn't me",
    disputed: 'reported as not you',
    vouch: 'Friends asking you to confirm',
    vouchHelp: 'Only confirm if the friend asked you in person or by a phone call you recognised.',
    ownerHandle: 'Friend’s handle',
    vouchCode: 'The code they gave you',
    confirmFriend: 'Confirm it is them',
  },
  'zh-CN': {
    title: '账号找回',
    help: '新增或修改的找回设置需等待一段时间后才生效，每次修改都会通知你。',
    codes: '恢复码',
    codesLeft: '剩余 {n} 个未使用的恢复码。',
    countsFrom: '自 {time} 起生效。',
    generate: '生成 10 个新恢复码',
    saveThem: '请把这些恢复码保存在安全的地方，它们只显示这一次。',
    friends: '可信好友',
    friendsHelp: '最多 10 位可以证明你身份的好友的账号，每行一个。',
    friendHandles: '好友账号',
    saveFriends: '保存可信好友',
    channels: '邮箱与手机号',
    kind: '类型',
    email: '邮箱',
    phone: '手机',
    address: '地址或号码',
    addChannel: '添加',
    verified: '已验证',
    unverified: '未验证',
    code: '发送到 {address} 的验证码',
    verify: '验证',
    remove: '删除',
    changes: '最近的修改',
    notMe: '不是我本人',
    disputed: '已报告不是本人',
    vouch: '请你确认身份的好友',
    vouchHelp: '只有在好友当面或通过你熟悉的电话联系你时才确认。',
    ownerHandle: '好友账号',
    vouchCode: '好友给你的代码',
    confirmFriend: '确认是本人',
  },
});

interface Channel {
  id: string;
  kind: 'email' | 'phone';
  address: string;
  verified: boolean;
  usableFrom: number | null;
  removedAt: number | null;
}
interface Change {
  id: string;
  factor: string;
  action: string;
  at: number;
  disputedAt: number | null;
}
interface VouchRequest {
  owner: string;
  openedAt: number;
  origin: { network: string; country: string | null; device: string };
  warning: Localized;
}

export function Recovery() {
  useLang();
  const codes = useAsync(
    () => api.get<{ remaining: number; usableFrom: number | null }>('/v1/me/recovery/codes'),
    [],
  );
  const friends = useAsync(
    () => api.get<{ friends: { handle: string }[]; usableFrom: number | null }>('/v1/me/recovery/friends'),
    [],
  );
  const channels = useAsync(() => api.get<{ channels: Channel[] }>('/v1/me/recovery/channels'), []);
  const changes = useAsync(() => api.get<{ changes: Change[] }>('/v1/me/recovery/changes'), []);
  const vouch = useAsync(() => api.get<{ requests: VouchRequest[] }>('/v1/me/recovery/vouch-requests'), []);
  const act = useAction();
  const [fresh, setFresh] = useState<string[] | null>(null);
  const reloadAll = () => {
    codes.reload();
    friends.reload();
    channels.reload();
    changes.reload();
  };
  return (
    <main>
      <h1>{t('title')}</h1>
      <p class="muted">{t('help')}</p>
      {act.prompt}
      {act.feedback}
      <Section id="codes" title={t('codes')}>
        <Loaded state={codes}>
          {(c) => (
            <p id="codes-left">
              {t('codesLeft', { n: c.remaining })}{' '}
              {c.usableFrom ? t('countsFrom', { time: fmtTime(c.usableFrom) }) : ''}
            </p>
          )}
        </Loaded>
        {fresh ? (
          <div class="stack">
            <p class="ok">{t('saveThem')}</p>
            <ol class="codes" id="new-codes">
              {fresh.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ol>
          </div>
        ) : null}
        <button
          type="button"
          disabled={act.busy}
          onClick={() =>
            act.run(async () => {
              setFresh((await api.post<{ codes: string[] }>('/v1/me/recovery/codes')).codes);
              reloadAll();
            })
          }
        >
          {t('generate')}
        </button>
      </Section>
      <Section id="friends" title={t('friends')}>
        <Loaded state={friends}>
          {(f) => (
            <ActionForm
              submit={t('saveFriends')}
              busy={act.busy}
              action={(f) => {
                const text = String(f.get('handles'));
                const handles = text
                  .split(/[\s,，]+/)
                  .map((h) => h.trim())
                  .filter(Boolean);
                void act.run(async () => {
                  await api.put('/v1/me/recovery/friends', { handles });
                  reloadAll();
                });
              }}
            >
              <label>
                {t('friendHandles')}
                <textarea name="handles" rows={3} aria-describedby="friends-help">
                  {f.friends.map((x) => x.handle).join('\n')}
                </textarea>
              </label>
              <p class="muted" id="friends-help">
                {t('friendsHelp')} {f.usableFrom ? t('countsFrom', { time: fmtTime(f.usableFrom) }) : ''}
              </p>
            </ActionForm>
          )}
        </Loaded>
      </Section>
      <Section id="channels" title={t('channels')}>
        <Loaded state={channels}>
          {(d) => (
            <ul class="plain">
              {d.channels
                .filter((c) => !c.removedAt)
                .map((c) => (
                  <li key={c.id} class="item" data-channel={c.id}>
                    <span>
                      {c.kind === 'email' ? t('email') : t('phone')}: <strong>{c.address}</strong>{' '}
                      <span class={c.verified ? 'badge ok' : 'badge'}>
                        {c.verified ? t('verified') : t('unverified')}
                      </span>
                    </span>
                    {c.verified ? null : (
                      <ActionForm
                        layout="row"
                        submit={t('verify')}
                        busy={act.busy}
                        action={(f) => {
                          const code = String(f.get('code'));
                          void act.run(async () => {
                            await api.post(`/v1/me/recovery/channels/${encodeURIComponent(c.id)}/verify`, {
                              code,
                            });
                            reloadAll();
                          });
                        }}
                      >
                        <label>
                          {t('code', { address: c.address })}
                          <input name="code" inputMode="numeric" autocomplete="one-time-code" required />
                        </label>
                      </ActionForm>
                    )}
                    <button
                      type="button"
                      class="danger"
                      aria-label={`${t('remove')}: ${c.address}`}
                      disabled={act.busy}
                      onClick={() =>
                        act.run(async () => {
                          await api.del(`/v1/me/recovery/channels/${encodeURIComponent(c.id)}`);
                          reloadAll();
                        })
                      }
                    >
                      {t('remove')}
                    </button>
                  </li>
                ))}
            </ul>
          )}
        </Loaded>
        <ActionForm
          layout="row"
          submit={t('addChannel')}
          busy={act.busy}
          action={(f) => {
            void act.run(async () => {
              await api.post('/v1/me/recovery/channels', { kind: f.get('kind'), address: f.get('address') });
              reloadAll();
            });
          }}
        >
          <label>
            {t('kind')}
            <select name="kind">
              <option value="email">{t('email')}</option>
              <option value="phone">{t('phone')}</option>
            </select>
          </label>
          <label>
            {t('address')}
            <input name="address" required maxLength={254} />
          </label>
        </ActionForm>
      </Section>
      <Section id="changes" title={t('changes')}>
        <Loaded state={changes}>
          {(d) => (
            <Empty when={d.changes.length === 0}>
              <ul class="plain">
                {d.changes.map((c) => (
                  <li key={c.id} class="item">
                    <span>
                      {fmtTime(c.at)} · {c.factor} · {c.action}
                    </span>
                    {c.disputedAt ? (
                      <span class="badge">{t('disputed')}</span>
                    ) : (
                      <button
                        type="button"
                        class="danger"
                        disabled={act.busy}
                        onClick={() =>
                          act.run(async () => {
                            await api.post(`/v1/me/recovery/changes/${encodeURIComponent(c.id)}/not-me`);
                            location.reload();
                          })
                        }
                      >
                        {t('notMe')}
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            </Empty>
          )}
        </Loaded>
      </Section>
      <Section id="vouch" title={t('vouch')}>
        <p class="muted">{t('vouchHelp')}</p>
        <Loaded state={vouch}>
          {(d) => (
            <ul class="plain">
              {d.requests.map((r, i) => (
                <li key={i}>
                  <strong>{r.owner}</strong> · {fmtTime(r.openedAt)} · {r.origin.device} · {r.origin.network}
                  {r.origin.country ? ` (${r.origin.country})` : ''} <span class="error">{L(r.warning)}</span>
                </li>
              ))}
            </ul>
          )}
        </Loaded>
        <ActionForm
          layout="row"
          submit={t('confirmFriend')}
          busy={act.busy}
          action={(f) => {
            void act.run(async () => {
              await api.post('/v1/me/recovery/vouch', { owner: f.get('owner'), code: f.get('code') });
              vouch.reload();
            });
          }}
        >
          <label>
            {t('ownerHandle')}
            <input name="owner" required />
          </label>
          <label>
            {t('vouchCode')}
            <input name="code" required />
          </label>
        </ActionForm>
      </Section>
    </main>
  );
}
