import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERRORS, GatehouseError, isGatehouseError, problem, type ErrorCode } from '../errors/index.ts';
import { storeUnreachable, transientDbError } from '../store/db.ts';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'BAD_REQUEST',
  FST_ERR_CTP_INSTANCE_ALREADY_STARTED: 'INTERNAL',
};

/** Maps any thrown error to a registry code (never leaks internals for 5xx). */
export function toGatehouseError(err: unknown): GatehouseError {
  if (isGatehouseError(err)) return err;
  const e = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(e)) {
    const issues = e.validation.map((v) => ({
      path: [e.validationContext ?? 'body', ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message,
    }));
    return new GatehouseError(
      'VALIDATION_FAILED',
      issues
        .map((i) => `${i.path}: ${i.message}`)
        .join('; ')
        .slice(0, 1000),
      {
        extra: { issues: issues.slice(0, 20) },
      },
    );
  }
  if (e && typeof e === 'object' && 'validation' in e && e.validation) {
    return new GatehouseError('VALIDATION_FAILED', String(e.message).slice(0, 1000));
  }
  const mapped = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) return new GatehouseError(mapped, ERRORS[mapped].title);
  if (e instanceof SyntaxError) return new GatehouseError('INVALID_JSON', 'The body is not valid JSON');
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code: ErrorCode =
      e.statusCode === 413
        ? 'PAYLOAD_TOO_LARGE'
        : e.statusCode === 415
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : e.statusCode === 404
            ? 'NOT_FOUND'
            : 'BAD_REQUEST';
    return new GatehouseError(code, ERRORS[code].title);
  }
  // a database that is busy (lock timeout, deadlock victim, serialization failure) or unreachable is a
  // temporary condition the client can retry, not an internal error (23505 is a conflict the route names)
  const dbCode = (e as { code?: unknown } | null)?.code;
  if (dbCode !== '23505' && transientDbError(e))
    return new GatehouseError('STORE_BUSY', ERRORS.STORE_BUSY.title, {
      cause: err,
      headers: { 'retry-after': '1' },
    });
  if (storeUnreachable(e))
    return new GatehouseError('STORE_UNAVAILABLE', ERRORS.STORE_UNAVAILABLE.title, {
      cause: err,
      headers: { 'retry-after': '2' },
    });
  return new GatehouseError('INTERNAL', 'Internal error', { cause: err });
}

/** The problem document answering `err` for the request path `path` (its status and extra headers beside it). */
export function problemOf(
  err: unknown,
  path: string,
): { ge: GatehouseError; body: ReturnType<typeof problem>; headers: Record<string, string> | undefined } {
  const ge = toGatehouseError(err);
  const detail = ge.status >= 500 ? undefined : ge.message;
  return { ge, body: problem(ge.code, detail, ge.extra, path), headers: ge.headers };
}

export function sendProblem(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { ge, body, headers } = problemOf(err, req.url.split('?')[0]!);
  if (ge.status >= 500) req.log.error({ err }, 'request failed');
  else req.log.info({ code: ge.code }, 'request rejected');
  if (headers) for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(ge.status).type(PROBLEM_TYPE).send(body);
}

export const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';
