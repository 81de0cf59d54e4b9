// Serves the built console (packages/console/dist, made by `npm install`'s build step): /console/ for
// operators, /me/ for owners, their hashed assets under /console/assets/. Files are listed once when the
// routes are registered (a fixed map: no path from a request ever reaches the file system), and every
// page carries a strict Content-Security-Policy: scripts, styles and connections from this origin only,
// no inline code, no framing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { GatehouseError } from '../errors/index.ts';

/** Where `npm install` builds the console (packages/console/dist). */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

interface File {
  body: Buffer;
  type: string;
}

function listAssets(dir: string): Map<string, File> {
  const out = new Map<string, File>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) out.set(name, { body: readFileSync(join(dir, name)), type });
  }
  return out;
}

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}

export interface ConsoleStaticOptions {
  /** The built console (default CONSOLE_DIST). */
  dist?: string;
}

export const consoleStatic: FastifyPluginAsync<ConsoleStaticOptions> = async (app, opts) => {
  const dist = opts.dist ?? CONSOLE_DIST;
  const pages = new Map<string, Buffer>();
  for (const section of ['console', 'me']) {
    const f = join(dist, section, 'index.html');
    if (existsSync(f)) pages.set(section, readFileSync(f));
  }
  const assets = listAssets(join(dist, 'assets'));

  const page = (section: 'console' | 'me') => async (_req: unknown, reply: FastifyReply) => {
    const html = pages.get(section);
    if (!html)
      throw new GatehouseError(
        'CONSOLE_NOT_BUILT',
        `${join(dist, section, 'index.html')} is missing: run npm install (or npm run build:console)`,
      );
    return securityHeaders(reply)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(html);
  };
  for (const section of ['console', 'me'] as const) {
    app.get(`/${section}`, { schema: { hide: true } }, (_req, reply) => reply.redirect(`/${section}/`));
    app.get(`/${section}/`, { schema: { hide: true } }, page(section));
    // the pages route in the browser (preact-iso): every deeper path answers with the same page
    app.get(`/${section}/*`, { schema: { hide: true } }, page(section));
  }
  // the URL a QR login code carries (identity's qrUrlBase, <publicUrl>/qr/<code>): a phone's camera opens
  // it, and the owner approves or declines on the security centre's page
  app.get<{ Params: { code: string } }>('/qr/:code', { schema: { hide: true } }, (req, reply) =>
    reply.redirect(`/me/qr/${encodeURIComponent(req.params.code)}`),
  );
  app.get<{ Params: { file: string } }>(
    '/console/assets/:file',
    { schema: { hide: true } },
    async (req, reply) => {
      const f = assets.get(req.params.file);
      if (!f) throw new GatehouseError('NOT_FOUND', 'no such console asset');
      return securityHeaders(reply)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(f.type)
        .send(f.body);
    },
  );
};
