/**
 * The demo's third-party app: the example Mini Game (`@gatehouse/example-mini-game`) registered at
 * Gatehouse and listed in the chat under Apps / 应用. A demo person signs up in the chat, signs in to
 * the game with that account (Gatehouse's sign-in and consent page, one field declined) and the game
 * reads what was granted; then the operator suspends the game over the API (the kill switch) and the
 * game's next read is refused, as is a new sign-in.
 */
import { randomBytes } from 'node:crypto';
import { GatehouseError } from '../errors/index.ts';
import type { Gatehouse } from '../gatehouse.ts';
import { readForm, WebBrowser } from './web-browser.ts';

export const GAME_NAME = { en: 'Mini Game', zh: '小游戏' };
/** What the game asks for; the demo person declines the avatar. */
const GAME_SCOPES = ['nickname', 'avatar', 'friend_count'];
const DECLINED = 'avatar';

interface MiniGameHandle {
  url: string;
  close(): Promise<void>;
}
type StartMiniGame = (o: {
  issuer: string;
  clientId: string;
  clientSecret: string;
  host?: string;
  port?: number;
  allowInsecure?: boolean;
}) => Promise<MiniGameHandle>;

export interface AppDemo {
  app: string;
  gameUrl: string;
  person: { handle: string; password: string };
  /** Field → value, as the game showed them after the sign-in. */
  received: Record<string, string>;
  declined: string[];
  /** The kill switch's answer. */
  suspension: { grants: number; revoked: number; users: number; incident: string };
  /** After the suspension: the game's next read was refused (it showed "Access ended"). */
  readRefused: boolean;
  /** The OAuth error a new sign-in got (invalid_client). */
  signInAgain: string;
  /** The operator key that suspended the game (apps:write): it can resume it. */
  operatorKey: string;
  gatehouseUrl: string;
  close(): Promise<void>;
}

