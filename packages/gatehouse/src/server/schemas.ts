import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * Route options for a body that the API document describes with one schema (`schema.body`, what a
 * client should send) but that is validated with a more lenient one, because the route answers bad
 * parts itself: POST /v1/events rejects bad events one by one instead of failing the batch, and the
 * pre-send check answers EVENT_INVALID with the event parser's reason. Errors of the lenient schema
 * are reported exactly as every other validation error.
 */
export function validatedBy(lenient: z.ZodType): { validatorCompiler: FastifySchemaCompiler<unknown> } {
  return { validatorCompiler: (route) => validatorCompiler({ ...route, schema: lenient }) };
}

const AnyObject = z.record(z.string(), z.unknown());

/**
 * validatedBy(any JSON object), for a route that checks the fields itself (the pre-send check): a plain
 * object is handed on as parsed, without a second copy; anything else gets the schema's error, worded as
 * every other validation error.
 */
export function validatedAsObject(): { validatorCompiler: FastifySchemaCompiler<unknown> } {
  return {
    validatorCompiler: (route) => {
      const strict = validatorCompiler({ ...route, schema: AnyObject });
      return (data: unknown) =>
        typeof data === 'object' && data !== null && !Array.isArray(data) ? { value: data } : strict(data);
    },
  };
}

/** The response of a route that answers 204 with no body. */
export const NoContent = z.null().describe('No content');
