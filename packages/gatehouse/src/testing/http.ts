/**
 * Test-only: one HTTP request over node:http with a kept-alive connection, answered as status, headers
 * (a fetch `Headers`) and body text. For tests that send thousands of requests (the fuzz of every
 * endpoint): fetch (undici, web streams) costs about twice the CPU of node:http per request, client and
 * server together. The request carries the headers fetch adds (so the server sees the same request); the
 * server's close ends the idle connections.
 */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true });
/** What fetch sends unless told otherwise (Node 24's undici). */
const FETCH_DEFAULTS: Record<string, string> = {
  accept: '*/*',
  'accept-language': '*',
  'sec-fetch-mode': 'cors',
  'user-agent': 'node',
  'accept-encoding': 'gzip, deflate',
};

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

export function rawRequest(
  url: string,
  init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...FETCH_DEFAULTS };
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  if (typeof init.body === 'string' && headers['content-type'] === undefined)
    headers['content-type'] = 'text/plain;charset=UTF-8';
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers))
          for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, x);
        resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