/** The Mini Game's `startMiniGame`, or undefined when the workspace package is not installed. */
export async function loadMiniGame(
  importGame: () => Promise<unknown> = () => import('@gatehouse/example-mini-game'),
): Promise<StartMiniGame | undefined> {
  try {
    return ((await importGame()) as { startMiniGame: StartMiniGame }).startMiniGame;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

const fail = (step: string, detail: string) =>
  new GatehouseError('SIM_API_FAILED', `app demo, ${step}: ${detail.slice(0, 300)}`);

/** Registers and starts the game on `gamePort`, has a person authorise it, then switches it off. */
export async function runAppDemo(o: {
  gh: Gatehouse;
  startMiniGame: StartMiniGame;
  gatehouseUrl: string;
  chatUrl: string;
  host: string;
  gamePort: number;
  prefix: string;
}): Promise<AppDemo> {
  const gameUrl = `http://${o.host}:${o.gamePort}`;
  const { app, clientSecret } = await o.gh.oauth.registry.add({
    name: GAME_NAME,
    redirectUris: [`${gameUrl}/cb`],
    scopes: GAME_SCOPES,
  });
  const game = await o.startMiniGame({
    issuer: o.gatehouseUrl,
    clientId: app.id,
    clientSecret: clientSecret!,
    host: o.host,
    port: o.gamePort,
    allowInsecure: true,
  });
  try {
    // a person signs up in the chat (their account lives in Gatehouse)
    const person = { handle: `${o.prefix}player`, password: `player ${randomBytes(6).toString('hex')}` };
    const su = await fetch(`${o.chatUrl}/api/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.200' },
      body: JSON.stringify({ ...person, displayName: '游戏玩家 Player' }),
    });
    if (su.status !== 201) throw fail('chat sign-up', `${su.status} ${await su.text()}`);

    // "Sign in with Chat": the game → Gatehouse's sign-in → consent (the avatar declined) → the game
    const b = new WebBrowser({ headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' } });
    let r = await b.follow(`${gameUrl}/login`, 'never');
    if (!('page' in r) || !/name="password"/.test(r.page)) throw fail('sign-in page', JSON.stringify(r));
    let form = readForm(r.page);
    r = await b.follow(new URL(form.action, o.gatehouseUrl).toString(), 'never', {
      form: { ...form.fields, handle: person.handle, password: person.password },
    });
    if (!('page' in r) || !/id="consent"/.test(r.page)) throw fail('consent page', JSON.stringify(r));
    form = readForm(r.page, 'consent');
    const offered = [form.fields.scope ?? []].flat();
    r = await b.follow(new URL(form.action, o.gatehouseUrl).toString(), 'never', {
      form: {
        csrf: String(form.fields.csrf),
        decision: 'allow',
        scope: offered.filter((s) => s !== DECLINED),
      },
    });
    if (!('page' in r) || !/id="fields"/.test(r.page)) throw fail("the game's page", JSON.stringify(r));
    const received = Object.fromEntries(
      [...r.page.matchAll(/data-field="([^"]+)">([^<]*)</g)].map((m) => [m[1]!, m[2]!]),
    );

    // the operator's kill switch, over the API
    const { key } = await o.gh.keys.create('demo operator (apps)', ['apps:write']);
    const s = await fetch(`${o.gatehouseUrl}/v1/oauth/apps/${encodeURIComponent(app.id)}/suspend`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'demo: the game leaked its players’ data / 演示：游戏泄露了玩家数据' }),
    });
    if (s.status !== 200) throw fail('suspend', `${s.status} ${await s.text()}`);
    const suspension = (await s.json()) as AppDemo['suspension'];

    // the game's next read (its /me page reads /v1/apps/me with its token), and a new sign-in
    const next = await b.request(`${gameUrl}/me`);
    const again = await b.follow(`${gameUrl}/login`, 'never');
    const signInAgain = 'page' in again ? (/id="error">([^<]*)</.exec(again.page)?.[1] ?? '') : '';
    return {
      app: app.id,
      gameUrl: `${gameUrl}/`,
      person,
      received,
      declined: offered.includes(DECLINED) ? [DECLINED] : [],
      suspension: {
        grants: suspension.grants,
        revoked: suspension.revoked,
        users: suspension.users,
        incident: suspension.incident,
      },
      readRefused: /id="revoked"/.test(next.body),
      signInAgain,
      operatorKey: key,
      gatehouseUrl: o.gatehouseUrl,
      close: () => game.close(),
    };
  } catch (e) {
    await game.close();
    throw e;
  }
}

/** The demo summary's section (en and zh). */
export function appDemoLines(a: AppDemo): string[] {
  const got = Object.entries(a.received)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const s = a.suspension;
  return [
    '== A leaky app switched off / 一键停用泄露数据的应用 ==',
    '',
    `${GAME_NAME.en} / ${GAME_NAME.zh} (${a.app}): ${a.gameUrl}  (the chat lists it under Apps / 聊天页"应用"中可见)`,
    `1. ${a.person.handle} signed in with Chat, declined ${a.declined.join(', ') || '—'}; the game received: ${got || '—'}`,
    `   ${a.person.handle} 用聊天账号登录，拒绝了 ${a.declined.join(', ') || '—'}；游戏收到：${got || '—'}`,
    `2. The operator suspended the app (kill switch): ${s.grants} grant(s) and ${s.revoked} token(s)/code(s) revoked, ${s.users} user(s) notified, incident ${s.incident}`,
    `   运营方一键停用该应用：撤销 ${s.grants} 个授权、${s.revoked} 个令牌/授权码，通知 ${s.users} 位用户，安全事件 ${s.incident}`,
    `3. Its next read: ${a.readRefused ? 'refused (the game shows "Access ended")' : 'NOT refused'}; a new sign-in: ${a.signInAgain || '—'}`,
    `   它的下一次读取：${a.readRefused ? '被拒绝（游戏显示"访问已结束"）' : '未被拒绝'}；再次登录：${a.signInAgain || '—'}`,
    'To let it work again (players authorise it anew) / 恢复该应用（玩家需重新授权）:',
    `  curl -X POST -H 'authorization: Bearer ${a.operatorKey}' -H 'content-type: application/json' \\`,
    `    -d '{"reason":"fixed"}' ${a.gatehouseUrl}/v1/oauth/apps/${a.app}/resume`,
  ];
}
