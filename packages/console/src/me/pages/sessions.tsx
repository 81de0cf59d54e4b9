// Sessions and devices (with where they are, and "sign out"), and the sign-in history.
import { useState } from 'preact/hooks';
import { defineMessages, fmtTime, useLang } from '../../lib/i18n.ts';
import { Table } from '../../lib/layout.tsx';
import { Empty, Loaded, useAsync } from '../../lib/ui.tsx';
import { api } from '../session.ts';
import { deviceName, L, Section, useAction, type Localized } from '../ui.tsx';

const t = defineMessages({
  en: {
    title: 'Sessions and devices',
    device: 'Device',
    where: 'Where',
    signedIn: 'Signed in',
    lastSeen: 'Last active',
    how: 'How',
    thisOne: 'this device',
    signOut: 'Sign out',
    signOutOthers: 'Sign out everywhere else',
    probation: 'on probation until {time}',
    history: 'Sign-in history',
    when: 'When',
    result: 'Result',
    ok: 'signed in',
    failed: 'refused ({reason})',
    unknownPlace: 'unknown place',
  },
  'zh-CN': {
    title: '会话与设备',
    device: '设备',
    where: '位置',
    signedIn: '登录时间',
    lastSeen: '最近活动',
    how: '方式',
    thisOne: '当前设备',
    signOut: '退出登录',
    signOutOthers: '退出其他所有设备',
    probation: '观察期至 {time}',
    history: '登录记录',
    when: '时间',
    result: '结果',
    ok: '登录成功',
    failed: '被拒绝（{reason}）',
    unknownPlace: '位置未知',
  },
});

interface Device {
  label: string;
  browser?: string;
  os?: string;
  deviceType?: string;
}
interface SessionRow {
  id: string;
  method: string;
  device: Device;
  ip: string;
  location: Localized | null;
  createdAt: number;
  lastSeenAt: number;
  current: boolean;
  probationUntil?: number | null;
}
interface SigninRow {
  seq: number;
  success: boolean;
  reason: string;
  method: string;
  ip: string;
  location: Localized | null;
  device: Device;
  at: number;
}

const place = (s: { ip: string; location: Localized | null }) =>
  `${s.location ? L(s.location) : t('unknownPlace')} · ${s.ip}`;

export function Sessions() {
  useLang();
  const sessions = useAsync(() => api.get<{ sessions: SessionRow[] }>('/v1/me/sessions'), []);
  const signins = useAsync(() => api.get<{ signins: SigninRow[] }>('/v1/me/signins?limit=50'), []);
  const act = useAction();
  // a session too new to sign out older ones keeps them (the answer says why: identity/session-age.ts)
  const [kept, setKept] = useState<Localized | null>(null);
  return (
    <main>
      <h1>{t('title')}</h1>
      {act.feedback}
      {kept ? (
        <p class="notice" role="status" id="sessions-kept">
          {L(kept)}
        </p>
      ) : null}
      <Section id="sessions" title={t('title')}>
        <Loaded state={sessions}>
          {(d) => (
            <>
              <ul class="plain">
                {d.sessions.map((s) => (
                  <li key={s.id} class="item" data-session={s.id}>
                    <div class="stack">
                      <strong>
                        {deviceName(s.device)} {s.current ? <span class="badge">{t('thisOne')}</span> : null}
                      </strong>
                      <span>
                        {t('where')}: {place(s)}
                      </span>
                      <span class="muted">
                        {t('how')}: {s.method} · {t('signedIn')}: {fmtTime(s.createdAt)} · {t('lastSeen')}:{' '}
                        {fmtTime(s.lastSeenAt)}
                        {s.probationUntil ? ` · ${t('probation', { time: fmtTime(s.probationUntil) })}` : ''}
                      </span>
                    </div>
                    {s.current ? null : (
                      <button
                        type="button"
                        class="danger"
                        aria-label={`${t('signOut')}: ${deviceName(s.device)}, ${place(s)}`}
                        disabled={act.busy}
                        onClick={() =>
                          act.run(async () => {
                            await api.del(`/v1/me/sessions/${encodeURIComponent(s.id)}`);
                            sessions.reload();
                          })
                        }
                      >
                        {t('signOut')}
                      </button>
                    )}
                  </li>
                ))}
              </ul>
              {d.sessions.length > 1 ? (
                <button
                  type="button"
                  class="secondary"
                  disabled={act.busy}
                  onClick={() =>
                    act.run(async () => {
                      const r = await api.post<{ revoked: number; notice?: Localized }>(
                        '/v1/me/sessions/revoke-others',
                      );
                      setKept(r.notice ?? null);
                      sessions.reload();
                    })
                  }
                >
                  {t('signOutOthers')}
                </button>
              ) : null}
            </>
          )}
        </Loaded>
      </Section>
      <Section id="signins" title={t('history')}>
        <Loaded state={signins}>
          {(d) => (
            <Empty when={d.signins.length === 0}>
              <Table
                label={t('history')}
                columns={[
                  { head: t('when'), cell: (s) => fmtTime(s.at) },
                  {
                    head: t('result'),
                    class: (s) => (s.success ? 'ok' : 'error'),
                    cell: (s) => (
                      <>
                        {s.success ? t('ok') : t('failed', { reason: s.reason })} · {s.method}
                      </>
                    ),
                  },
                  { head: t('device'), cell: (s) => deviceName(s.device) },
                  { head: t('where'), cell: (s) => place(s) },
                ]}
                rows={d.signins}
                rowKey={(s) => s.seq}
              />
            </Empty>
          )}
        </Loaded>
      </Section>
    </main>
  );
}
