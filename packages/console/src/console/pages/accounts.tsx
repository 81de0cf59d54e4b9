// 2. Accounts: find one by id or handle, then its page: profile state, sessions and devices, sign-ins,
// the risk timeline with each decision's signals and reasons, actions taken and planned (dry-run),
// messages held, and the operator's buttons (freeze as containment or sanction, unfreeze, revoke
// sessions, release holds), each with a reason.
import { useLocation, useRoute } from 'preact-iso';
import { qs } from '../../lib/api.ts';
import { defineMessages, getLang, useLang } from '../../lib/i18n.ts';
import { ActionForm, Table } from '../../lib/layout.tsx';
import { Empty, Loaded, useAsync } from '../../lib/ui.tsx';
import { ReasonActions, Section, When } from '../parts.tsx';
import { api, atLeast, useSession } from '../session.ts';
import { explainSignal } from '../explain.ts';

const t = defineMessages({
  en: {
    title: 'Accounts',
    find: 'Account id or handle',
    open: 'Open',
    profile: 'Profile',
    state: 'State',
    kind: 'Freeze kind',
    reason: 'Reason',
    since: 'Frozen at',
    created: 'Created',
    sessions: 'Sessions and devices',
    device: 'Device',
    ip: 'Address',
    started: 'Started',
    lastSeen: 'Last seen',
    signins: 'Sign-ins',
    result: 'Result',
    ok: 'success',
    failed: 'failed',
    method: 'Method',
    when: 'When',
    risk: 'Risk timeline',
    riskNow: 'Risk now: {risk}',
    contained: 'contained by the engine',
    decision: 'Decision',
    signals: 'Signals',
    actions: 'Actions taken and planned',
    mode: 'Mode',
    rule: 'Rule',
    status: 'Status',
    dryRun: 'dry-run (would have done)',
    enforce: 'done',
    holds: 'Held messages',
    release: 'Release',
    confirm: 'Confirm (drop)',
    operate: 'Operator actions',
    freezeContain: 'Freeze as containment',
    freezeSanction: 'Freeze as sanction',
    unfreeze: 'Unfreeze',
    revoke: 'Revoke all sessions',
    readOnly: 'Your role ({role}) can look but not act.',
  },
  'zh-CN': {
    title: '账号',
    find: '账号 ID 或用户名',
    open: '打开',
    profile: '账号资料',
    state: '状态',
    kind: '冻结类型',
    reason: '原因',
    since: '冻结时间',
    created: '创建时间',
    sessions: '会话与设备',
    device: '设备',
    ip: '地址',
    started: '开始',
    lastSeen: '最近活动',
    signins: '登录记录',
    result: '结果',
    ok: '成功',
    failed: '失败',
    method: '方式',
    when: '时间',
    risk: '风险时间线',
    riskNow: '当前风险：{risk}',
    contained: '引擎已遏制',
    decision: '决策',
    signals: '信号',
    actions: '已执行与计划的处置',
    mode: '模式',
    rule: '规则',
    status: '状态',
    dryRun: '演练（本会执行）',
    enforce: '已执行',
    holds: '被扣留的消息',
    release: '放行',
    confirm: '确认（丢弃）',
    operate: '运营操作',
    freezeContain: '冻结（遏制）',
    freezeSanction: '冻结（处罚）',
    unfreeze: '解冻',
    revoke: '结束全部会话',
    readOnly: '你的角色（{role}）只能查看，不能操作。',
  },
});

interface Account {
  id: string;
  handle: string;
  displayName: string;
  state: string;
  stateReason: string | null;
  freezeKind: string | null;
  frozenAt: number | null;
  createdAt: number;
}
interface Device {
  label: string;
}
interface Session {
  id: string;
  method: string;
  device: Device;
  ip: string;
  createdAt: number;
  lastSeenAt: number;
}
interface Signin {
  seq: number;
  success: boolean;
  reason: string;
  method: string;
  ip: string;
  device: Device;
  at: number;
}
export interface Signal {
  name: string;
  value: number;
  logOdds?: number;
  reason?: { en?: string; zh?: string };
}
interface Decision {
  id: string;
  eventType: string;
  time: number;
  action: string;
  risk: number;
  reasons: { signal: string; en: string; zh: string }[];
  signals: Signal[];
}
interface Risk {
  risk: number;
  contained: boolean;
  decisions: Decision[];
}
interface Action {
  id: string;
  kind: string;
  rule: string;
  mode: string;
  status: string;
  createdAt: number;
}
export interface Hold {
  message: string;
  account: string;
  createdAt: number;
  expiresAt: number;
  event: { text?: string; to?: unknown } | null;
  verdict: { action?: string; risk?: number } | null;
}

