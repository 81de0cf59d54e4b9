import type { Socket } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { Gauge, collectDefaultMetrics, Registry } from 'prom-client';
import { laneStats } from '../core/lane.ts';
import { GatehouseError } from '../errors/index.ts';
import { requestLogger, type Logger } from '../log/index.ts';
import { FastRoutes } from './fast-route.ts';
import { parseJsonBody } from './json-body.ts';
import { sendProblem } from './problem.ts';
import type { ReadyReport } from './readiness.ts';
import { RequestMetrics } from './request-metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Routes answered ahead of Fastify (server/fast-route.ts); absent on a bare Fastify (unit tests). */
    fastRoutes?: FastRoutes;
  }
}

export type App = FastifyInstance & { withTypeProvider(): FastifyInstance };

export interface ServerOptions {
  log: Logger;
  bodyLimit: number;
  /** false, or the proxies (IP addresses and CIDR networks) whose X-Forwarded-For is believed. */
  trustProxy: boolean | string[];
  /** Readiness probe: throws or returns false when not ready, or a report per dependency. */
  ready: () => Promise<boolean | ReadyReport>;
}

/**
 * The process's own metrics (CPU, memory, event-loop delay, GC), collected once per process: they
 * describe the process, not one server in it, and their event-loop monitor cannot be stopped, so a
 * process that builds servers one after another (tests, the CLI) must not start one per server.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The HTTP shell shared by every part: JSON parsing that rejects invalid UTF-8, RFC 9457 problems for
 * every error, Prometheus metrics, health and readiness, and an OpenAPI document built from the route
 * schemas. Parts register their routes on it as plugins.
 */
export async function buildServer(opts: ServerOptions) {
  const app = Fastify({
    loggerInstance: opts.log,
    childLoggerFactory: (logger, bindings, o) => requestLogger(logger as Logger, bindings, o),
    bodyLimit: opts.bodyLimit,
    trustProxy: opts.trustProxy,
    requestIdHeader: 'x-request-id',
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // JSON bodies: bytes must be valid UTF-8; prototype-poisoning keys are refused.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(\s*;.*)?$/i,
    { parseAs: 'buffer' },
    (_req, body: Buffer, done) => {
      let value: unknown;
      try {
        value = parseJsonBody(body);
      } catch (e) {
        return done(e as Error, undefined);
      }
      done(null, value);
    },
  );

  app.setErrorHandler((err, req, reply) => sendProblem(err, req, reply));
  app.setNotFoundHandler((req, reply) =>
    sendProblem(
      new GatehouseError('NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`),
      req,
      reply,
    ),
  );

  await app.register(fastifyCookie);

  // Metrics: request counts and latencies by route pattern (not raw URL, to bound cardinality).
  processMetrics();
  const registry = new Registry();
  const requestMetrics = new RequestMetrics(registry);
  // the background lane (core/lane.ts): loops waiting for their turn now (work piling up behind the
  // requests shows here and in each part's queue figures, not in the requests' latency)
  new Gauge({
    name: 'gatehouse_background_lane_waiting',
    help: 'Background loops (outbox, response, incidents, notices, webhooks) waiting for their turn',
    registers: [registry],
    collect() {
      this.set(laneStats().waiting);
    },
  });
  const count = (method: string, route: string, status: number, seconds: number) =>
    requestMetrics.count(method, route, status, seconds);
  app.addHook('onResponse', (req, reply, done) => {
    count(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  // the pre-send check is answered ahead of Fastify (fast-route.ts), with the same parser, errors and metrics
  const fast = new FastRoutes({
    log: opts.log,
    observe: count,
    replay: (req, body) =>
      app.inject({
        method: req.method as 'POST',
        url: req.url!,
        headers: req.headers,
        payload: body,
        ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}),
      }),
  });
  fast.install(app.server);
  app.decorate('fastRoutes', fast);
  app.addHook('preClose', (done) => {
    fast.closing = true;
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cache-control', reply.getHeader('cache-control') ?? 'no-store');
    done(null, payload);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse API',
        version: '0.1.0',
        description: 'Account protection for social and messaging platforms',
      },
      components: {
        securitySchemes: {
          session: {
            type: 'http',
            scheme: 'bearer',
            description: 'Session token (ghs_…) or the session cookie plus X-CSRF-Token',
          },
          operatorKey: { type: 'http', scheme: 'bearer', description: 'Operator API key (ghk_…)' },
          recoveryToken: { type: 'http', scheme: 'bearer', description: 'Appeal case token (ghr_…)' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });

  // A connection a client opened and never sent a request on (a browser's preconnect, a client's pool)
  // would hold close() until Node's header timeout, a minute or more: it is cut when the server closes.
  const connections = new Set<Socket>();
  app.server.on('connection', (s: Socket) => {
    connections.add(s);
    s.once('close', () => connections.delete(s));
  });
  app.addHook('preClose', (done) => {
    for (const s of connections) if (s.bytesRead === 0) s.destroy();
    done();
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const r = await opts.ready().catch(() => false);
    const report = typeof r === 'boolean' ? undefined : r;
    if (r === false || (report && !report.ready))
      throw new GatehouseError('NOT_READY', undefined, report ? { extra: { checks: report.checks } } : {});
    return reply.send({ status: 'ready', ...(report ? { checks: report.checks } : {}) });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(registry.contentType);
    return Registry.merge([processMetrics(), registry]).metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return { app, metrics: registry };
}

export type Server = Awaited<ReturnType<typeof buildServer>>['app'];
