/**
 * Test-only harness for the account-control attack tests (issue 10): a Gatehouse over real HTTP with
 * trustProxy on (each person and intruder gets their own network through X-Forwarded-For from the
 * loopback proxy), a capturing code sender (codes and alerts), and helpers for the people in the story.
 * Never imported by production code.
 */
import assert from 'node:assert/strict';
import { generateSync } from 'otplib';
import type { SettingKey } from '../config/index.ts';
import type { Gatehouse } from '../gatehouse.ts';
import { testGatehouse, type Backend } from '../testing/index.ts';
import type { AlertMessage, CodeMessage, CodeSender } from './senders.ts';
import { SoftAuthenticator } from './soft-authenticator.ts';

export const DAY = 86_400_000;
export const OWNER = {
  ip: '198.51.100.7',
  ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
};
export const INTRUDER = {
  ip: '203.0.113.66',
  ua: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36',
};
export const STRANGER = {
  ip: '192.0.2.200',
  ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15',
};
export const PASSWORD = 'plum blossom river 1984';

/** Captures codes and alerts instead of sending them. */
export class CaptureSender implements CodeSender {
  readonly delivery = 'test-capture';
  readonly kinds = ['email', 'phone'] as const;
  readonly sent: CodeMessage[] = [];
  readonly alerts: AlertMessage[] = [];
  async send(msg: CodeMessage) {
    this.sent.push(msg);
  }
  async alert(msg: AlertMessage) {
    this.alerts.push(msg);
  }
  codeFor(address: string): string {
    const m = this.sent.filter((s) => s.address === address).at(-1);
    assert.ok(m, `no code was sent to ${address}`);
    return m.code;
  }
  alertsTo(address: string): AlertMessage[] {
    return this.alerts.filter((a) => a.address === address);
  }
}

export interface Reply {
  status: number;
  json: Record<string, unknown>;
  text: string;
  headers: Headers;
}

export interface Harness {
  gh: Gatehouse;
  url: string;
  sender: CaptureSender;
  /** An operator key with every scope. */
  op: string;
  call(
    method: string,
    path: string,
    o?: { token?: string; key?: string; body?: unknown; from?: { ip: string; ua: string } },
  ): Promise<Reply>;
  cleanup(): Promise<void>;
}

/** The production defaults of the account-control settings (the test config turns some off). */
export const REAL_DEFAULTS: Partial<Record<SettingKey, unknown>> = {
  trustProxy: true,
  recoveryFactorCoolingOffHours: 168,
  recoveryFriendDelayHours: 24,
};

export async function harness(
  backend: Backend = 'sqlite',
  extra: Partial<Record<SettingKey, unknown>> = {},
): Promise<Harness> {
  const sender = new CaptureSender();
  const { gh, cleanup } = await testGatehouse(
    backend,
    { ...REAL_DEFAULTS, ...extra },
    { codeSender: sender },
  );
  const url = await gh.listen();
  const op = (await gh.keys.create('operator', ['admin'])).key;
  return {
    gh,
    url,
    sender,
    op,
    async call(method, path, o = {}) {
      const from = o.from ?? OWNER;
      const headers: Record<string, string> = { 'x-forwarded-for': from.ip, 'user-agent': from.ua };
      const auth = o.token ?? o.key;
      if (auth) headers.authorization = `Bearer ${auth}`;
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
    },
    cleanup,
  };
}

