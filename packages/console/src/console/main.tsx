// The operator console (/console/): sign-in (password + TOTP) and the pages behind it.
import '../lib/styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LocationProvider } from 'preact-iso';
import { defineMessages, useLang } from '../lib/i18n.ts';
import { ErrorBox, LangSwitch } from '../lib/ui.tsx';
import { api, onSessionLost, setSession, type ConsoleSession } from './session.ts';
import { Shell } from './shell.tsx';

const t = defineMessages({
  en: {
    brand: 'Gatehouse console',
    signInTitle: 'Operator sign-in',
    handle: 'Operator name',
    password: 'Password',
    code: 'Authenticator code',
    signIn: 'Sign in',
    loading: 'Loading…',
  },
  'zh-CN': {
    brand: 'Gatehouse 控制台',
    signInTitle: '运营人员登录',
    handle: '运营账号',
    password: '密码',
    code: '验证器动态码',
    signIn: '登录',
    loading: '加载中…',
  },
});

function SignIn({ onDone }: { onDone: (s: ConsoleSession) => void }) {
  useLang();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    try {
      onDone(
        await api.post<ConsoleSession>('/v1/console/signin', {
          handle: f.get('handle'),
          password: f.get('password'),
          code: f.get('code'),
        }),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main>
      <h1>{t('signInTitle')}</h1>
      <form class="stack" onSubmit={submit}>
        <label>
          {t('handle')}
          <input name="handle" autocomplete="username" required />
        </label>
        <label>
          {t('password')}
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <label>
          {t('code')}
          <input name="code" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required />
        </label>
        <button type="submit" disabled={busy}>
          {t('signIn')}
        </button>
        <ErrorBox error={error} />
      </form>
    </main>
  );
}

function App() {
  useLang();
  const [session, set] = useState<ConsoleSession | null | undefined>(undefined);
  const use = (s: ConsoleSession | null) => {
    setSession(s ?? undefined);
    set(s);
  };
  useEffect(() => {
    onSessionLost(() => use(null));
    api.get<ConsoleSession>('/v1/console/session').then(use, () => use(null));
  }, []);
  if (session === undefined) return <p aria-busy="true">{t('loading')}</p>;
  if (session === null)
    return (
      <>
        <header class="top">
          <span class="brand">{t('brand')}</span>
          <LangSwitch />
        </header>
        <SignIn onDone={use} />
      </>
    );
  return (
    <LocationProvider>
      <Shell session={session} onSignedOut={() => use(null)} />
    </LocationProvider>
  );
}

render(<App />, document.getElementById('app')!);
