// 5. Policy: the YAML in force with its versions and the last reload error, and per rule what it did
// (enforce) and would have done (dry-run) over the last day.
import { useState } from 'preact/hooks';
import { defineMessages, fmtTime, useLang } from '../../lib/i18n.ts';
import { Table } from '../../lib/layout.tsx';
import { Empty, ErrorBox, Loaded, useAsync } from '../../lib/ui.tsx';
import { Section, When } from '../parts.tsx';
import { api } from '../session.ts';

const t = defineMessages({
  en: {
    title: 'Policy',
    file: 'File {file}, version {version}, loaded {at}',
    lastError: 'The last reload failed at {at}; the previous policy stays in force:',
    rules: 'Rules and what they did in the last day',
    rule: 'Rule',
    mode: 'Mode',
    actions: 'Actions',
    did: 'Did (enforce)',
    would: 'Would have done (dry-run)',
    source: 'YAML in force',
    versions: 'Versions',
    show: 'Show',
    version: 'Version',
    since: 'First in force',
  },
  'zh-CN': {
    title: '处置策略',
    file: '文件 {file}，版本 {version}，加载于 {at}',
    lastError: '最近一次重新加载失败（{at}），仍沿用之前的策略：',
    rules: '规则及其近一天的执行情况',
    rule: '规则',
    mode: '模式',
    actions: '处置',
    did: '已执行（生效）',
    would: '本会执行（演练）',
    source: '当前生效的 YAML',
    versions: '历史版本',
    show: '查看',
    version: '版本',
    since: '首次生效',
  },
});

interface PolicyState {
  file: string;
  version: number;
  hash: string;
  loadedAt: number;
  lastError?: { at: number; message: string };
  rules: { id: string; description?: string; mode: string; actions: string[] }[];
  versions: { hash: string; version: number; firstLoadedAt: number }[];
}
interface Counts {
  counts: { rule: string; kind: string; mode: string; status: string; count: number }[];
}

export function Policy() {
  useLang();
  const policy = useAsync(() => api.get<PolicyState>('/v1/policy'), []);
  const counts = useAsync(() => api.get<Counts>('/v1/console/policy/counts'), []);
  const [hash, setHash] = useState<string | undefined>();
  const source = useAsync(
    () =>
      api.get<{ hash: string; version: number; text: string }>(
        `/v1/console/policy/source${hash ? `?hash=${hash}` : ''}`,
      ),
    [hash],
  );
  return (
    <main id="content">
      <h1>{t('title')}</h1>
      <Loaded state={policy}>
        {(p) => {
          const sum = (rule: string, mode: string) =>
            (counts.data?.counts ?? [])
              .filter((c) => c.rule === rule && c.mode === mode)
              .reduce((n, c) => n + c.count, 0);
          return (
            <>
              <p>{t('file', { file: p.file, version: p.version, at: fmtTime(p.loadedAt) })}</p>
              {p.lastError ? (
                <div class="error" role="alert">
                  {t('lastError', { at: fmtTime(p.lastError.at) })}
                  <pre tabIndex={0}>{p.lastError.message}</pre>
                </div>
              ) : null}
              <Section title={t('rules')} id="rules">
                <ErrorBox error={counts.error} />
                <Table
                  id="rule-table"
                  columns={[
                    {
                      head: t('rule'),
                      rowHeader: true,
                      cell: (r) => (
                        <>
                          {r.id}
                          {r.description ? <div class="muted">{r.description}</div> : null}
                        </>
                      ),
                    },
                    { head: t('mode'), cell: (r) => r.mode },
                    { head: t('actions'), cell: (r) => r.actions.join(', ') },
                    { head: t('did'), class: 'did', cell: (r) => sum(r.id, 'enforce') },
                    { head: t('would'), class: 'would', cell: (r) => sum(r.id, 'dry-run') },
                  ]}
                  rows={p.rules}
                  rowKey={(r) => r.id}
                  rowAttrs={(r) => ({ 'data-rule': r.id })}
                />
              </Section>
              <Section title={t('versions')} id="versions">
                <Empty when={p.versions.length === 0}>
                  <ul>
                    {p.versions.map((v) => (
                      <li key={v.hash}>
                        {t('version')} {v.version} · <code>{v.hash.slice(0, 12)}</code> · {t('since')}{' '}
                        <When at={v.firstLoadedAt} />{' '}
                        <button type="button" class="secondary" onClick={() => setHash(v.hash)}>
                          {t('show')}
                        </button>
                      </li>
                    ))}
                  </ul>
                </Empty>
              </Section>
            </>
          );
        }}
      </Loaded>
      <Section title={t('source')} id="source">
        <Loaded state={source}>
          {(s) => (
            <>
              <p class="muted">
                {t('version')} {s.version} · <code>{s.hash.slice(0, 12)}</code>
              </p>
              <pre id="policy-yaml" tabIndex={0}>
                {s.text}
              </pre>
            </>
          )}
        </Loaded>
      </Section>
    </main>
  );
}
