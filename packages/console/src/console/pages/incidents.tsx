// 3. Campaigns (members, content, spread over time, quarantine on/off) and incidents (timeline,
// affected accounts, notes, status, notice export in zh/en).
import { useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { TimeChart } from '../../lib/chart.tsx';
import { defineMessages, useLang } from '../../lib/i18n.ts';
import { ActionForm, Table } from '../../lib/layout.tsx';
import { Empty, ErrorBox, Loaded, useAsync } from '../../lib/ui.tsx';
import { ReasonActions, Section, When } from '../parts.tsx';
import { api, atLeast, useSession } from '../session.ts';

const t = defineMessages({
  en: {
    campaigns: 'Campaigns',
    incidents: 'Incidents',
    kind: 'Kind',
    sample: 'Content',
    members: 'Members',
    status: 'Status',
    firstSeen: 'First seen',
    lastSeen: 'Last seen',
    spread: 'Spread over time (members’ non-allow decisions per 10 minutes)',
    decisions: 'decisions',
    accounts: 'accounts',
    quarantineOn: 'Quarantine this content',
    quarantineOff: 'Lift the quarantine',
    dismiss: 'Dismiss',
    title: 'Title',
    opened: 'Opened',
    timeline: 'Timeline',
    affected: 'Affected accounts',
    notes: 'Notes',
    addNote: 'Add note',
    note: 'Note',
    setStatus: 'Set status',
    exportEn: 'Notice (English)',
    exportZh: 'Notice (中文)',
    notice: 'Notice for users and regulators',
  },
  'zh-CN': {
    campaigns: '攻击活动',
    incidents: '安全事件',
    kind: '类型',
    sample: '内容',
    members: '成员',
    status: '状态',
    firstSeen: '首次发现',
    lastSeen: '最近发现',
    spread: '随时间的扩散（成员每 10 分钟的非放行决策）',
    decisions: '决策',
    accounts: '账号',
    quarantineOn: '隔离该内容',
    quarantineOff: '解除隔离',
    dismiss: '忽略',
    title: '标题',
    opened: '开启时间',
    timeline: '时间线',
    affected: '受影响账号',
    notes: '备注',
    addNote: '添加备注',
    note: '备注',
    setStatus: '设置状态',
    exportEn: '通知（English）',
    exportZh: '通知（中文）',
    notice: '面向用户与监管的通知',
  },
});

interface Campaign {
  id: string;
  kind: string;
  key: string;
  sample: string;
  members: string[];
  memberCount: number;
  firstSeen: number;
  lastSeen: number;
  status: 'active' | 'quarantined' | 'dismissed';
}
interface Incident {
  id: string;
  kind: string;
  title: string;
  status: string;
  openedAt: number;
  updatedAt: number;
}
interface IncidentDetail extends Incident {
  accounts: { account: string; firstSeen: number }[];
  timeline: { at: number; kind: string; summary: string }[];
  notes: { id: string; author: string; text: string; at: number }[];
}

export function IncidentsAndCampaigns() {
  useLang();
  const incidents = useAsync(() => api.get<{ incidents: Incident[] }>('/v1/incidents?limit=100'), []);
  const campaigns = useAsync(() => api.get<{ campaigns: Campaign[] }>('/v1/campaigns'), []);
  return (
    <main id="content">
      <h1>{t('incidents')}</h1>
      <Loaded state={incidents}>
        {(d) => (
          <Empty when={d.incidents.length === 0}>
            <Table
              id="incident-list"
              columns={[
                {
                  head: t('title'),
                  cell: (i) => <a href={`/console/incidents/${encodeURIComponent(i.id)}`}>{i.title}</a>,
                },
                { head: t('kind'), cell: (i) => i.kind },
                { head: t('status'), cell: (i) => i.status },
                { head: t('opened'), cell: (i) => <When at={i.openedAt} /> },
              ]}
              rows={d.incidents}
              rowKey={(i) => i.id}
            />
          </Empty>
        )}
      </Loaded>
      <h2>{t('campaigns')}</h2>
      <Loaded state={campaigns}>
        {(d) => (
          <Empty when={d.campaigns.length === 0}>
            <Table
              id="campaign-list"
              columns={[
                {
                  head: t('sample'),
                  cell: (c) => (
                    <a href={`/console/campaigns/${encodeURIComponent(c.id)}`}>
                      {c.sample.slice(0, 80) || c.key}
                    </a>
                  ),
                },
                { head: t('kind'), cell: (c) => c.kind },
                { head: t('members'), cell: (c) => c.memberCount },
                { head: t('status'), cell: (c) => c.status },
                { head: t('lastSeen'), cell: (c) => <When at={c.lastSeen} /> },
              ]}
              rows={d.campaigns}
              rowKey={(c) => c.id}
            />
          </Empty>
        )}
      </Loaded>
    </main>
  );
}

interface Bucket {
  at: number;
  decisions: number;
  accounts: number;
}
const TEN_MINUTES = 600_000;
const filled = new WeakMap<object, Bucket[]>();
const spreadOf = (s: { buckets: Bucket[] }): Bucket[] => {
  let b = filled.get(s);
  if (!b) filled.set(s, (b = continuous(s.buckets)));
  return b;
};

/**
 * The spread as a continuous series of 10-minute buckets, one empty bucket either side: the API lists
 * only the buckets with decisions, and a chart of one point would span years.
 */
function continuous(buckets: Bucket[]): Bucket[] {
  if (buckets.length === 0) return [];
  const byAt = new Map(buckets.map((b) => [b.at, b]));
  const first = Math.min(...byAt.keys()) - TEN_MINUTES;
  const last = Math.max(...byAt.keys()) + TEN_MINUTES;
  const out: Bucket[] = [];
  for (let at = first; at <= last && out.length < 1000; at += TEN_MINUTES)
    out.push(byAt.get(at) ?? { at, decisions: 0, accounts: 0 });
  return out;
}

export function CampaignPage() {
  useLang();
  const { params } = useRoute();
  const id = encodeURIComponent(params.id ?? '');
  const { operator } = useSession();
  const c = useAsync(() => api.get<Campaign>(`/v1/campaigns/${id}`), [id]);
  const spread = useAsync(
    () =>
      api.get<{ buckets: { at: number; decisions: number; accounts: number }[] }>(
        `/v1/console/campaigns/${id}/spread`,
      ),
    [id],
  );
  const setStatus = (status: Campaign['status']) => api.post(`/v1/campaigns/${id}/status`, { status });
  return (
    <main id="content">
      <Loaded state={c}>
        {(x) => (
          <>
            <h1>
              {t('campaigns')}: {x.kind}
            </h1>
            <div class="grid">
              <Section title={t('sample')} id="sample">
                <blockquote>{x.sample}</blockquote>
                <p>
                  {t('status')}: <strong id="campaign-status">{x.status}</strong> · {t('firstSeen')}{' '}
                  <When at={x.firstSeen} /> · {t('lastSeen')} <When at={x.lastSeen} />
                </p>
                {atLeast(operator.role, 'responder') ? (
                  <ReasonActions
                    idPrefix="campaign"
                    needsReason={false}
                    onDone={c.reload}
                    buttons={
                      x.status === 'quarantined'
                        ? [
                            {
                              label: t('quarantineOff'),
                              id: 'quarantine-off',
                              run: () => setStatus('active'),
                            },
                          ]
                        : [
                            {
                              label: t('quarantineOn'),
                              id: 'quarantine-on',
                              danger: true,
                              run: () => setStatus('quarantined'),
                            },
                            { label: t('dismiss'), run: () => setStatus('dismissed') },
                          ]
                    }
                  />
                ) : null}
              </Section>
              <Section title={`${t('members')} (${x.memberCount})`} id="members">
                <ul>
                  {x.members.slice(0, 200).map((m) => (
                    <li key={m}>
                      <a href={`/console/accounts/${encodeURIComponent(m)}`}>{m}</a>
                    </li>
                  ))}
                </ul>
              </Section>
            </div>
          </>
        )}
      </Loaded>
      <Loaded state={spread}>
        {(s) => (
          <div class="card">
            <TimeChart
              title={t('spread')}
              x={spreadOf(s).map((b) => b.at / 1000)}
              ys={[spreadOf(s).map((b) => b.decisions), spreadOf(s).map((b) => b.accounts)]}
              series={[
                { label: t('decisions'), color: '#a40e26' },
                { label: t('accounts'), color: '#0550ae' },
              ]}
            />
          </div>
        )}
      </Loaded>
    </main>
  );
}

export function IncidentPage() {
  useLang();
  const { params } = useRoute();
  const id = encodeURIComponent(params.id ?? '');
  const { operator } = useSession();
  const inc = useAsync(() => api.get<IncidentDetail>(`/v1/incidents/${id}`), [id]);
  const [notice, setNotice] = useState<string>();
  const [noticeError, setNoticeError] = useState<unknown>();
  async function exportNotice(lang: 'en' | 'zh-CN') {
    try {
      const n = await api.get<Record<string, unknown>>(`/v1/incidents/${id}/export?format=json`);
      setNotice(renderNotice(n, lang));
    } catch (e) {
      setNoticeError(e);
    }
  }
  return (
    <main id="content">
      <Loaded state={inc}>
        {(i) => (
          <>
            <h1>{i.title}</h1>
            <p>
              {i.kind} · {t('status')}: <strong id="incident-status">{i.status}</strong> · {t('opened')}{' '}
              <When at={i.openedAt} />
            </p>
            {atLeast(operator.role, 'analyst') ? (
              <ReasonActions
                idPrefix="incident-status"
                needsReason={false}
                onDone={inc.reload}
                buttons={(['open', 'contained', 'closed'] as const)
                  .filter((s) => s !== i.status)
                  .map((s) => ({
                    label: `${t('setStatus')}: ${s}`,
                    run: () => api.post(`/v1/incidents/${id}/status`, { status: s }),
                  }))}
              />
            ) : null}
            <div class="grid">
              <Section title={t('timeline')} id="timeline">
                <ol>
                  {i.timeline.map((e, n) => (
                    <li key={n}>
                      <When at={e.at} /> · {e.kind} · {e.summary}
                    </li>
                  ))}
                </ol>
              </Section>
              <Section title={`${t('affected')} (${i.accounts.length})`} id="affected">
                <ul>
                  {i.accounts.slice(0, 200).map((a) => (
                    <li key={a.account}>
                      <a href={`/console/accounts/${encodeURIComponent(a.account)}`}>{a.account}</a>
                    </li>
                  ))}
                </ul>
              </Section>
            </div>
            <Section title={t('notes')} id="notes">
              <ul id="note-list">
                {i.notes.map((n) => (
                  <li key={n.id}>
                    <When at={n.at} /> · {n.author}: {n.text}
                  </li>
                ))}
              </ul>
              {atLeast(operator.role, 'analyst') ? <NoteForm id={id} onDone={inc.reload} /> : null}
            </Section>
            <Section title={t('notice')} id="notice">
              <div class="row">
                <button type="button" class="secondary" onClick={() => exportNotice('en')}>
                  {t('exportEn')}
                </button>
                <button type="button" class="secondary" onClick={() => exportNotice('zh-CN')}>
                  {t('exportZh')}
                </button>
              </div>
              <ErrorBox error={noticeError} />
              {notice ? (
                <pre id="notice-text" tabIndex={0}>
                  {notice}
                </pre>
              ) : null}
            </Section>
          </>
        )}
      </Loaded>
    </main>
  );
}

function NoteForm({ id, onDone }: { id: string; onDone: () => void }) {
  useLang();
  const [text, setText] = useState('');
  return (
    <ActionForm
      submit={t('addNote')}
      action={async () => {
        await api.post(`/v1/incidents/${id}/notes`, { text });
        setText('');
        onDone();
      }}
    >
      <label>
        {t('note')}
        <textarea
          id="note-text"
          value={text}
          maxLength={2000}
          onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
          required
        />
      </label>
    </ActionForm>
  );
}

/** The exported notice in one language, as text to copy. */
function renderNotice(n: Record<string, unknown>, lang: 'en' | 'zh-CN'): string {
  const pick = (v: unknown): string => {
    if (v && typeof v === 'object' && lang in (v as object)) {
      const x = (v as Record<string, unknown>)[lang];
      return Array.isArray(x) ? x.map((s) => `- ${String(s)}`).join('\n') : String(x);
    }
    return '';
  };
  const head =
    lang === 'zh-CN'
      ? [
          '发生了什么',
          '涉及的数据',
          '受影响的人',
          '原因',
          '可能的危害',
          '已采取的补救',
          '用户可以做什么',
          '联系方式',
        ]
      : [
          'What happened',
          'Data involved',
          'Who is affected',
          'Cause',
          'Possible harm',
          'Remedies taken',
          'What users can do',
          'Contact',
        ];
  const parts = [
    n.whatHappened,
    n.dataInvolved,
    n.whoIsAffected,
    n.cause,
    n.possibleHarm,
    n.remediesTaken,
    n.whatUsersCanDo,
  ];
  const body = parts.map((p, i) => `${head[i]}\n${pick(p)}`);
  body.push(`${head[7]}\n${String(n.contact ?? '')}`);
  return body.join('\n\n');
}
