// 1. Live overview: events and checks per minute, decisions by kind, containments, campaigns,
// incidents, holds awaiting review, webhook delivery health. Pushed by the server (Server-Sent Events,
// /v1/console/overview/stream) every few seconds, polled every 5 s while the stream is down; charts
// redraw in place.
import { TimeChart } from '../../lib/chart.tsx';
import { defineMessages, fmtNumber, useLang } from '../../lib/i18n.ts';
import { Loaded, useLive } from '../../lib/ui.tsx';
import { api } from '../session.ts';

export interface OverviewData {
  at: number;
  minutes: number[];
  events: number[];
  checks: number[];
  decisions: Record<string, number[]>;
  decisionTotals: Record<string, number>;
  containments: number;
  frozen: number;
  activeCampaigns: number;
  openIncidents: number;
  holdsAwaiting: number;
  webhooks: { pending: number; failing: number; dead: number; delivered: number };
}

const t = defineMessages({
  en: {
    title: 'Live overview',
    traffic: 'Events and checks per minute (last hour)',
    decisionsChart: 'Decisions per minute by kind',
    events: 'events',
    checks: 'pre-send checks',
    decisions: 'Decisions in the last hour',
    containments: 'Accounts under containment',
    frozen: 'Frozen accounts (all kinds)',
    campaigns: 'Active campaigns',
    incidents: 'Open incidents',
    holds: 'Messages held awaiting review',
    webhooks: 'Webhook delivery',
    pending: 'pending',
    failing: 'retrying after a failure',
    dead: 'dead letters',
    delivered: 'delivered in the last hour',
    none: 'No decisions in the last hour.',
    updated: 'Updated {time}',
    live: 'live',
    polling: 'refreshed every 5 s',
  },
  'zh-CN': {
    title: '实时总览',
    traffic: '每分钟事件与发送前检查（近一小时）',
    decisionsChart: '每分钟各类决策',
    events: '事件',
    checks: '发送前检查',
    decisions: '近一小时的决策',
    containments: '处于遏制状态的账号',
    frozen: '已冻结账号（全部类型）',
    campaigns: '活跃的攻击活动',
    incidents: '未结事件',
    holds: '等待审核的扣留消息',
    webhooks: 'Webhook 投递',
    pending: '待投递',
    failing: '失败后重试中',
    dead: '死信',
    delivered: '近一小时已投递',
    none: '近一小时没有决策。',
    updated: '更新于 {time}',
    live: '实时推送',
    polling: '每 5 秒刷新',
  },
});

const COLORS = ['#0550ae', '#a40e26', '#116329', '#8250df', '#bc4c00', '#57606a', '#1b7c83'];

export function Overview() {
  useLang();
  const state = useLive(
    '/v1/console/overview',
    '/v1/console/overview/stream',
    'overview',
    () => api.get<OverviewData>('/v1/console/overview'),
    5000,
  );
  return (
    <main id="content">
      <h1>{t('title')}</h1>
      <Loaded state={state}>
        {(d) => {
          const x = d.minutes.map((m) => m / 1000);
          const kinds = Object.keys(d.decisions).sort();
          return (
            <>
              <p class="muted" aria-live="polite">
                {t('updated', { time: new Date(d.at).toLocaleTimeString() })} ·{' '}
                <span id="live-mode" data-mode={state.streaming ? 'stream' : 'poll'}>
                  {state.streaming ? t('live') : t('polling')}
                </span>
              </p>
              <div class="grid">
                <Stat id="stat-containments" label={t('containments')} value={d.containments} />
                <Stat id="stat-frozen" label={t('frozen')} value={d.frozen} />
                <Stat id="stat-campaigns" label={t('campaigns')} value={d.activeCampaigns} />
                <Stat id="stat-incidents" label={t('incidents')} value={d.openIncidents} />
                <Stat id="stat-holds" label={t('holds')} value={d.holdsAwaiting} />
              </div>
              <div class="grid">
                <div class="card">
                  <TimeChart
                    title={t('traffic')}
                    x={x}
                    ys={[d.events, d.checks]}
                    series={[
                      { label: t('events'), color: COLORS[0]! },
                      { label: t('checks'), color: COLORS[2]! },
                    ]}
                  />
                </div>
                <div class="card">
                  {kinds.length ? (
                    <TimeChart
                      title={t('decisionsChart')}
                      x={x}
                      ys={kinds.map((k) => d.decisions[k]!)}
                      series={kinds.map((k, i) => ({ label: k, color: COLORS[i % COLORS.length]! }))}
                    />
                  ) : (
                    <p class="muted">{t('none')}</p>
                  )}
                </div>
              </div>
              <div class="grid">
                <section class="card" aria-labelledby="h-decisions">
                  <h2 id="h-decisions">{t('decisions')}</h2>
                  <table id="decision-totals">
                    <tbody>
                      {Object.entries(d.decisionTotals).map(([k, n]) => (
                        <tr key={k}>
                          <th scope="row">{k}</th>
                          <td>{fmtNumber(n)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </section>
                <section class="card" aria-labelledby="h-webhooks">
                  <h2 id="h-webhooks">{t('webhooks')}</h2>
                  <ul id="webhook-health">
                    <li>
                      {t('pending')}: {fmtNumber(d.webhooks.pending)}
                    </li>
                    <li>
                      {t('failing')}: {fmtNumber(d.webhooks.failing)}
                    </li>
                    <li>
                      {t('dead')}: {fmtNumber(d.webhooks.dead)}
                    </li>
                    <li>
                      {t('delivered')}: {fmtNumber(d.webhooks.delivered)}
                    </li>
                  </ul>
                </section>
              </div>
            </>
          );
        }}
      </Loaded>
    </main>
  );
}

function Stat({ id, label, value }: { id: string; label: string; value: number }) {
  return (
    <div class="card" id={id}>
      <div class="stat">{fmtNumber(value)}</div>
      <div class="muted">{label}</div>
    </div>
  );
}