export function AccountSearch() {
  useLang();
  const { route } = useLocation();
  return (
    <main id="content">
      <h1>{t('title')}</h1>
      <ActionForm
        role="search"
        submit={t('open')}
        action={async (f) => {
          const q = String(f.get('q') ?? '');
          const a = await api.get<{ id: string }>(`/v1/console/accounts/find${qs({ q })}`);
          route(`/console/accounts/${encodeURIComponent(a.id)}`);
        }}
      >
        <label>
          {t('find')}
          <input name="q" required />
        </label>
      </ActionForm>
    </main>
  );
}

export function AccountPage() {
  const lang = useLang();
  const { params } = useRoute();
  const id = params.id ?? '';
  const { operator } = useSession();
  const enc = encodeURIComponent(id);
  const account = useAsync(() => api.get<Account>(`/v1/accounts/${enc}`), [id]);
  const sessions = useAsync(() => api.get<{ sessions: Session[] }>(`/v1/accounts/${enc}/sessions`), [id]);
  const signins = useAsync(
    () => api.get<{ signins: Signin[] }>(`/v1/accounts/${enc}/signins?limit=20`),
    [id],
  );
  const risk = useAsync(() => api.get<Risk>(`/v1/accounts/${enc}/risk`), [id]);
  const actions = useAsync(
    () => api.get<{ actions: Action[] }>(`/v1/actions${qs({ account: id, limit: 50 })}`),
    [id],
  );
  const holds = useAsync(() => api.get<{ holds: Hold[] }>(`/v1/console/holds${qs({ account: id })}`), [id]);
  const reloadAll = () => {
    account.reload();
    sessions.reload();
    actions.reload();
    holds.reload();
  };
  const canAct = atLeast(operator.role, 'responder');
  return (
    <main id="content">
      <Loaded state={account}>
        {(a) => (
          <>
            <h1>
              {a.displayName} <span class="muted">@{a.handle}</span>
            </h1>
            <div class="grid">
              <Section title={t('profile')} id="profile">
                <dl>
                  <dt>{t('state')}</dt>
                  <dd id="account-state">{a.state}</dd>
                  {a.freezeKind ? (
                    <>
                      <dt>{t('kind')}</dt>
                      <dd id="freeze-kind">{a.freezeKind}</dd>
                      <dt>{t('reason')}</dt>
                      <dd>{a.stateReason}</dd>
                      <dt>{t('since')}</dt>
                      <dd>
                        <When at={a.frozenAt} />
                      </dd>
                    </>
                  ) : null}
                  <dt>{t('created')}</dt>
                  <dd>
                    <When at={a.createdAt} />
                  </dd>
                </dl>
              </Section>
              <Section title={t('operate')} id="operate">
                {canAct ? (
                  <ReasonActions
                    idPrefix="account"
                    onDone={reloadAll}
                    buttons={[
                      ...(a.state === 'frozen'
                        ? [
                            {
                              label: t('unfreeze'),
                              id: 'unfreeze',
                              run: (reason: string) => api.post(`/v1/accounts/${enc}/unfreeze`, { reason }),
                            },
                          ]
                        : [
                            {
                              label: t('freezeContain'),
                              id: 'freeze-containment',
                              danger: true,
                              run: (reason: string) =>
                                api.post(`/v1/accounts/${enc}/freeze`, { reason, kind: 'containment' }),
                            },
                            {
                              label: t('freezeSanction'),
                              id: 'freeze-sanction',
                              danger: true,
                              run: (reason: string) =>
                                api.post(`/v1/accounts/${enc}/freeze`, { reason, kind: 'sanction' }),
                            },
                          ]),
                      {
                        label: t('revoke'),
                        id: 'revoke-sessions',
                        run: () => api.post(`/v1/accounts/${enc}/sessions/revoke-all`),
                      },
                    ]}
                  />
                ) : (
                  <p>{t('readOnly', { role: operator.role })}</p>
                )}
              </Section>
            </div>
          </>
        )}
      </Loaded>
      <Section title={t('holds')} id="holds">
        <Loaded state={holds}>
          {(d) => (
            <Empty when={d.holds.length === 0}>
              <HoldList holds={d.holds} canAct={canAct} onDone={reloadAll} />
            </Empty>
          )}
        </Loaded>
      </Section>
      <Section title={t('sessions')} id="sessions">
        <Loaded state={sessions}>
          {(d) => (
            <Empty when={d.sessions.length === 0}>
              <Table
                columns={[
                  { head: t('device'), cell: (s) => s.device.label },
                  { head: t('ip'), cell: (s) => s.ip },
                  { head: t('method'), cell: (s) => s.method },
                  { head: t('started'), cell: (s) => <When at={s.createdAt} /> },
                  { head: t('lastSeen'), cell: (s) => <When at={s.lastSeenAt} /> },
                ]}
                rows={d.sessions}
                rowKey={(s) => s.id}
              />
            </Empty>
          )}
        </Loaded>
      </Section>
      <Section title={t('signins')} id="signins">
        <Loaded state={signins}>
          {(d) => (
            <Empty when={d.signins.length === 0}>
              <Table
                columns={[
                  { head: t('when'), cell: (s) => <When at={s.at} /> },
                  {
                    head: t('result'),
                    cell: (s) => (
                      <>
                        {s.success ? t('ok') : t('failed')} <span class="muted">{s.reason}</span>
                      </>
                    ),
                  },
                  { head: t('ip'), cell: (s) => s.ip },
                  { head: t('device'), cell: (s) => s.device.label },
                ]}
                rows={d.signins}
                rowKey={(s) => s.seq}
              />
            </Empty>
          )}
        </Loaded>
      </Section>
      <Section title={t('risk')} id="risk">
        <Loaded state={risk}>
          {(r) => (
            <>
              <p>
                {t('riskNow', { risk: r.risk.toFixed(2) })}{' '}
                {r.contained ? <span class="badge">{t('contained')}</span> : null}
              </p>
              <Empty when={r.decisions.length === 0}>
                <ol class="stack" id="decisions">
                  {r.decisions.slice(0, 30).map((d) => (
                    <li key={d.id} class="card">
                      <strong>{d.action}</strong> · {d.eventType} · {d.risk.toFixed(2)} · <When at={d.time} />
                      <ul>
                        {d.reasons.map((x) => (
                          <li key={x.signal}>{lang === 'zh-CN' ? x.zh : x.en}</li>
                        ))}
                      </ul>
                      <details>
                        <summary>{t('signals')}</summary>
                        <ul>
                          {d.signals.map((s) => (
                            <li key={s.name}>{explainSignal(s, getLang())}</li>
                          ))}
                        </ul>
                      </details>
                    </li>
                  ))}
                </ol>
              </Empty>
            </>
          )}
        </Loaded>
      </Section>
      <Section title={t('actions')} id="actions">
        <Loaded state={actions}>
          {(d) => (
            <Empty when={d.actions.length === 0}>
              <Table
                columns={[
                  { head: t('when'), cell: (x) => <When at={x.createdAt} /> },
                  { head: t('decision'), cell: (x) => x.kind },
                  { head: t('rule'), cell: (x) => x.rule },
                  { head: t('mode'), cell: (x) => (x.mode === 'dry-run' ? t('dryRun') : t('enforce')) },
                  { head: t('status'), cell: (x) => x.status },
                ]}
                rows={d.actions}
                rowKey={(x) => x.id}
              />
            </Empty>
          )}
        </Loaded>
      </Section>
    </main>
  );
}

