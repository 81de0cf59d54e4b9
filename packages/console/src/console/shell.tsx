// The console's frame: header (operator, role, language, sign out), the page list, the router.
import { Route, Router, useLocation } from 'preact-iso';
import { defineMessages, useLang } from '../lib/i18n.ts';
import { LangSwitch } from '../lib/ui.tsx';
import { PAGES } from './pages/index.ts';
import { api, SessionContext, type ConsoleSession } from './session.ts';

const t = defineMessages({
  en: {
    brand: 'Gatehouse console',
    signOut: 'Sign out',
    role: 'role: {role}',
    pages: 'Pages',
    notFound: 'No such page.',
  },
  'zh-CN': {
    brand: 'Gatehouse 控制台',
    signOut: '退出登录',
    role: '角色：{role}',
    pages: '页面',
    notFound: '页面不存在。',
  },
});

export function Shell({ session, onSignedOut }: { session: ConsoleSession; onSignedOut: () => void }) {
  const lang = useLang();
  const { path } = useLocation();
  const op = session.operator;
  return (
    <>
      <header class="top">
        <span class="brand">{t('brand')}</span>
        <span id="operator">
          {op.handle} · {t('role', { role: op.role })}
        </span>
        <LangSwitch />
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            await api.post('/v1/console/signout').catch(() => undefined);
            onSignedOut();
          }}
        >
          {t('signOut')}
        </button>
      </header>
      <nav class="main" aria-label={t('pages')}>
        {PAGES.filter((p) => p.nav).map((p) => (
          <a
            key={p.path}
            href={p.path}
            aria-current={
              path === p.path || (p.path !== '/console/' && path.startsWith(p.path)) ? 'page' : undefined
            }
          >
            {p.title[lang]}
          </a>
        ))}
      </nav>
      <SessionContext.Provider value={session}>
        <Router>
          {PAGES.map((p) => (
            <Route key={p.path} path={p.route ?? p.path} component={p.component} />
          ))}
          <Route default component={NotFound} />
        </Router>
      </SessionContext.Provider>
    </>
  );
}

function NotFound() {
  useLang();
  return (
    <main id="content">
      <h1>{t('notFound')}</h1>
    </main>
  );
}
