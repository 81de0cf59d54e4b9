/**
 * A minimal browser over HTTP for a simulated person (and the tests): a cookie jar per host and path,
 * manual redirects, HTML form reading. `gatehouse demo` walks "Sign in with Chat" with it; the OAuth
 * tests drive the provider's pages with it (oauth/test-browser.ts).
 */

interface Cookie {
  name: string;
  value: string;
  path: string;
  host: string;
}

export class WebBrowser {
  readonly cookies: Cookie[] = [];
  readonly userAgent: string;
  readonly headers: Record<string, string>;
  constructor(opts: { userAgent?: string; headers?: Record<string, string> } = {}) {
    this.userAgent = opts.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 TestBrowser';
    this.headers = opts.headers ?? {};
  }

  cookie(name: string): string | undefined {
    return this.cookies.find((c) => c.name === name)?.value;
  }

  private store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      let path = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v] = a.trim().split('=');
        if (k!.toLowerCase() === 'path') path = v ?? '/';
        if (k!.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k!.toLowerCase() === 'expires' && Date.parse(v ?? '') < Date.now()) expired = true;
      }
      const i = this.cookies.findIndex((c) => c.name === name && c.path === path && c.host === url.host);
      if (i >= 0) this.cookies.splice(i, 1);
      if (!expired && value !== '') this.cookies.push({ name, value, path, host: url.host });
    }
  }

  private cookieHeader(url: URL): string {
    return this.cookies
      .filter((c) => c.host === url.host && url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** One request, no redirect following. */
  async request(
    url: string,
    init: {
      method?: string;
      form?: Record<string, string | string[]>;
      headers?: Record<string, string>;
    } = {},
  ): Promise<{ status: number; location: string | undefined; body: string; url: string; headers: Headers }> {
    const u = new URL(url);
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      ...this.headers,
      ...init.headers,
    };
    const c = this.cookieHeader(u);
    if (c) headers.cookie = c;
    let body: string | undefined;
    if (init.form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form))
        for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(u, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.store(u, res);
    const loc = res.headers.get('location');
    return {
      status: res.status,
      location: loc ? new URL(loc, u).toString() : undefined,
      body: await res.text(),
      url: u.toString(),
      headers: res.headers,
    };
  }

  /** Follows redirects until a page (non-3xx) or a URL starting with `stopAt` (returned, not fetched). */
  async follow(
    url: string,
    stopAt: string,
    init: { method?: string; form?: Record<string, string | string[]> } = {},
  ): Promise<{ stopped: string } | { page: string; status: number; url: string }> {
    let r = await this.request(url, init);
    for (let i = 0; i < 20; i++) {
      if (r.status >= 300 && r.status < 400 && r.location) {
        if (r.location.startsWith(stopAt)) return { stopped: r.location };
        r = await this.request(r.location);
        continue;
      }
      return { page: r.body, status: r.status, url: r.url };
    }
    throw new Error('too many redirects');
  }
}

/** The action and fields of the first <form> on a page (hidden inputs and checked checkboxes). */
export function readForm(
  html: string,
  id?: string,
): { action: string; fields: Record<string, string | string[]> } {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const f = id ? forms.find((m) => m[1]!.includes(`id="${id}"`)) : forms[0];
  if (!f) throw new Error(`no form${id ? ` ${id}` : ''} in page: ${html.slice(0, 500)}`);
  const action = /action="([^"]*)"/.exec(f[1]!)?.[1] ?? '';
  const fields: Record<string, string | string[]> = {};
  for (const m of f[2]!.matchAll(/<input\b([^>]*)>/g)) {
    const a = m[1]!;
    const name = /name="([^"]*)"/.exec(a)?.[1];
    if (!name) continue;
    const type = /type="([^"]*)"/.exec(a)?.[1] ?? 'text';
    const value = (/value="([^"]*)"/.exec(a)?.[1] ?? '').replaceAll('&amp;', '&').replaceAll('&quot;', '"');
    if (type === 'checkbox') {
      if (!/\bchecked\b/.test(a)) continue;
      const cur = fields[name];
      fields[name] = cur === undefined ? [value] : [...(Array.isArray(cur) ? cur : [cur]), value];
    } else if (type === 'hidden' || type === 'text') fields[name] = value;
  }
  return { action: action.replaceAll('&amp;', '&'), fields };
}
