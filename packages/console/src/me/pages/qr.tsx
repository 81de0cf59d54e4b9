// Approving a QR sign-in on this (signed-in) device: what asks, from where, how far away, the warnings,
// and approve / decline. Declining is the default.
import { useState } from 'preact/hooks';
import { defineMessages, fmtTime, useLang } from '../../lib/i18n.ts';
import { ActionForm } from '../../lib/layout.tsx';
import { Loaded, useAsync } from '../../lib/ui.tsx';
import { api } from '../session.ts';
import { deviceName, L, Section, useAction, type Localized } from '../ui.tsx';

const t = defineMessages({
  en: {
    title: 'Approve a sign-in by QR code',
    enter: 'The code or link you scanned',
    show: 'Show what is asking',
    asks: 'A device asks to sign in to your account',
    device: 'Device: {device}',
    where: 'Network: {network}',
    distance: 'Distance: {text}',
    expires: 'This request ends at {time}.',
    inFront: 'The device asking is in front of me and I started this sign-in myself',
    approve: 'Approve',
    decline: 'Decline',
    approved: 'Approved.',
    probation:
      'Approved on probation: the new session cannot change your security settings until you confirm it.',
    declined: 'Declined. Nobody was signed in.',
  },
  'zh-CN': {
    title: '扫码登录确认',
    enter: '你扫描到的代码或链接',
    show: '查看请求来源',
    asks: '有设备请求登录你的账号',
    device: '设备：{device}',
    where: '网络：{network}',
    distance: '距离：{text}',
    expires: '此请求将于 {time} 失效。',
    inFront: '发起请求的设备就在我面前，而且是我本人发起的登录',
    approve: '同意登录',
    decline: '拒绝',
    approved: '已同意。',
    probation: '已在观察期内同意：新会话在你确认前无法修改安全设置。',
    declined: '已拒绝，没有任何设备登录。',
  },
});

interface QrContext {
  expiresAt: number;
  requester: {
    device: { label: string; browser?: string; os?: string };
    network: string;
    origin: string | null;
  };
  distance: Localized;
  warnings: Array<Localized & { signal: string }>;
}

export function Qr({ code: fromPath }: { code?: string }) {
  useLang();
  const [code, setCode] = useState(fromPath ?? '');
  return (
    <main>
      <h1>{t('title')}</h1>
      {code ? (
        <Ask code={code} />
      ) : (
        <ActionForm
          layout="row"
          action={(f) => {
            setCode(String(f.get('code')).trim());
          }}
        >
          <label>
            {t('enter')}
            <input name="code" required />
          </label>
          <button type="submit">{t('show')}</button>
        </ActionForm>
      )}
    </main>
  );
}

function Ask({ code }: { code: string }) {
  useLang();
  const ctx = useAsync(() => api.get<QrContext>(`/v1/me/qr/${encodeURIComponent(code)}`), [code]);
  const act = useAction();
  const [result, setResult] = useState<'approved' | 'probation' | 'declined' | null>(null);
  const [inFront, setInFront] = useState(false);
  const decide = (decision: 'approve' | 'decline') =>
    act.run(async () => {
      const r = await api.post<{ state: string; outcome?: string }>(
        `/v1/me/qr/${encodeURIComponent(code)}/decision`,
        { decision, ...(decision === 'approve' ? { inFrontOfMe: inFront } : {}) },
      );
      setResult(r.state === 'declined' ? 'declined' : r.outcome === 'probation' ? 'probation' : 'approved');
    });
  if (result)
    return (
      <p class="ok" role="status">
        {t(result)}
      </p>
    );
  return (
    <Section id="qr-ask" title={t('asks')}>
      {act.feedback}
      <Loaded state={ctx}>
        {(c) => (
          <div class="stack">
            <p>{t('device', { device: deviceName(c.requester.device) })}</p>
            <p>{t('where', { network: c.requester.network })}</p>
            <p>{t('distance', { text: L(c.distance) })}</p>
            {c.warnings.map((w) => (
              <p key={w.signal} class="error">
                {L(w)}
              </p>
            ))}
            <p class="muted">{t('expires', { time: fmtTime(c.expiresAt) })}</p>
            <label class="inline">
              <input
                type="checkbox"
                checked={inFront}
                onChange={(e) => setInFront(e.currentTarget.checked)}
              />
              {t('inFront')}
            </label>
            <div class="row">
              <button type="button" class="secondary" disabled={act.busy} onClick={() => decide('decline')}>
                {t('decline')}
              </button>
              <button type="button" disabled={act.busy || !inFront} onClick={() => decide('approve')}>
                {t('approve')}
              </button>
            </div>
          </div>
        )}
      </Loaded>
    </Section>
  );
}
