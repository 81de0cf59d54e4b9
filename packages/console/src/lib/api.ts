// The HTTP client for Gatehouse's API: same origin, cookies, and the CSRF token on every
// state-changing call. Errors arrive as problem+json and are thrown as ApiError with their stable code.

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  titleZh?: string;
  [k: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem.code ?? `HTTP_${status}`;
    this.problem = problem;
  }
}

/** Reads a cookie visible to scripts (the CSRF cookie; the session cookie itself is HttpOnly). */
export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export interface ApiOptions {
  /** The CSRF token for state-changing calls (read each time: it changes at sign-in). */
  csrf: () => string | undefined;
  /** Called on 401 (no or expired session), e.g. to show the sign-in page. */
  onUnauthenticated?: () => void;
}

const SAFE = new Set(['GET', 'HEAD']);

export interface Api {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body?: unknown): Promise<T>;
  del<T>(path: string, body?: unknown): Promise<T>;
}

export function createApi(opts: ApiOptions): Api {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (!SAFE.has(method)) {
      const token = opts.csrf();
      if (token) headers['x-csrf-token'] = token;
    }
    const res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status === 204) return undefined as T;
    const type = res.headers.get('content-type') ?? '';
    const data: unknown = type.includes('json') ? await res.json() : await res.text();
    if (!res.ok) {
      if (res.status === 401) opts.onUnauthenticated?.();
      throw new ApiError(
        res.status,
        typeof data === 'object' && data ? (data as Problem) : { detail: String(data) },
      );
    }
    return data as T;
  }
  return {
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b ?? {}),
    put: (p, b) => call('PUT', p, b ?? {}),
    patch: (p, b) => call('PATCH', p, b ?? {}),
    del: (p, b) => call('DELETE', p, b),
  };
}

/** Query string from an object, skipping empty values. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
