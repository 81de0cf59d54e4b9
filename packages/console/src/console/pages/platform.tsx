// 6. Webhooks (endpoints, health, dead letters with replay), API keys, third-party apps (registry,
// suspend/resume: the kill switch), the audit log with verify, and operators (admin).
import { useState } from 'preact/hooks';
import { defineMessages, getLang, useLang } from '../../lib/i18n.ts';
import { ActionForm, Table } from '../../lib/layout.tsx';
import { Empty, ErrorBox, Loaded, useAsync } from '../../lib/ui.tsx';
import { Json, ReasonActions, Section, When } from '../parts.tsx';
import { api, atLeast, useSession } from '../session.ts';

const t = defineMessages({
  en: {
    webhooks: 'Webhooks',
    endpoints: 'Endpoints',
    url: 'URL',
    types: 'Types',
    health: 'Pending {p} · retrying {r} · dead {d} · delivered in 24 h {ok}',
    lastError: 'Last error: {e}',
    dead: 'Dead letters',
    type: 'Type',
    account: 'Account',
    attempts: 'Attempts',
    error: 'Last error',
    replayAll: 'Replay all dead letters',
    replay: 'Replay',
    keys: 'API keys',
    name: 'Name',
    scopes: 'Scopes',
    lastUsed: 'Last used',
    revoked: 'revoked',
    revoke: 'Revoke',
    create: 'Create key',
    shownOnce: 'The new key (shown once):',
    apps: 'Third-party apps',
    status: 'Status',
    suspend: 'Suspend (kill switch)',
    resume: 'Resume',
    audit: 'Audit log',
    verify: 'Verify the chain',
    verified: 'The chain verifies: {n} entries, head {seq}.',
    broken: 'The chain is broken:',
    actor: 'Actor',
    action: 'Action',
    subject: 'Subject',
    when: 'When',
    operators: 'Operators',
    role: 'Role',
    handle: 'Operator name',
    add: 'Add operator',
    secretOnce: 'Password and authenticator secret (shown once):',
    disable: 'Disable',
    disabled: 'disabled',
    adminOnly: 'Only an admin manages keys and operators.',
  },
  'zh-CN': {
    webhooks: 'Webhook',
    endpoints: '接收端点',
    url: '地址',
    types: '类型',
    health: '待投递 {p} · 重试中 {r} · 死信 {d} · 24 小时内已投递 {ok}',
    lastError: '最近错误：{e}',
    dead: '死信',
    type: '类型',
    account: '账号',
    attempts: '尝试次数',
    error: '最近错误',
    replayAll: '重放全部死信',
    replay: '重放',
    keys: 'API 密钥',
    name: '名称',
    scopes: '权限范围',
    lastUsed: '最近使用',
    revoked: '已吊销',
    revoke: '吊销',
    create: '创建密钥',
    shownOnce: '新密钥（仅显示一次）：',
    apps: '第三方应用',
    status: '状态',
    suspend: '暂停（紧急开关）',
    resume: '恢复',
    audit: '审计日志',
    verify: '校验哈希链',
    verified: '哈希链校验通过：{n} 条记录，链头 {seq}。',
    broken: '哈希链已损坏：',
    actor: '操作者',
    action: '操作',
    subject: '对象',
    when: '时间',
    operators: '运营人员',
    role: '角色',
    handle: '运营账号',
    add: '添加运营人员',
    secretOnce: '密码与验证器密钥（仅显示一次）：',
    disable: '停用',
    disabled: '已停用',
    adminOnly: '只有管理员可以管理密钥和运营人员。',
  },
});

interface Endpoint {
  id: string;
  url: string;
  types: string[];
  description: string;
}
interface Health {
  endpoint: string;
  pending: number;
  retrying: number;
  dead: number;
  delivered24h: number;
  lastError: string | null;
}
interface Dead {
  messageId: string;
  endpointId: string;
  type: string;
  account: string | null;
  attempts: number;
  lastError: string | null;
  deadAt: number | null;
}

