/**
 * The simulator's HTTP client: operator calls with the key, user calls with a user agent and client IP
 * (and a user's own bearer token: a session or a recovery case token).
 */
import { GatehouseError } from '../errors/index.ts';

export interface CallResult<T> {
  status: number;
  data: T;
}

export class SimApi {
  readonly url: string;
  private readonly key: string;
  constructor(url: string, key: string) {
    this.url = url.replace(/\/+$/, '');
    this.key = key;
  }

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    o: { key?: boolean; bearer?: string; ua?: string; ip?: string; ok?: number[] } = {},
  ): Promise<CallResult<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
    else if (o.key !== false) headers.authorization = `Bearer ${this.key}`;
    if (o.ua) headers['user-agent'] = o.ua;
    if (o.ip) headers['x-forwarded-for'] = o.ip;
    let res: Response;
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      throw new GatehouseError('SIM_API_FAILED', `${method} ${path}: ${(e as Error).message}`);
    }
    const text = await res.text();
    let data: T;
    try {
      data = (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new GatehouseError(
        'SIM_API_FAILED',
        `${method} ${path}: ${res.status}, not JSON: ${text.slice(0, 200)}`,
      );
    }
    if (!res.ok && !(o.ok ?? []).includes(res.status)) {
      const code = (data as { code?: unknown } | undefined)?.code;
      throw new GatehouseError(
        'SIM_API_FAILED',
        `${method} ${path}: ${res.status}${typeof code === 'string' ? ` ${code}` : ''} ${text.slice(0, 300)}`,
      );
    }
    return { status: res.status, data };
  }
}

/** Runs `f` over `items` with at most `n` calls in flight; `tick` after each. */
export async function pool<T>(
  items: readonly T[],
  n: number,
  f: (x: T, i: number) => Promise<void>,
  tick?: () => void,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      await f(items[i]!, i);
      tick?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
