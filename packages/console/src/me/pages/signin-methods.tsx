// How the owner signs in beyond the password: passkeys (WebAuthn in this browser) and an
// authenticator app (TOTP, set up from a QR code and confirmed with a first code).
import { useState } from 'preact/hooks';
import { defineMessages, fmtTime, useLang } from '../../lib/i18n.ts';
import { ActionForm } from '../../lib/layout.tsx';
import { Empty, Loaded, useAsync } from '../../lib/ui.tsx';
import { api } from '../session.ts';
import { Section, useAction } from '../ui.tsx';

const t = defineMessages({
  en: {
    title: 'Passkeys and authenticator app',
    passkeys: 'Passkeys',
    passkeysHelp: 'A passkey signs you in with this device’s lock; a fake site cannot steal it.',
    name: 'Name for the new passkey',
    add: 'Add a passkey',
    remove: 'Remove',
    created: 'added {time}',
    lastUsed: 'last used {time}',
    never: 'never used',
    noWebauthn: 'This browser cannot create passkeys.',
    totp: 'Authenticator app',
    totpOn: 'On since {time}.',
    totpOff: 'Not set up.',
    totpStart: 'Set up an authenticator app',
    totpScan: 'Scan this code with your authenticator app, or type the key: {secret}',
    qrAlt: 'QR code for the authenticator app',
    code: 'The 6-digit code it shows',
    totpConfirm: 'Confirm',
    totpRemove: 'Remove the authenticator app',
  },
  'zh-CN': {
    title: '通行密钥与身份验证器',
    passkeys: '通行密钥',
    passkeysHelp: '通行密钥用本设备的解锁方式登录，假冒网站无法窃取。',
    name: '新通行密钥的名称',
    add: '添加通行密钥',
    remove: '删除',
    created: '添加于 {time}',
    lastUsed: '最近使用 {time}',
    never: '从未使用',
    noWebauthn: '此浏览器无法创建通行密钥。',
    totp: '身份验证器应用',
    totpOn: '自 {time} 起已启用。',
    totpOff: '尚未设置。',
    totpStart: '设置身份验证器应用',
    totpScan: '用身份验证器应用扫描此二维码，或手动输入密钥：{secret}',
    qrAlt: '身份验证器应用的二维码',
    code: '应用显示的 6 位数字',
    totpConfirm: '确认',
    totpRemove: '移除身份验证器应用',
  },
});

interface Passkey {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}
interface Factors {
  totp: { enrolled: boolean; confirmedAt: number | null };
  passkeys: Passkey[];
}

type PKC = typeof PublicKeyCredential & {
  parseCreationOptionsFromJSON?: (o: unknown) => PublicKeyCredentialCreationOptions;
};

async function createPasskey(name: string): Promise<void> {
  const start = await api.post<{ ceremony: string; options: unknown }>('/v1/me/passkeys/options', { name });
  const P = globalThis.PublicKeyCredential as PKC | undefined;
  if (!P?.parseCreationOptionsFromJSON) throw new Error(t('noWebauthn'));
  const cred = (await navigator.credentials.create({
    publicKey: P.parseCreationOptionsFromJSON(start.options),
  })) as (PublicKeyCredential & { toJSON(): unknown }) | null;
  if (!cred) throw new Error(t('noWebauthn'));
  await api.post('/v1/me/passkeys', { ceremony: start.ceremony, credential: cred.toJSON() });
}

export function SigninMethods() {
  useLang();
  const factors = useAsync(() => api.get<Factors>('/v1/me/second-factors'), []);
  const act = useAction();
  const [setup, setSetup] = useState<{ secret: string; qrDataUrl: string } | null>(null);
  return (
    <main>
      <h1>{t('title')}</h1>
      {act.prompt}
      {act.feedback}
      <Loaded state={factors}>
        {(f) => (
          <>
            <Section id="passkeys" title={t('passkeys')}>
              <p class="muted">{t('passkeysHelp')}</p>
              <Empty when={f.passkeys.length === 0}>
                <ul class="plain">
                  {f.passkeys.map((p) => (
                    <li key={p.id} class="item" data-passkey={p.id}>
                      <span>
                        <strong>{p.name}</strong>{' '}
                        <span class="muted">
                          {t('created', { time: fmtTime(p.createdAt) })} ·{' '}
                          {p.lastUsedAt ? t('lastUsed', { time: fmtTime(p.lastUsedAt) }) : t('never')}
                        </span>
                      </span>
                      <button
                        type="button"
                        class="danger"
                        aria-label={`${t('remove')}: ${p.name}`}
                        disabled={act.busy}
                        onClick={() =>
                          act.run(async () => {
                            await api.del(`/v1/me/passkeys/${encodeURIComponent(p.id)}`);
                            factors.reload();
                          })
                        }
                      >
                        {t('remove')}
                      </button>
                    </li>
                  ))}
                </ul>
              </Empty>
              <ActionForm
                layout="row"
                submit={t('add')}
                busy={act.busy}
                action={(f) => {
                  const name = String(f.get('name'));
                  void act.run(async () => {
                    await createPasskey(name);
                    factors.reload();
                  });
                }}
              >
                <label>
                  {t('name')}
                  <input name="name" required maxLength={64} />
                </label>
              </ActionForm>
            </Section>
            <Section id="totp" title={t('totp')}>
              <p id="totp-state">
                {f.totp.confirmedAt ? t('totpOn', { time: fmtTime(f.totp.confirmedAt) }) : t('totpOff')}
              </p>
              {f.totp.confirmedAt ? (
                <button
                  type="button"
                  class="danger"
                  disabled={act.busy}
                  onClick={() =>
                    act.run(async () => {
                      await api.del('/v1/me/totp');
                      factors.reload();
                    })
                  }
                >
                  {t('totpRemove')}
                </button>
              ) : setup ? (
                <ActionForm
                  submit={t('totpConfirm')}
                  busy={act.busy}
                  action={(f) => {
                    const code = String(f.get('code'));
                    void act.run(async () => {
                      await api.post('/v1/me/totp/confirm', { code });
                      setSetup(null);
                      factors.reload();
                    });
                  }}
                >
                  <p>{t('totpScan', { secret: setup.secret })}</p>
                  <img class="qr" src={setup.qrDataUrl} alt={t('qrAlt')} width={200} height={200} />
                  <label>
                    {t('code')}
                    <input name="code" inputMode="numeric" autocomplete="one-time-code" required />
                  </label>
                </ActionForm>
              ) : (
                <button
                  type="button"
                  disabled={act.busy}
                  onClick={() =>
                    act.run(async () => {
                      setSetup(await api.post<{ secret: string; qrDataUrl: string }>('/v1/me/totp'));
                    })
                  }
                >
                  {t('totpStart')}
                </button>
              )}
            </Section>
          </>
        )}
      </Loaded>
    </main>
  );
}