export function Webhooks() {
  useLang();
  const { operator } = useSession();
  const endpoints = useAsync(() => api.get<{ endpoints: Endpoint[] }>('/v1/webhooks/endpoints'), []);
  const health = useAsync(() => api.get<{ endpoints: Health[] }>('/v1/console/webhooks/health'), []);
  const dead = useAsync(() => api.get<{ deadLetters: Dead[] }>('/v1/webhooks/dead?limit=200'), []);
  const canReplay = atLeast(operator.role, 'responder');
  const reload = () => {
    health.reload();
    dead.reload();
  };
  return (
    <main id="content">
      <h1>{t('webhooks')}</h1>
      <Section title={t('endpoints')} id="endpoints">
        <Loaded state={endpoints}>
          {(d) => (
            <Empty when={d.endpoints.length === 0}>
              <ul class="stack" id="endpoint-list">
                {d.endpoints.map((e) => {
                  const h = health.data?.endpoints.find((x) => x.endpoint === e.id);
                  return (
                    <li key={e.id} class="card">
                      <strong>{e.url}</strong> <span class="muted">{e.description}</span>
                      <div class="muted">{e.types.join(', ') || '*'}</div>
                      {h ? (
                        <div>
                          {t('health', { p: h.pending, r: h.retrying, d: h.dead, ok: h.delivered24h })}
                          {h.lastError ? <div class="muted">{t('lastError', { e: h.lastError })}</div> : null}
                        </div>
                      ) : null}
                    </li>
                  );
                })}
              </ul>
            </Empty>
          )}
        </Loaded>
      </Section>
      <Section title={t('dead')} id="dead">
        <Loaded state={dead}>
          {(d) => (
            <Empty when={d.deadLetters.length === 0}>
              {canReplay ? (
                <ReasonActions
                  idPrefix="replay-all"
                  needsReason={false}
                  onDone={reload}
                  buttons={[
                    {
                      label: t('replayAll'),
                      id: 'replay-all',
                      run: () => api.post('/v1/webhooks/replay', { all: true }),
                    },
                  ]}
                />
              ) : null}
              <Table
                id="dead-list"
                columns={[
                  { head: t('type'), cell: (x) => x.type },
                  { head: t('account'), cell: (x) => x.account ?? '—' },
                  { head: t('attempts'), cell: (x) => x.attempts },
                  { head: t('error'), cell: (x) => x.lastError ?? '—' },
                  { head: t('when'), cell: (x) => <When at={x.deadAt} /> },
                  {
                    head: t('replay'),
                    cell: (x) =>
                      canReplay ? (
                        <button
                          type="button"
                          class="secondary"
                          onClick={() =>
                            api
                              .post('/v1/webhooks/replay', {
                                messageIds: [x.messageId],
                                endpoint: x.endpointId,
                              })
                              .then(reload)
                          }
                        >
                          {t('replay')}
                        </button>
                      ) : null,
                  },
                ]}
                rows={d.deadLetters}
                rowKey={(x) => `${x.endpointId}:${x.messageId}`}
              />
            </Empty>
          )}
        </Loaded>
      </Section>
    </main>
  );
}

interface Key {
  id: string;
  name: string;
  scopes: string[];
  lastUsedAt: number | null;
  revokedAt: number | null;
}
interface Operator {
  id: string;
  handle: string;
  role: string;
  disabledAt: number | null;
}

export function Access() {
  useLang();
  const { operator } = useSession();
  if (operator.role !== 'admin')
    return (
      <main id="content">
        <h1>{t('keys')}</h1>
        <p>{t('adminOnly')}</p>
      </main>
    );
  return <AccessAdmin />;
}

