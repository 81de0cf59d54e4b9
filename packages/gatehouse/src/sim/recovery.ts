/**
 * The owner's way back in the simulator: before the attack each victim's owner keeps recovery codes
 * (generated with their own session); after containment they appeal with their handle and walk the
 * whole recovery case over Gatehouse's HTTP API (recovery code → pledge → new password → session
 * review → finish). The time measured is the owner's path from appeal to `restored` with no human
 * delay, so it is what Gatehouse adds, not how long a person takes to read a page.
 */
import type { SimApi } from './api.ts';

export interface OwnerKeys {
  handle: string;
  ua: string;
  ip: string;
  codes: string[];
}

export interface RecoveryOutcome {
  /** Appeal to restored, ms; undefined when the case did not finish. */
  ms: number | undefined;
  state: string;
  /** Why it stopped, when it did not reach `restored` (error code and step). */
  error?: string;
}

/** Generates the owner's recovery codes with their own session token. */
export async function keepRecoveryCodes(
  api: SimApi,
  token: string,
  ua: string,
  ip: string,
): Promise<string[]> {
  const r = await api.call<{ codes: string[] }>('POST', '/v1/me/recovery/codes', undefined, {
    key: false,
    bearer: token,
    ua,
    ip,
  });
  return r.data.codes;
}

/**
 * The owner signs in to Gatehouse on their own phone (its device token sent back, as the app does) and
 * keeps recovery codes, as on the account page.
 */
export async function ownerKeepsCodes(
  api: SimApi,
  o: { handle: string; password: string; ua: string; ip: string },
  deviceToken: string | undefined,
): Promise<string[]> {
  const s = await api.call<{ token: string }>(
    'POST',
    '/v1/auth/signin',
    { handle: o.handle, password: o.password, mode: 'token', ...(deviceToken ? { deviceToken } : {}) },
    { key: false, ua: o.ua, ip: o.ip },
  );
  return keepRecoveryCodes(api, s.data.token, o.ua, o.ip);
}

/** Walks one frozen account's recovery case from appeal to restored. */
export async function recoverOwner(api: SimApi, o: OwnerKeys, newPassword: string): Promise<RecoveryOutcome> {
  const started = performance.now();
  const as = (bearer?: string) => ({ key: false, ua: o.ua, ip: o.ip, ...(bearer ? { bearer } : {}) });
  let step = 'appeal';
  try {
    const appeal = await api.call<{ token: string }>(
      'POST',
      '/v1/recovery/appeals',
      { handle: o.handle },
      as(),
    );
    const token = appeal.data.token;
    step = 'verification';
    await api.call('POST', '/v1/recovery/case/verification', { method: 'recovery_code' }, as(token));
    await api.call('POST', '/v1/recovery/case/verification/answer', { code: o.codes[0] }, as(token));
    step = 'pledge';
    const pledge = await api.call<{ version: string }>('GET', '/v1/recovery/pledge', undefined, as());
    await api.call(
      'POST',
      '/v1/recovery/case/pledge',
      { version: pledge.data.version, accept: true },
      as(token),
    );
    step = 'password';
    await api.call('POST', '/v1/recovery/case/password', { newPassword }, as(token));
    step = 'sessions';
    await api.call('GET', '/v1/recovery/case/sessions', undefined, as(token));
    await api.call('POST', '/v1/recovery/case/sessions/review', { keep: [], revoke: [] }, as(token));
    step = 'finish';
    const done = await api.call<{ case: { state: string } }>(
      'POST',
      '/v1/recovery/case/finish',
      undefined,
      as(token),
    );
    const state = done.data.case.state;
    return { ms: state === 'restored' ? performance.now() - started : undefined, state };
  } catch (e) {
    return { ms: undefined, state: 'failed', error: `${step}: ${(e as Error).message.slice(0, 200)}` };
  }
}
