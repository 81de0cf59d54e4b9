// The user security centre (/me/): the owner signed in with their Gatehouse session cookie (HttpOnly,
// SameSite, CSRF token on every change). The appeal flow (/me/appeal) is for owners who cannot sign in
// (the account is frozen): it runs on the appeal's case token instead, with no session.
import '../lib/styles.css';
import './me.css';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { defineMessages, setLang, useLang } from '../lib/i18n.ts';
import { ErrorBox, LangSwitch, Loaded, useAsync } from '../lib/ui.tsx';
import { Appeal } from './appeal/appeal.tsx';
import { Apps } from './pages/apps.tsx';
import { Home } from './pages/home.tsx';
import { Qr } from './pages/qr.tsx';
import { Recovery } from './pages/recovery.tsx';
import { Sessions } from './pages/sessions.tsx';
import { SigninMethods } from './pages/signin-methods.tsx';
import { api, MeContext, type MeAccount } from './session.ts';

const t = defineMessages({
  en: {
    title: 'Security centre',
    signOut: 'Sign out',
    signIn: 'Sign in',
    handle: 'Handle',
    password: 'Password',
    signInTitle: 'Sign in to your security centre',
    secondFactor: 'Your account asks for a second factor from this device.',
    code: 'Code from your authenticator app, or a recovery code',
    verify: 'Continue',
    frozen: 'Your account is frozen.',
    appeal: 'Appeal to get it back',
    pages: 'Sections',
    home: 'Overview',
    sessions: 'Sessions',
    methods: 'Passkeys and 2FA',
    recovery: 'Recovery',
    apps: 'Apps',
    qr: 'QR sign-in',
  },
  'zh-CN': {
    title: '安全中心',
    signOut: '退出登录',
    signIn: '登录',
    handle: '账号',
    password: '密码',
    signInTitle: '登录安全中心',
    secondFactor: '你的账号要求在此设备上进行第二步验证。',
    code: '身份验证器应用中的验证码或恢复码',
    verify: '继续',
    frozen: '你的账号已被冻结。',
    appeal: '申诉找回账号',
    pages: '栏目',
    home: '概览',
    sessions: '会话',
    methods: '通行密钥与两步验证',
    recovery: '账号找回',
    apps: '应用',
    qr: '扫码登录',
  },
});

interface SecondFactor {
  challenge: string;
  methods: string[];
}

function SignIn({ onDone }: { onDone: () => void }) {
  useLang();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [second, setSecond] = useState<SecondFactor | null>(null);
  const [frozen, setFrozen] = useState<string | null>(null);
  async function attempt(f: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await f();
      onDone();
    } catch (err) {
      const p = (err as { code?: string; problem?: Record<string, unknown> }) ?? {};
      if (p.code === 'SIGNIN_SECOND_FACTOR_REQUIRED' && typeof p.problem?.challenge === 'string')
        setSecond({ challenge: p.problem.challenge, methods: (p.problem.methods as string[]) ?? [] });
      else if (p.code === 'ACCOUNT_FROZEN') setFrozen('frozen');
      else setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main>
      <h1>{t('signInTitle')}</h1>
      {frozen ? (
        <p class="error" role="alert">
          {t('frozen')} <a href="/me/appeal">{t('appeal')}</a>
        </p>
      ) : null}
      {second ? (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            const code = String(new FormData(e.currentTarget as HTMLFormElement).get('code')).trim();
            const method = /^\d{6}$/.test(code) ? 'totp' : 'recovery_code';
            void attempt(() =>
              api.post('/v1/auth/signin/second-factor', {
                challenge: second.challenge,
                method,
                code,
                mode: 'cookie',
              }),
            );
          }}
        >
          <p>{t('secondFactor')}</p>
          <label>
            {t('code')}
            <input name="code" autocomplete="one-time-code" required />
          </label>
          <button type="submit" disabled={busy}>
            {t('verify')}
          </button>
          <ErrorBox error={error} />
        </form>
      ) : (
        <form
          class="stack"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget as HTMLFormElement);
            void attempt(() =>
              api.post('/v1/auth/signin', {
                handle: f.get('handle'),
                password: f.get('password'),
                mode: 'cookie',
              }),
            );
          }}
        >
          <label>
            {t('handle')}
            <input name="handle" autocomplete="username" required />
          </label>
          <label>
            {t('password')}
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button type="submit" disabled={busy}>
            {t('signIn')}
          </button>
          <ErrorBox error={error} />
        </form>
      )}
    </main>
  );
}

const NAV = [
  { path: '/me/', key: 'home' },
  { path: '/me/sessions', key: 'sessions' },
  { path: '/me/signin-methods', key: 'methods' },
  { path: '/me/recovery', key: 'recovery' },
  { path: '/me/apps', key: 'apps' },
  { path: '/me/qr', key: 'qr' },
] as const;

function Nav() {
  useLang();
  const { path } = useLocation();
  return (
    <nav class="main" aria-label={t('pages')}>
      {NAV.map((n) => (
        <a
          key={n.path}
          href={n.path}
          aria-current={
            path === n.path || (n.path !== '/me/' && path.startsWith(n.path)) ? 'page' : undefined
          }
        >
          {t(n.key)}
        </a>
      ))}
    </nav>
  );
}

function Centre() {
  useLang();
  const me = useAsync(() => api.get<MeAccount>('/v1/me'), []);
  const unauthenticated = (me.error as { status?: number } | undefined)?.status === 401;
  if (unauthenticated) return <SignIn onDone={me.reload} />;
  return (
    <Loaded state={me}>
      {(account) => (
        <MeContext.Provider value={{ me: account, reload: me.reload }}>
          <div class="me-bar">
            <Nav />
            <button
              type="button"
              class="secondary"
              onClick={async () => {
                await api.post('/v1/auth/signout');
                me.reload();
              }}
            >
              {t('signOut')}
            </button>
          </div>
          <Router>
            <Route path="/me/" component={Home} />
            <Route path="/me/sessions" component={Sessions} />
            <Route path="/me/signin-methods" component={SigninMethods} />
            <Route path="/me/recovery" component={Recovery} />
            <Route path="/me/apps" component={Apps} />
            <Route path="/me/qr" component={Qr} />
            <Route path="/me/qr/:code" component={Qr} />
            <Route default component={Home} />
          </Router>
        </MeContext.Provider>
      )}
    </Loaded>
  );
}

function App() {
  useLang();
  const { path } = useLocation();
  return (
    <>
      <header class="top">
        <span class="brand">Gatehouse · {t('title')}</span>
        <LangSwitch />
      </header>
      {path.startsWith('/me/appeal') ? <Appeal /> : <Centre />}
    </>
  );
}

// a link from the platform may say which language the person reads (?lang=zh-CN|zh|en)
const asked = new URLSearchParams(location.search).get('lang');
if (asked === 'en') setLang('en');
else if (asked && asked.toLowerCase().startsWith('zh')) setLang('zh-CN');

render(
  <LocationProvider>
    <App />
  </LocationProvider>,
  document.getElementById('app')!,
);
