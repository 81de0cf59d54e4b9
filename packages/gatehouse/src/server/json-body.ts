import { isUtf8 } from 'node:buffer';
import sjson from 'secure-json-parse';
import { GatehouseError } from '../errors/index.ts';

/**
 * A JSON request body: its bytes must be valid UTF-8 and prototype-poisoning keys are refused. Throws
 * INVALID_JSON or INVALID_UTF8. Fastify's JSON parser (app.ts) and the fast routes (fast-route.ts) both
 * read bodies with it.
 */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new GatehouseError('INVALID_JSON', 'The body is empty');
  if (!isUtf8(body)) throw new GatehouseError('INVALID_UTF8');
  try {
    return sjson.parse(body.toString('utf8'), undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    });
  } catch (e) {
    throw new GatehouseError(
      'INVALID_JSON',
      `The body is not valid JSON: ${(e as Error).message}`.slice(0, 300),
    );
  }
}
