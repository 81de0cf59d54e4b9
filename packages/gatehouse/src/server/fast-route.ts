/**
 * Routes answered ahead of Fastify, on the node HTTP server's own request event. The pre-send check is
 * called on a platform's send path thousands of times a second, and Fastify's own work per request
 * (routing, the hook chains, a child logger, the body parser's stream plumbing, the reply's onSend and
 * serialiser chains, the response hooks) cost about as much CPU as the check itself.
 *
 * A fast route takes only a request it can answer completely, decided before a byte of the body is read:
 * method and path exact (no query string), a plain JSON content type, a Content-Length within the
 * route's body limit, and `accept` (the route's authentication, from memory: a key verified in the last
 * second) saying yes. Every other request goes to Fastify untouched, so an unknown, revoked or
 * under-scoped key, a wrong content type or a body too large get Fastify's own answers.
 *
 * Once taken, the body is parsed by the same function as Fastify's JSON parser (parseJsonBody). A body
 * that is not valid UTF-8, not JSON or not a JSON object is replayed through Fastify (app.inject, the same
 * headers and bytes), so its error is Fastify's word for word. The handler's own errors (an invalid
 * event, a text too long, a store that fails) are answered with problemOf, as sendProblem answers them,
 * and logged the same way. Every answer carries the headers of every answer (nosniff, no-store) and is
 * counted in the same request metrics, under the route's pattern.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '../log/index.ts';
import { parseJsonBody } from './json-body.ts';
import { PROBLEM_TYPE, problemOf } from './problem.ts';

export interface FastRoute {
  method: 'POST';
  /** The exact path (a request with a query string goes to Fastify). */
  url: string;
  bodyLimit: number;
  /** Whether to take the request (its authentication, synchronous). False or a throw: Fastify answers. */
  accept(req: IncomingMessage): boolean;
  /** The answer's JSON text for a body that is a JSON object; throws (or rejects) with the error to answer. */
  handle(body: Record<string, unknown>): string | Promise<string>;
}

type Replay = (
  req: IncomingMessage,
  body: Buffer,
) => Promise<{
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  rawPayload: Buffer;
}>;

const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);
const DIGITS = /^[0-9]{1,9}$/;
/** Headers the node server writes itself for each answer on the connection. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'date', 'transfer-encoding']);
const OK_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'content-length': 0,
};

export class FastRoutes {
  private readonly routes = new Map<string, FastRoute>();
  private readonly log: Logger;
  private readonly observe: (method: string, route: string, status: number, seconds: number) => void;
  private readonly replay: Replay;
  /** Set when the server begins to close: from then on Fastify answers (503 while closing). */
  closing = false;
  /** Requests answered here (not by Fastify). */
  taken = 0;

  constructor(opts: {
    log: Logger;
    observe: (method: string, route: string, status: number, seconds: number) => void;
    replay: Replay;
  }) {
    this.log = opts.log;
    this.observe = opts.observe;
    this.replay = opts.replay;
  }

  add(route: FastRoute): void {
    this.routes.set(route.url, route);
  }

  /** Puts this dispatcher in front of the server's request listener (Fastify's). */
  install(server: Server): void {
    const listeners = server.listeners('request') as Array<
      (req: IncomingMessage, res: ServerResponse) => void
    >;
    const next = listeners[0];
    if (listeners.length !== 1 || !next) throw new Error('fast routes: expected one request listener');
    server.removeListener('request', next);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (this.routes.size === 0 || this.closing || !this.take(req, res)) next(req, res);
    });
  }

  private take(req: IncomingMessage, res: ServerResponse): boolean {
    const route = this.routes.get(req.url!);
    if (!route || req.method !== route.method) return false;
    const h = req.headers;
    const type = h['content-type'];
    const length = h['content-length'];
    if (type === undefined || length === undefined || h['transfer-encoding'] !== undefined) return false;
    if (!JSON_TYPES.has(type.toLowerCase()) || !DIGITS.test(length)) return false;
    const n = Number(length);
    if (n === 0 || n > route.bodyLimit) return false;
    try {
      if (!route.accept(req)) return false;
    } catch {
      return false;
    }
    this.taken++;
    const started = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      let parsed: unknown;
      try {
        parsed = parseJsonBody(body);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        this.replayed(req, res, body);
        return;
      }
      let out: string | Promise<string>;
      try {
        out = route.handle(parsed as Record<string, unknown>);
      } catch (err) {
        this.fail(req, res, route, started, err);
        return;
      }
      if (typeof out === 'string') this.ok(req, res, route, started, out);
      else
        out.then(
          (s) => this.ok(req, res, route, started, s),
          (err: unknown) => this.fail(req, res, route, started, err),
        );
    });
    return true;
  }

  private ok(
    req: IncomingMessage,
    res: ServerResponse,
    route: FastRoute,
    started: number,
    json: string,
  ): void {
    // one headers object for every answer: writeHead copies it into the header text before it returns
    OK_HEADERS['content-length'] = Buffer.byteLength(json);
    res.writeHead(200, OK_HEADERS);
    res.end(json);
    this.observe(req.method!, route.url, 200, (performance.now() - started) / 1000);
  }

  private fail(
    req: IncomingMessage,
    res: ServerResponse,
    route: FastRoute,
    started: number,
    err: unknown,
  ): void {
    const { ge, body, headers } = problemOf(err, route.url);
    const reqId = req.headers['x-request-id'];
    if (ge.status >= 500) this.log.error({ err, reqId, url: route.url }, 'request failed');
    else this.log.info({ code: ge.code, reqId, url: route.url }, 'request rejected');
    const text = JSON.stringify(body);
    res.writeHead(ge.status, {
      ...headers,
      'content-type': PROBLEM_TYPE,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    this.observe(req.method!, route.url, ge.status, (performance.now() - started) / 1000);
  }

  /** Fastify answers the request from its bytes (and counts it in the metrics itself). */
  private replayed(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    this.replay(req, body).then(
      (r) => {
        const headers: Record<string, string | string[] | number> = {};
        for (const [k, v] of Object.entries(r.headers))
          if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
        res.writeHead(r.statusCode, headers);
        res.end(r.rawPayload);
      },
      (err: unknown) => {
        this.log.error({ err, url: req.url }, 'request failed');
        res.destroy();
      },
    );
  }
}
