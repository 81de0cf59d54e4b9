// A tiny i18n module: zh-CN and English, the browser's language by default, switchable, persisted in
// localStorage. Each page registers its own messages (both languages, same keys, checked by the type).
import { useEffect, useState } from 'preact/hooks';

export type Lang = 'en' | 'zh-CN';
export const LANGS: readonly Lang[] = ['en', 'zh-CN'];
const STORAGE_KEY = 'gatehouse.lang';

/** The language a browser asks for: Chinese when its first Chinese-or-English preference is Chinese. */
export function detectLang(languages: readonly string[] = navigator.languages ?? [navigator.language]): Lang {
  for (const l of languages) {
    const x = l.toLowerCase();
    if (x.startsWith('zh')) return 'zh-CN';
    if (x.startsWith('en')) return 'en';
  }
  return 'en';
}

function initial(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    // storage blocked (private mode, embedded page): follow the browser
  }
  return detectLang();
}

let current: Lang = initial();
const listeners = new Set<(l: Lang) => void>();
document.documentElement.lang = current;

export function getLang(): Lang {
  return current;
}

export function setLang(l: Lang): void {
  current = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch {
    // not persisted; the choice holds for this page
  }
  for (const f of listeners) f(l);
}

/** Re-renders the calling component when the language changes; returns the current one. */
export function useLang(): Lang {
  const [l, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    return () => void listeners.delete(set);
  }, []);
  return l;
}

export type Messages<K extends string> = Record<Lang, Record<K, string>>;

/**
 * Defines a message table; `t(key, params)` fills `{name}` placeholders. Both languages must define
 * every key (a missing one is a type error).
 */
export function defineMessages<K extends string>(m: {
  en: Record<K, string>;
  'zh-CN': Record<K, string>;
}): (key: K, params?: Record<string, string | number>) => string {
  return (key, params) => {
    const text = m[current][key] ?? m.en[key] ?? key;
    return params ? text.replace(/\{(\w+)\}/g, (_, p: string) => String(params[p] ?? `{${p}}`)) : text;
  };
}

/** Formats a time (ms since epoch) in the current language. */
export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString(current, { hour12: false });
}

export function fmtNumber(n: number): string {
  return n.toLocaleString(current);
}