/** Asserts a problem answer with its stable code. */
export function refused(r: Reply, status: number, code: string): Reply {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text.slice(0, 400)}`);
  assert.equal(r.json.code, code, r.text.slice(0, 400));
  return r;
}

export function ok(r: Reply, status = 200): Reply {
  assert.equal(r.status, status, `expected ${status}, got ${r.status} ${r.text.slice(0, 400)}`);
  return r;
}

export async function signUp(h: Harness, handle: string, from = OWNER, password = PASSWORD) {
  const a = ok(await h.call('POST', '/v1/accounts', { body: { handle, password }, from }), 201);
  return { id: a.json.id as string, handle };
}

export async function signIn(h: Harness, handle: string, from = OWNER, password = PASSWORD): Promise<string> {
  return ok(await h.call('POST', '/v1/auth/signin', { body: { handle, password }, from })).json
    .token as string;
}

/**
 * Moves an account's history back in time, as if it had been lived `days` ago: sign-ins, sessions and
 * every recovery set-up so far (tests cannot wait for a cooling-off).
 */
export async function age(h: Harness, accountId: string, days: number): Promise<void> {
  const d = days * DAY;
  const db = h.gh.store.db;
  await db
    .updateTable('recovery_codes')
    .set((eb) => ({ created_at: eb('created_at', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
  await db
    .updateTable('recovery_friend_sets')
    .set((eb) => ({ created_at: eb('created_at', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
  await db
    .updateTable('recovery_channels')
    .set((eb) => ({ created_at: eb('created_at', '-', d), verified_at: eb('verified_at', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
  await db
    .updateTable('recovery_factor_changes')
    .set((eb) => ({ at: eb('at', '-', d), usable_from: eb('usable_from', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
  await db
    .updateTable('signins')
    .set((eb) => ({ at: eb('at', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
  await db
    .updateTable('sessions')
    .set((eb) => ({ created_at: eb('created_at', '-', d) }))
    .where('account_id', '=', accountId)
    .execute();
}

/**
 * An owner who set everything up a month ago: 10 recovery codes, trusted friends, a verified email.
 * Returns the account, a live session token and the codes.
 */
export async function settledOwner(
  h: Harness,
  handle: string,
  o: { friends?: string[]; email?: string } = {},
): Promise<{ id: string; handle: string; token: string; codes: string[] }> {
  const a = await signUp(h, handle);
  const token = await signIn(h, handle);
  const codes = ok(await h.call('POST', '/v1/me/recovery/codes', { token })).json.codes as string[];
  if (o.friends) ok(await h.call('PUT', '/v1/me/recovery/friends', { token, body: { handles: o.friends } }));
  if (o.email) {
    const ch = ok(
      await h.call('POST', '/v1/me/recovery/channels', { token, body: { kind: 'email', address: o.email } }),
      201,
    );
    const id = (ch.json.channel as { id: string }).id;
    ok(
      await h.call('POST', `/v1/me/recovery/channels/${id}/verify`, {
        token,
        body: { code: h.sender.codeFor(o.email) },
      }),
    );
  }
  await age(h, a.id, 30);
  return { ...a, token, codes };
}

/** Opens an appeal and starts a method; returns the case token. */
export async function appeal(
  h: Harness,
  handle: string,
  from: { ip: string; ua: string },
  method?: string,
): Promise<{ token: string; reply: Reply }> {
  const r = ok(await h.call('POST', '/v1/recovery/appeals', { body: { handle }, from }), 201);
  const token = r.json.token as string;
  if (method) ok(await h.call('POST', '/v1/recovery/case/verification', { token, body: { method }, from }));
  return { token, reply: r };
}

/** The owner walks an appeal from a verified case to restored. */
export async function walkToRestored(h: Harness, token: string, newPassword: string, from = OWNER) {
  const pledge = ok(await h.call('GET', '/v1/recovery/pledge'));
  ok(
    await h.call('POST', '/v1/recovery/case/pledge', {
      token,
      body: { version: pledge.json.version, accept: true },
      from,
    }),
  );
  ok(await h.call('POST', '/v1/recovery/case/password', { token, body: { newPassword }, from }));
  const review = ok(await h.call('GET', '/v1/recovery/case/sessions', { token, from }));
  const live = (review.json.sessions as Array<{ id: string; live: boolean }>)
    .filter((s) => s.live)
    .map((s) => s.id);
  ok(
    await h.call('POST', '/v1/recovery/case/sessions/review', {
      token,
      body: { keep: [], revoke: live },
      from,
    }),
  );
  return ok(await h.call('POST', '/v1/recovery/case/finish', { token, from }));
}

/** A code of the step `offset` steps from now (the server accepts ±1 step, each step once). */
export const totp = (secret: string, offset = 0) =>
  generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + offset * 30 });

export type From = { ip: string; ua: string };

/** Registers a software passkey through the owner's (re-authenticated) session. */
export async function addPasskey(h: Harness, token: string, from: From, name: string) {
  const o = ok(await h.call('POST', '/v1/me/passkeys/options', { token, from, body: { name } })).json;
  const options = o.options as { challenge: string; rp: { id: string } };
  const key = new SoftAuthenticator(options.rp.id, new URL(h.url).origin);
  ok(
    await h.call('POST', '/v1/me/passkeys', {
      token,
      from,
      body: { ceremony: o.ceremony, credential: key.register(options.challenge) },
    }),
    201,
  );
  return key;
}

/** Enrols and confirms an authenticator app; returns its secret and the confirming code (spent). */
export async function addTotp(h: Harness, token: string, from: From) {
  const secret = ok(await h.call('POST', '/v1/me/totp', { token, from })).json.secret as string;
  const first = totp(secret);
  ok(await h.call('POST', '/v1/me/totp/confirm', { token, from, body: { code: first } }));
  return { secret, first };
}

/** A first-factor passkey sign-in with `key`. */
export async function passkeySignIn(h: Harness, key: SoftAuthenticator, from: From) {
  const o = ok(await h.call('POST', '/v1/auth/passkey/options', { from })).json as {
    ceremony: string;
    options: { challenge: string };
  };
  return h.call('POST', '/v1/auth/passkey', {
    body: { ceremony: o.ceremony, credential: key.assert(o.options.challenge) },
    from,
  });
}