/** Held messages with their evidence and release / confirm buttons (used here and in the queues). */
export function HoldList({ holds, canAct, onDone }: { holds: Hold[]; canAct: boolean; onDone: () => void }) {
  useLang();
  return (
    <ul class="stack" id="hold-list">
      {holds.map((h) => (
        <li key={h.message} class="card" data-message={h.message}>
          <p>
            <a href={`/console/accounts/${encodeURIComponent(h.account)}`}>{h.account}</a> ·{' '}
            <When at={h.createdAt} /> · {h.verdict?.action ?? '?'}{' '}
            {typeof h.verdict?.risk === 'number' ? h.verdict.risk.toFixed(2) : ''}
          </p>
          <blockquote>{h.event?.text ?? h.message}</blockquote>
          {canAct ? (
            <ReasonActions
              idPrefix={`hold-${h.message}`}
              needsReason={false}
              onDone={onDone}
              buttons={[
                {
                  label: t('release'),
                  run: () => api.post(`/v1/holds/${encodeURIComponent(h.message)}/release`),
                },
                {
                  label: t('confirm'),
                  danger: true,
                  run: () => api.post(`/v1/holds/${encodeURIComponent(h.message)}/confirm`),
                },
              ]}
            />
          ) : null}
        </li>
      ))}
    </ul>
  );
}
