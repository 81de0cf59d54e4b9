/**
 * An account with a day of ordinary life, for the engine's attack tests over HTTP: created, signed in by
 * its owner from home (the device and network the account knows), ordinary messages in the
 * engine's profile; then sign-ins from anywhere (on the owner's own device with `own`) that wait for the
 * engine to see them, and pre-send checks of messages to its friends.
 */
import { ok, OWNER, PASSWORD, signUp, type Harness } from '../recovery/attack-harness.ts';
import { until } from './receiver.ts';

export type CheckAnswerJson = { verdict: string; action: string; signals?: Array<{ signal: string }> };

export interface AccountAtHome {
  id: string;
  handle: string;
  friends: string[];
  signIn(from: { ip: string; ua: string }, own?: boolean): Promise<string>;
  /** A pre-send check to the first `to` friends, or to the accounts named. */
  check(session: string, text: string, to?: number | string[]): Promise<CheckAnswerJson>;
}

const CLIENT = { kind: 'mobile', name: 'QQ', version: '9.0' } as const;

/** `history`: ordinary messages in the profile (from 20 the engine weighs the account's habits fully). */
export async function accountAtHome(h: Harness, handle: string, history = 14): Promise<AccountAtHome> {
  const a = await signUp(h, handle);
  const device = ok(
    await h.call('POST', '/v1/auth/signin', {
      body: { handle, password: PASSWORD, mode: 'token' },
      from: OWNER,
    }),
  ).json.deviceToken as string;
  const friends = Array.from({ length: 6 }, (_, k) => `${handle}-f${k}`);
  ok(
    await h.call('POST', '/v1/events', {
      key: h.op,
      body: {
        events: Array.from({ length: history }, (_, k) => ({
          id: `${handle}-h${k}`,
          type: 'message.sent',
          time: Date.now() - 20 * 3_600_000 + k * 60_000,
          account: a.id,
          recipients: [friends[k % friends.length]!],
          text: ['晚上吃什么', '到家了', '明天见', '好的'][k % 4]!,
          client: CLIENT,
        })),
      },
    }),
  );
  await until(
    async () => (h.gh.engine.engine.accountRisk(a.id)?.profile.messages ?? 0) >= history || undefined,
    'the history in the engine',
  );
  let n = 0;
  return {
    id: a.id,
    handle,
    friends,
    async signIn(from, own = false) {
      const r = ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle, password: PASSWORD, mode: 'token', ...(own ? { deviceToken: device } : {}) },
          from,
        }),
      );
      const sid = (r.json.session as { id: string }).id;
      await until(
        async () => h.gh.engine.engine.accountRisk(a.id)?.lastSession?.id === sid || undefined,
        'the engine to see the sign-in',
      );
      return sid;
    },
    async check(session, text, to = 1) {
      return ok(
        await h.call('POST', '/v1/check/message', {
          key: h.op,
          body: {
            id: `${handle}-m${++n}`,
            account: a.id,
            session,
            recipients: typeof to === 'number' ? friends.slice(0, to) : to,
            text,
            client: CLIENT,
          },
        }),
      ).json as CheckAnswerJson;
    },
  };
}