function AccessAdmin() {
  useLang();
  const keys = useAsync(() => api.get<{ keys: Key[] }>('/v1/console/keys'), []);
  const ops = useAsync(() => api.get<{ operators: Operator[] }>('/v1/console/operators'), []);
  const [created, setCreated] = useState<string>();
  const [opSecret, setOpSecret] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  return (
    <main id="content">
      <h1>{t('keys')}</h1>
      <ErrorBox error={error} />
      <Section title={t('keys')} id="keys">
        <Loaded state={keys}>
          {(d) => (
            <Table
              id="key-list"
              columns={[
                {
                  head: t('name'),
                  cell: (k) => (
                    <>
                      {k.name} <code>{k.id}</code>
                    </>
                  ),
                },
                { head: t('scopes'), cell: (k) => k.scopes.join(', ') },
                { head: t('lastUsed'), cell: (k) => <When at={k.lastUsedAt} /> },
                {
                  head: t('revoke'),
                  cell: (k) =>
                    k.revokedAt ? (
                      t('revoked')
                    ) : (
                      <button
                        type="button"
                        class="danger"
                        onClick={() =>
                          api.post(`/v1/console/keys/${k.id}/revoke`).then(keys.reload, setError)
                        }
                      >
                        {t('revoke')}
                      </button>
                    ),
                },
              ]}
              rows={d.keys}
              rowKey={(k) => k.id}
              rowAttrs={(k) => ({ 'data-key': k.id })}
            />
          )}
        </Loaded>
        <ActionForm
          submit={t('create')}
          onError={setError}
          action={async (f) => {
            const r = await api.post<{ key: string }>('/v1/console/keys', {
              name: f.get('name'),
              scopes: String(f.get('scopes') ?? '')
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            });
            setCreated(r.key);
            keys.reload();
          }}
        >
          <label>
            {t('name')}
            <input name="name" required maxLength={100} />
          </label>
          <label>
            {t('scopes')}
            <input name="scopes" required placeholder="events:write" />
          </label>
        </ActionForm>
        {created ? (
          <p role="status">
            {t('shownOnce')} <code id="new-key">{created}</code>
          </p>
        ) : null}
      </Section>
      <Section title={t('operators')} id="operators">
        <Loaded state={ops}>
          {(d) => (
            <ul>
              {d.operators.map((o) => (
                <li key={o.id}>
                  {o.handle} · {o.role} {o.disabledAt ? `· ${t('disabled')}` : ''}
                  {!o.disabledAt ? (
                    <>
                      {' '}
                      <button
                        type="button"
                        class="secondary"
                        onClick={() =>
                          api.post(`/v1/console/operators/${o.id}/disable`).then(ops.reload, setError)
                        }
                      >
                        {t('disable')}
                      </button>
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </Loaded>
        <ActionForm
          submit={t('add')}
          onError={setError}
          action={async (f) => {
            setOpSecret(
              await api.post('/v1/console/operators', { handle: f.get('handle'), role: f.get('role') }),
            );
            ops.reload();
          }}
        >
          <label>
            {t('handle')}
            <input name="handle" required minLength={3} maxLength={32} />
          </label>
          <label>
            {t('role')}
            <select name="role">
              {['viewer', 'analyst', 'responder', 'admin'].map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
        </ActionForm>
        {opSecret ? (
          <div role="status">
            {t('secretOnce')}
            <Json value={opSecret} />
          </div>
        ) : null}
      </Section>
    </main>
  );
}

interface App {
  id: string;
  name: { en: string; zh: string } | Record<string, string>;
  status: 'active' | 'suspended';
  statusReason: string | null;
  verified: boolean;
  scopes: string[];
}

export function Apps() {
  useLang();
  const { operator } = useSession();
  const apps = useAsync(() => api.get<{ apps: App[] }>('/v1/oauth/apps'), []);
  const name = (a: App) => {
    const n = a.name as Record<string, string>;
    return (getLang() === 'zh-CN' ? (n.zh ?? n['zh-CN']) : n.en) ?? Object.values(n)[0] ?? a.id;
  };
  return (
    <main id="content">
      <h1>{t('apps')}</h1>
      <Loaded state={apps}>
        {(d) => (
          <Empty when={d.apps.length === 0}>
            <ul class="stack" id="app-list">
              {d.apps.map((a) => (
                <li key={a.id} class="card" data-app={a.id}>
                  <strong>{name(a)}</strong> <code>{a.id}</code> ·{' '}
                  <span class="app-status">
                    {t('status')}: {a.status}
                  </span>
                  {a.statusReason ? <span class="muted"> ({a.statusReason})</span> : null}
                  <div class="muted">{a.scopes.join(' ')}</div>
                  {atLeast(operator.role, 'responder') ? (
                    <ReasonActions
                      idPrefix={`app-${a.id}`}
                      onDone={apps.reload}
                      buttons={
                        a.status === 'active'
                          ? [
                              {
                                label: t('suspend'),
                                danger: true,
                                run: (reason) =>
                                  api.post(`/v1/oauth/apps/${encodeURIComponent(a.id)}/suspend`, { reason }),
                              },
                            ]
                          : [
                              {
                                label: t('resume'),
                                run: (reason) =>
                                  api.post(`/v1/oauth/apps/${encodeURIComponent(a.id)}/resume`, { reason }),
                              },
                            ]
                      }
                    />
                  ) : null}
                </li>
              ))}
            </ul>
          </Empty>
        )}
      </Loaded>
    </main>
  );
}

interface Entry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  data: Record<string, unknown>;
}
interface Verify {
  ok: boolean;
  count: number;
  head: { seq: number };
  problems: { kind: string; seq: number; detail: string }[];
}

export function Audit() {
  useLang();
  const head = useAsync(() => api.get<{ head: { seq: number } }>('/v1/audit?limit=1'), []);
  const after = head.data ? Math.max(0, head.data.head.seq - 200) : undefined;
  const entries = useAsync(
    () =>
      after === undefined
        ? Promise.resolve({ entries: [] as Entry[] })
        : api.get<{ entries: Entry[] }>(`/v1/audit?after=${after}&limit=200`),
    [after],
  );
  const [verify, setVerify] = useState<Verify>();
  const [error, setError] = useState<unknown>();
  return (
    <main id="content">
      <h1>{t('audit')}</h1>
      <div class="row">
        <button
          type="button"
          id="verify"
          onClick={() => api.get<Verify>('/v1/console/audit/verify').then(setVerify, setError)}
        >
          {t('verify')}
        </button>
      </div>
      <ErrorBox error={error} />
      {verify ? (
        verify.ok ? (
          <p class="ok" role="status" id="verify-result">
            {t('verified', { n: verify.count, seq: verify.head.seq })}
          </p>
        ) : (
          <div class="error" role="alert" id="verify-result">
            {t('broken')}
            <ul>
              {verify.problems.map((p, i) => (
                <li key={i}>{p.detail}</li>
              ))}
            </ul>
          </div>
        )
      ) : null}
      <Loaded state={entries}>
        {(d) => (
          <Table
            id="audit-list"
            columns={[
              { head: '#', cell: (e) => e.seq },
              { head: t('when'), cell: (e) => <When at={e.at} /> },
              { head: t('actor'), cell: (e) => e.actor },
              { head: t('action'), cell: (e) => e.action },
              { head: t('subject'), cell: (e) => e.subject },
            ]}
            rows={[...d.entries].reverse()}
            rowKey={(e) => e.seq}
          />
        )}
      </Loaded>
    </main>
  );
}
