// Shared building blocks for both sections: data loading, error display, the language switch.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { defineMessages, getLang, LANGS, setLang, useLang, type Lang } from './i18n.ts';

const t = defineMessages({
  en: { loading: 'Loading…', language: 'Language', retry: 'Try again', empty: 'Nothing here.' },
  'zh-CN': { loading: '加载中…', language: '语言', retry: '重试', empty: '暂无内容。' },
});

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on reload()); the last answer wins. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, set] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const seq = useRef(0);
  const run = useCallback(() => {
    const n = ++seq.current;
    set((s) => ({ ...s, loading: true }));
    load().then(
      (data) => n === seq.current && set({ data, error: undefined, loading: false }),
      (error: unknown) => n === seq.current && set((s) => ({ data: s.data, error, loading: false })),
    );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** Calls `f` every `ms` while the page is shown (polling for live views). */
export function useInterval(f: () => void, ms: number): void {
  const saved = useRef(f);
  saved.current = f;
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

/**
 * Live data: the answer of `path` at once, then every event `event` of the Server-Sent Events stream
 * `streamPath` (same origin, the session cookie goes with it). While the stream is down (refused, ended,
 * reconnecting, or no EventSource) it polls `path` every `pollMs` instead. `streaming` says which.
 */
export function useLive<T>(
  path: string,
  streamPath: string,
  event: string,
  load: () => Promise<T>,
  pollMs: number,
): Async<T> & { streaming: boolean } {
  const state = useAsync(load, [path]);
  const [pushed, setPushed] = useState<T>();
  const [streaming, setStreaming] = useState(false);
  useEffect(() => {
    if (typeof EventSource === 'undefined') return;
    const es = new EventSource(streamPath);
    es.addEventListener(event, (e) => {
      setPushed(JSON.parse((e as MessageEvent<string>).data) as T);
      setStreaming(true);
    });
    es.addEventListener('end', () => {
      es.close();
      setStreaming(false);
    });
    es.onerror = () => setStreaming(false);
    return () => es.close();
  }, [streamPath, event]);
  useInterval(() => {
    if (!streaming) state.reload();
  }, pollMs);
  // the newest of the two wins (a poll can answer after an event)
  const newest =
    pushed !== undefined &&
    (state.data === undefined || (pushed as { at?: number }).at! >= (state.data as { at?: number }).at!)
      ? pushed
      : state.data;
  return { ...state, data: newest, streaming };
}

/** The message of an error in the current language (problem+json titles come in both). */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const title = getLang() === 'zh-CN' ? (e.problem.titleZh ?? e.problem.title) : e.problem.title;
    const detail = e.problem.detail && e.problem.detail !== title ? `: ${e.problem.detail}` : '';
    return `${title ?? e.message}${detail} (${e.code})`;
  }
  return e instanceof Error ? e.message : String(e);
}

export function ErrorBox({ error }: { error: unknown }) {
  useLang();
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {errorText(error)}
    </p>
  );
}

/** Shows loading, the error, or the children built from the data. */
export function Loaded<T>({
  state,
  children,
}: {
  state: Async<T>;
  children: (data: T) => ComponentChildren;
}) {
  useLang();
  if (state.data === undefined) {
    if (state.error) return <ErrorBox error={state.error} />;
    return <p aria-busy="true">{t('loading')}</p>;
  }
  return (
    <>
      {state.error ? <ErrorBox error={state.error} /> : null}
      {children(state.data)}
    </>
  );
}

export function Empty({ when, children }: { when: boolean; children: ComponentChildren }) {
  useLang();
  return when ? <p class="muted">{t('empty')}</p> : <>{children}</>;
}

export function LangSwitch() {
  const lang = useLang();
  return (
    <label class="lang">
      <span class="visually-hidden">{t('language')}</span>
      <select value={lang} onChange={(e) => setLang((e.currentTarget as HTMLSelectElement).value as Lang)}>
        {LANGS.map((l) => (
          <option key={l} value={l}>
            {l === 'en' ? 'English' : '简体中文'}
          </option>
        ))}
      </select>
    </label>
  );
}
