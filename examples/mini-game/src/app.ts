/**
 * A small third-party game that offers "Sign in with Chat": it is a confidential OpenID Connect client
 * of Gatehouse (openid-client, authorization code + PKCE S256 through a pushed authorisation request),
 * shows the player the data it received, and reads nothing more than the scopes it was granted. When
 * the platform switches it off, its tokens stop working and it says so.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

export interface MiniGameOptions {
  /** Gatehouse's issuer URL (e.g. http://127.0.0.1:8080). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where the game listens (port 0 picks one). */
  host?: string;
  port?: number;
  /** Scopes the game asks for (its registered ceiling may be wider; the user may decline any). */
  scope?: string;
  /** http:// issuers are allowed only on loopback (development and tests). */
  allowInsecure?: boolean;
}

interface Player {
  verifier: string;
  state: string;
  tokens?: { access: string; refresh?: string; sub: string; scope: string };
}

const COOKIE = 'mg_session';
const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:560px;margin:40px auto}dt{font-weight:600}code{background:#eee;padding:2px 4px}</style>
</head><body>${body}</body></html>`;
}

export interface MiniGame {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startMiniGame(o: MiniGameOptions): Promise<MiniGame> {
  const config = await oidc.discovery(
    new URL(o.issuer),
    o.clientId,
    undefined,
    oidc.ClientSecretBasic(o.clientSecret),
    o.allowInsecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  const players = new Map<string, Player>();
  const scope = o.scope ?? 'openid nickname avatar friend_count';
  let base = '';

  const sessionOf = (req: IncomingMessage): [string, Player] | undefined => {
    const m = new RegExp(`(?:^|;\\s*)${COOKIE}=([A-Za-z0-9_-]{43})`).exec(req.headers.cookie ?? '');
    if (!m) return undefined;
    for (const [id, p] of players)
      if (id.length === m[1]!.length && timingSafeEqual(Buffer.from(id), Buffer.from(m[1]!))) return [id, p];
    return undefined;
  };
  const send = (res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(html);
  };

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>> = {
    '/': async (_req, res) =>
      send(
        res,
        200,
        page(
          'Mini Game',
          `<h1>Mini Game 小游戏</h1><p><a id="signin" href="/login">Sign in with Chat / 用聊天账号登录</a></p>`,
        ),
      ),
    '/login': async (_req, res) => {
      const id = randomBytes(32).toString('base64url');
      const player: Player = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState() };
      players.set(id, player);
      const url = await oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: `${base}/cb`,
        scope,
        code_challenge: await oidc.calculatePKCECodeChallenge(player.verifier),
        code_challenge_method: 'S256',
        state: player.state,
      });
      send(res, 303, '', {
        location: url.toString(),
        'set-cookie': `${COOKIE}=${id}; HttpOnly; SameSite=Lax; Path=/`,
      });
    },
    '/cb': async (req, res, url) => {
      const s = sessionOf(req);
      if (!s) return send(res, 400, page('Error', '<p>No sign-in in progress / 没有进行中的登录</p>'));
      const [, player] = s;
      if (url.searchParams.get('error'))
        return send(res, 200, page('Cancelled', `<p id="error">${esc(url.searchParams.get('error'))}</p>`));
      const t = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: player.verifier,
        expectedState: player.state,
      });
      player.tokens = {
        access: t.access_token,
        ...(t.refresh_token ? { refresh: t.refresh_token } : {}),
        sub: t.claims()!.sub,
        scope: t.scope ?? '',
      };
      send(res, 303, '', { location: '/me' });
    },
    '/me': async (req, res) => {
      const s = sessionOf(req);
      if (!s?.[1].tokens) return send(res, 303, '', { location: '/' });
      const [id, { tokens }] = s;
      // what the game is allowed to read, straight from Gatehouse's resource API
      const r = await fetch(new URL('/v1/apps/me', o.issuer), {
        headers: { authorization: `Bearer ${tokens.access}` },
      });
      if (r.status === 401) {
        players.delete(id);
        return send(
          res,
          200,
          page(
            'Signed out',
            `<h1 id="revoked">Access ended / 访问已结束</h1><p>The platform revoked this game's access (it may have switched the game off). 平台已撤销本游戏的访问权限（可能已停用本游戏）。</p>`,
          ),
        );
      }
      if (!r.ok) return send(res, 502, page('Error', `<p>Gatehouse answered ${r.status}</p>`));
      const data = (await r.json()) as { sub: string; fields: Record<string, string | number> };
      const granted = tokens.scope.split(' ').filter((x) => x !== 'openid');
      const declined = scope.split(' ').filter((x) => x !== 'openid' && !granted.includes(x));
      const rows = Object.entries(data.fields)
        .map(([k, v]) => `<dt>${esc(k)}</dt><dd data-field="${esc(k)}">${esc(v)}</dd>`)
        .join('');
      send(
        res,
        200,
        page(
          'Your data',
          `<h1>What Mini Game received / 小游戏收到的数据</h1>
<p>Your id in this game (not your chat account id) / 你在本游戏中的编号：<code id="sub">${esc(data.sub)}</code></p>
<dl id="fields">${rows || '<dd>nothing / 无</dd>'}</dl>
<p id="declined">Declined / 已拒绝：${esc(declined.join(', ') || '—')}</p>`,
        ),
      );
    },
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base || 'http://localhost');
    const h = routes[url.pathname];
    if (!h) return send(res, 404, page('Not found', '<p>Not found</p>'));
    h(req, res, url).catch((e: unknown) => {
      // the OAuth error code when Gatehouse refused (a body error or a WWW-Authenticate challenge)
      const x = e as { error?: string; cause?: Array<{ parameters?: { error?: string } }>; message?: string };
      const code = x.error ?? (Array.isArray(x.cause) ? x.cause[0]?.parameters?.error : undefined);
      const msg = code ?? x.message ?? String(e);
      send(res, 502, page('Error', `<p id="error">${esc(msg.slice(0, 200))}</p>`));
    });
  });
  await new Promise<void>((r) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', r));
  const a = server.address() as AddressInfo;
  base = `http://${a.address}:${a.port}`;
  return {
    url: base,
    server,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
