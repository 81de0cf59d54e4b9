// 4. Queues: held messages (release or confirm), appeals of sanctions that need an operator (approve
// or reject with a note), reported content (spam or not); each item with its evidence.
import { defineMessages, useLang } from '../../lib/i18n.ts';
import { Empty, Loaded, useAsync } from '../../lib/ui.tsx';
import { ReasonActions, Section, When } from '../parts.tsx';
import { api, atLeast, useSession } from '../session.ts';
import { HoldList, type Hold } from './accounts.tsx';

const t = defineMessages({
  en: {
    title: 'Queues',
    holds: 'Held messages',
    appeals: 'Appeals that need an operator',
    reports: 'Reported content',
    statement: 'Statement',
    frozenFor: 'Frozen for',
    from: 'From',
    approve: 'Approve (unfreeze)',
    reject: 'Reject',
    reporters: '{n} reporters, weight {w}',
    spam: 'Spam',
    ham: 'Not spam',
  },
  'zh-CN': {
    title: '待处理队列',
    holds: '被扣留的消息',
    appeals: '需要人工处理的申诉',
    reports: '被举报的内容',
    statement: '申诉陈述',
    frozenFor: '冻结原因',
    from: '来源',
    approve: '批准（解冻）',
    reject: '驳回',
    reporters: '{n} 位举报人，权重 {w}',
    spam: '垃圾信息',
    ham: '不是垃圾信息',
  },
});

interface Appeal {
  id: string;
  account: { id: string; handle: string };
  freezeReason: string | null;
  frozenAt: number;
  statement: string;
  origin: { ip: string; device: string };
  createdAt: number;
}
interface Report {
  id: number;
  text: string;
  reporters: number;
  weight: number;
  createdAt: number;
}

export function Queues() {
  useLang();
  const { operator } = useSession();
  const holds = useAsync(() => api.get<{ holds: Hold[] }>('/v1/console/holds'), []);
  const appeals = useAsync(() => api.get<{ appeals: Appeal[] }>('/v1/recovery/operator-queue'), []);
  const reports = useAsync(() => api.get<{ items: Report[] }>('/v1/content/reports/queue'), []);
  const responder = atLeast(operator.role, 'responder');
  return (
    <main id="content">
      <h1>{t('title')}</h1>
      <Section title={t('holds')} id="queue-holds">
        <Loaded state={holds}>
          {(d) => (
            <Empty when={d.holds.length === 0}>
              <HoldList holds={d.holds} canAct={responder} onDone={holds.reload} />
            </Empty>
          )}
        </Loaded>
      </Section>
      <Section title={t('appeals')} id="queue-appeals">
        <Loaded state={appeals}>
          {(d) => (
            <Empty when={d.appeals.length === 0}>
              <ul class="stack" id="appeal-list">
                {d.appeals.map((a) => (
                  <li key={a.id} class="card">
                    <p>
                      <a href={`/console/accounts/${encodeURIComponent(a.account.id)}`}>
                        @{a.account.handle}
                      </a>{' '}
                      · <When at={a.createdAt} />
                    </p>
                    <p>
                      {t('frozenFor')}: {a.freezeReason ?? '—'} (<When at={a.frozenAt} />)
                    </p>
                    <p>
                      {t('statement')}: <q>{a.statement}</q>
                    </p>
                    <p class="muted">
                      {t('from')}: {a.origin.ip} · {a.origin.device}
                    </p>
                    {responder ? (
                      <ReasonActions
                        idPrefix={`appeal-${a.id}`}
                        onDone={appeals.reload}
                        buttons={[
                          {
                            label: t('approve'),
                            run: (note) =>
                              api.post(`/v1/recovery/operator-queue/${encodeURIComponent(a.id)}/approve`, {
                                note,
                              }),
                          },
                          {
                            label: t('reject'),
                            danger: true,
                            run: (note) =>
                              api.post(`/v1/recovery/operator-queue/${encodeURIComponent(a.id)}/deny`, {
                                note,
                              }),
                          },
                        ]}
                      />
                    ) : null}
                  </li>
                ))}
              </ul>
            </Empty>
          )}
        </Loaded>
      </Section>
      <Section title={t('reports')} id="queue-reports">
        <Loaded state={reports}>
          {(d) => (
            <Empty when={d.items.length === 0}>
              <ul class="stack" id="report-list">
                {d.items.map((r) => (
                  <li key={r.id} class="card">
                    <blockquote>{r.text}</blockquote>
                    <p class="muted">
                      {t('reporters', { n: r.reporters, w: r.weight.toFixed(2) })} · <When at={r.createdAt} />
                    </p>
                    {atLeast(operator.role, 'analyst') ? (
                      <ReasonActions
                        idPrefix={`report-${r.id}`}
                        needsReason={false}
                        onDone={reports.reload}
                        buttons={[
                          {
                            label: t('spam'),
                            danger: true,
                            run: () => api.post(`/v1/content/reports/queue/${r.id}`, { verdict: 'spam' }),
                          },
                          {
                            label: t('ham'),
                            run: () => api.post(`/v1/content/reports/queue/${r.id}`, { verdict: 'ham' }),
                          },
                        ]}
                      />
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
