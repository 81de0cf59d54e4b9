/**
 * Test-only: operators for the console's tests. Creates operators through the service, signs them in
 * over HTTP (password + a TOTP code for a chosen time step) and calls the API with their cookie, with or
 * without the CSRF token. Never imported by production code.
 */
import assert from 'node:assert/strict';
import { generateSync } from 'otplib';
import type { Gatehouse } from '../gatehouse.ts';
import type { Role } from './schema.ts';

export interface TestOperator {
  handle: string;
  password: string;
  secret: string;
  role: Role;
}

export async function addOperator(gh: Gatehouse, handle: string, role: Role): Promise<TestOperator> {
  const r = await gh.operators.create({ handle, role }, 'test');
  return { handle: r.operator.handle, password: r.password, secret: r.totp.secret, role };
}

/** The operator's authenticator code for now plus `offsetSteps` × 30 s (within the ±1 step window). */
export function codeOf(op: TestOperator, offsetSteps = 0): string {
  return generateSync({ secret: op.secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

export interface ConsoleReply {
  status: number;
  json: Record<string, unknown>;
  text: string;
  headers: Headers;
}

export interface ConsoleClient {
  cookie: string;
  csrf: string;
  /** Calls with the session cookie; `csrf: false` leaves the token out (a cross-site request). */
  call(method: string, path: string, o?: { body?: unknown; csrf?: boolean | string }): Promise<ConsoleReply>;
}

export async function rawCall(
  url: string,
  method: string,
  path: string,
  o: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ConsoleReply> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** Signs an operator in over HTTP and returns a client holding the session cookie. */
export async function signInOperator(url: string, op: TestOperator, offsetSteps = 0): Promise<ConsoleClient> {
  const r = await rawCall(url, 'POST', '/v1/console/signin', {
    body: { handle: op.handle, password: op.password, code: codeOf(op, offsetSteps) },
  });
  assert.equal(r.status, 200, r.text);
  const set = r.headers.getSetCookie().find((c) => /gh_console=/.test(c));
  assert.ok(set, 'no console cookie');
  const cookie = set.split(';')[0]!;
  const csrf = r.json.csrfToken as string;
  return {
    cookie,
    csrf,
    call: (method, path, o = {}) =>
      rawCall(url, method, path, {
        ...(o.body !== undefined ? { body: o.body } : method === 'GET' ? {} : { body: {} }),
        headers: {
          cookie,
          ...(o.csrf === false ? {} : { 'x-csrf-token': typeof o.csrf === 'string' ? o.csrf : csrf }),
        },
      }),
  };
}
