// Third-party apps the owner authorised: the fields each was granted, when, its last access, what it
// read (the data access log), and revoke.
import { defineMessages, fmtTime, useLang } from '../../lib/i18n.ts';
import { Table } from '../../lib/layout.tsx';
import { Empty, Loaded, useAsync } from '../../lib/ui.tsx';
import { api } from '../session.ts';
import { L, Section, useAction, type Localized } from '../ui.tsx';

const t = defineMessages({
  en: {
    title: 'Authorised apps',
    fields: 'Can read: {fields}',
    authorised: 'Authorised {time}',
    lastAccess: 'last access {time}',
    neverUsed: 'never used',
    suspended: 'switched off by the platform',
    verifiedApp: 'verified',
    revoke: 'Revoke',
    log: 'What apps read',
    when: 'When',
    app: 'App',
    read: 'Fields',
    from: 'From network',
  },
  'zh-CN': {
    title: '已授权的应用',
    fields: '可读取：{fields}',
    authorised: '授权于 {time}',
    lastAccess: '最近访问 {time}',
    neverUsed: '从未使用',
    suspended: '已被平台停用',
    verifiedApp: '已认证',
    revoke: '撤销授权',
    log: '应用读取记录',
    when: '时间',
    app: '应用',
    read: '字段',
    from: '来源网络',
  },
});

interface AppRow {
  client: string;
  name: Localized;
  verified: boolean;
  status: 'active' | 'suspended';
  scopes: string[];
  authorisedAt: number;
  lastAccessAt: number | null;
}
interface Access {
  seq: number;
  client: string;
  fields: string[];
  network: string;
  at: number;
}

export function Apps() {
  useLang();
  const apps = useAsync(() => api.get<{ apps: AppRow[] }>('/v1/me/apps'), []);
  const log = useAsync(() => api.get<{ access: Access[] }>('/v1/me/apps/access?limit=100'), []);
  const act = useAction();
  const nameOf = (client: string) => {
    const a = apps.data?.apps.find((x) => x.client === client);
    return a ? L(a.name) : client;
  };
  return (
    <main>
      <h1>{t('title')}</h1>
      {act.feedback}
      <Section id="apps" title={t('title')}>
        <Loaded state={apps}>
          {(d) => (
            <Empty when={d.apps.length === 0}>
              <ul class="plain">
                {d.apps.map((a) => (
                  <li key={a.client} class="item" data-app={a.client}>
                    <div class="stack">
                      <strong>
                        {L(a.name)} {a.verified ? <span class="badge ok">{t('verifiedApp')}</span> : null}{' '}
                        {a.status === 'suspended' ? <span class="badge">{t('suspended')}</span> : null}
                      </strong>
                      <span>{t('fields', { fields: a.scopes.join(', ') })}</span>
                      <span class="muted">
                        {t('authorised', { time: fmtTime(a.authorisedAt) })} ·{' '}
                        {a.lastAccessAt ? t('lastAccess', { time: fmtTime(a.lastAccessAt) }) : t('neverUsed')}
                      </span>
                    </div>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`${t('revoke')}: ${L(a.name)}`}
                      disabled={act.busy}
                      onClick={() =>
                        act.run(async () => {
                          await api.del(`/v1/me/apps/${encodeURIComponent(a.client)}`);
                          apps.reload();
                          log.reload();
                        })
                      }
                    >
                      {t('revoke')}
                    </button>
                  </li>
                ))}
              </ul>
            </Empty>
          )}
        </Loaded>
      </Section>
      <Section id="access" title={t('log')}>
        <Loaded state={log}>
          {(d) => (
            <Empty when={d.access.length === 0}>
              <Table
                label={t('log')}
                columns={[
                  { head: t('when'), cell: (x) => fmtTime(x.at) },
                  { head: t('app'), cell: (x) => nameOf(x.client) },
                  { head: t('read'), cell: (x) => x.fields.join(', ') },
                  { head: t('from'), cell: (x) => x.network },
                ]}
                rows={d.access}
                rowKey={(x) => x.seq}
              />
            </Empty>
          )}
        </Loaded>
      </Section>
    </main>
  );
}
