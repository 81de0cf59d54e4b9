/**
 * The simulator's HTTP client: operator calls with the key, user calls with a user agent and client IP
 * (and a user's own bearer token: a session or a recovery case token).
 */
import { Pool, type Dispatcher } from 'undici';
import { GatehouseError } from '../errors/index.ts';

/** One call's wait for an answer (headers, then body), ms. */
const CALL_TIMEOUT_MS = 60_000;

export interface CallResult<T> {
  status: number;
  data: T;
}

export class SimApi {
  readonly url: string;
  private readonly key: string;
  /**
   * Keep-alive connections to Gatehouse through undici's own request API: the society's thousands of
   * calls (in the replay's process, beside an embedded Gatehouse) cost about half the CPU of `fetch`,
   * whose web streams, Request/Response objects and per-call abort timer the simulator does not need.
   */
  private readonly pool: Pool;
  private readonly base: string;
  constructor(url: string, key: string) {
    this.url = url.replace(/\/+$/, '');
    this.key = key;
    const u = new URL(this.url);
    this.base = u.pathname.replace(/\/+$/, '');
    this.pool = new Pool(u.origin, {
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: CALL_TIMEOUT_MS,
      bodyTimeout: CALL_TIMEOUT_MS,
    });
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
    let status: number;
    let text: string;
    try {
      const res = await this.pool.request({
        method: method as Dispatcher.HttpMethod,
        path: `${this.base}${path}`,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      throw new GatehouseError('SIM_API_FAILED', `${method} ${path}: ${(e as Error).message}`);
    }
    let data: T;
    try {
      data = (text ? JSON.parse(text) : undefined) as T;
    } catch {
      throw new GatehouseError(
        'SIM_API_FAILED',
        `${method} ${path}: ${status}, not JSON: ${text.slice(0, 200)}`,
      );
    }
    const ok = status >= 200 && status < 300;
    if (!ok && !(o.ok ?? []).includes(status)) {
      const code = (data as { code?: unknown } | undefined)?.code;
      throw new GatehouseError(
        'SIM_API_FAILED',
        `${method} ${path}: ${status}${typeof code === 'string' ? ` ${code}` : ''} ${text.slice(0, 300)}`,
      );
    }
    return { status, data };
  }

  /** Closes the kept-alive connections. */
  close(): Promise<void> {
    return this.pool.close();
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
