// The security centre's own building blocks: plain-words text in the reader's language, actions that
// ask for the password again when Gatehouse wants a fresh proof (REAUTH_REQUIRED), and sections.
import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api.ts';
import { defineMessages, getLang, useLang } from '../lib/i18n.ts';
import { ErrorBox } from '../lib/ui.tsx';
import { api } from './session.ts';

export interface Localized {
  en: string;
  zh: string;
}

/** The text of a `{en, zh}` pair in the current language. */
export function L(x: Localized | null | undefined): string {
  if (!x) return '';
  return getLang() === 'zh-CN' ? x.zh : x.en;
}

const t = defineMessages({
  en: {
    reauthTitle: 'Confirm it is you',
    reauthBody: 'This change needs your password again.',
    password: 'Password',
    confirm: 'Confirm',
    cancel: 'Cancel',
  },
  'zh-CN': {
    reauthTitle: '确认是你本人',
    reauthBody: '此项修改需要再次输入密码。',
    password: '密码',
    confirm: '确认',
    cancel: '取消',
  },
});

export { Section } from '../lib/layout.tsx';

/**
 * Runs a state-changing call; when Gatehouse answers REAUTH_REQUIRED, asks for the password
 * (POST /v1/me/reauth) and runs the call again.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [pending, setPending] = useState<(() => Promise<void>) | null>(null);
  async function run(f: () => Promise<void>): Promise<void> {
    setBusy(true);
    setError(undefined);
    try {
      await f();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'REAUTH_REQUIRED') setPending(() => f);
      else setError(e);
    } finally {
      setBusy(false);
    }
  }
  const prompt = pending ? (
    <Reauth
      onCancel={() => setPending(null)}
      onDone={async () => {
        const f = pending;
        setPending(null);
        await run(f);
      }}
    />
  ) : null;
  return { busy, error, run, prompt, feedback: <ErrorBox error={error} /> };
}

function Reauth({ onDone, onCancel }: { onDone: () => Promise<void>; onCancel: () => void }) {
  useLang();
  const [error, setError] = useState<unknown>();
  return (
    <form
      class="stack card reauth"
      aria-label={t('reauthTitle')}
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget as HTMLFormElement);
        try {
          await api.post('/v1/me/reauth', { password: f.get('password') });
          await onDone();
        } catch (err) {
          setError(err);
        }
      }}
    >
      <strong>{t('reauthTitle')}</strong>
      <p>{t('reauthBody')}</p>
      <label>
        {t('password')}
        <input name="password" type="password" autocomplete="current-password" required />
      </label>
      <div class="row">
        <button type="submit">{t('confirm')}</button>
        <button type="button" class="secondary" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
      <ErrorBox error={error} />
    </form>
  );
}

/** A device as people read it: "Chrome on Windows (desktop)". */
export function deviceName(d: { label: string; browser?: string; os?: string; deviceType?: string }): string {
  if (d.browser && d.os) return `${d.browser} · ${d.os}${d.deviceType ? ` (${d.deviceType})` : ''}`;
  return d.label;
}
