/**
 * `gatehouse demo`: Gatehouse (embedded, SQLite in a data directory) and the reference chat in one
 * process, a seeded society signed up through the chat, the qq-incident scenario played through it, and
 * then the summary and what to open: the chat page, Gatehouse's API, its incidents, and a few seeded
 * people to sign in as (a frozen victim, a friend who got the retraction placeholder and the warning).
 * Then a third-party app (the example Mini Game, linked from the chat's Apps) is authorised by a demo
 * person and switched off by the operator: its next read is refused (app-demo.ts).
 */
import { randomBytes } from 'node:crypto';
import { SimApi } from './api.ts';
import { appDemoLines, GAME_NAME, loadMiniGame, runAppDemo, type AppDemo } from './app-demo.ts';
import { ChatPlatform } from './chat-platform.ts';
import { freePort, startChatStack, type ChatStack } from './chat-stack.ts';
import { metricsTable } from './metrics.ts';
import { qrSceneLines, runQrRelayScene, type QrRelayScene } from './qr-demo.ts';
import { replay, type ReplayResult } from './runner.ts';
import { loadScenario } from './scenario.ts';

export { DEFAULT_SCENARIO } from './scenario.ts';
import { DEFAULT_SCENARIO } from './scenario.ts';

export interface DemoOptions {
  dataDir: string;
  /** Gatehouse's port (0: a free one). */
  port: number;
  /** The chat's port (0: a free one). */
  chatPort: number;
  accounts: number;
  seed: number;
  scenario?: string;
  /** Real seconds of the live phase (default: the scenario's). */
  liveSeconds?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface DemoPerson {
  role: { en: string; zh: string };
  handle: string;
  password: string;
}

export interface Demo {
  stack: ChatStack;
  result: ReplayResult;
  urls: { chat: string; gatehouse: string; openapi: string; incidents: string };
  /** The operator key the demo created (incidents:read and the simulator's scopes). */
  key: string;
  people: DemoPerson[];
  /** The app step (undefined when the Mini Game package is not installed). */
  app: AppDemo | undefined;
  /** The relayed QR approval put on probation, its lure held (qr-demo.ts). */
  qr: QrRelayScene;
  /** The web console's operator the demo created (admin), with its password and TOTP secret. */
  operator: { handle: string; password: string; totpSecret: string; consoleUrl: string };
  /** The summary and the URLs, as printed. */
  text: string;
  close(): Promise<void>;
}

export async function runDemo(o: DemoOptions): Promise<Demo> {
  const sc = loadScenario(o.scenario ?? DEFAULT_SCENARIO);
  const host = '127.0.0.1';
  const startMiniGame = await loadMiniGame();
  const gamePort = startMiniGame ? await freePort(host) : 0;
  const stack = await startChatStack({
    dataDir: o.dataDir,
    port: o.port,
    chatPort: o.chatPort,
    host,
    ...(startMiniGame
      ? { apps: [{ name: `${GAME_NAME.en} ${GAME_NAME.zh}`, url: `http://${host}:${gamePort}/` }] }
      : {}),
  });
  let app: AppDemo | undefined;
  try {
    const prefix = `demo-${randomBytes(3).toString('hex')}-`;
    const platform = new ChatPlatform(stack.chatUrl, new SimApi(stack.gatehouseUrl, stack.key), () =>
      stack.chat.rechecksSettled(),
    );
    const result = await replay({
      scenario: sc,
      seed: o.seed,
      accounts: o.accounts,
      platform,
      // short, readable handles, unique per run so a data directory can be reused
      prefix,
      // one owner stays frozen to show; the others take their accounts back (recovery time in the summary)
      leaveFrozen: 1,
      ...(o.liveSeconds ? { liveSeconds: o.liveSeconds } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    await platform.gatehouse.close();
    const people = pickPeople(stack, result);
    const qr = await runQrRelayScene(stack.chatUrl, prefix);
    app = startMiniGame
      ? await runAppDemo({
          gh: stack.gh,
          startMiniGame,
          gatehouseUrl: stack.gatehouseUrl,
          chatUrl: stack.chatUrl,
          host,
          gamePort,
          prefix,
        })
      : undefined;
    // an operator of the web console, to see the incident there (password + authenticator code)
    const op = await stack.gh.operators.create({ handle: `${prefix}operator`, role: 'admin' }, 'demo');
    const operator = {
      handle: op.operator.handle,
      password: op.password,
      totpSecret: op.totp.secret,
      consoleUrl: `${stack.gatehouseUrl}/console/`,
    };
    const urls = {
      chat: `${stack.chatUrl}/`,
      gatehouse: `${stack.gatehouseUrl}/healthz`,
      openapi: `${stack.gatehouseUrl}/openapi.json`,
      incidents: `${stack.gatehouseUrl}/v1/incidents`,
    };
    const lines = [
      '== Summary / 摘要 ==',
      '',
      metricsTable([result.metrics]),
      '',
      `${result.metrics.accounts} accounts, seed ${o.seed}, ${result.seconds.toFixed(1)} s / ` +
        `${result.metrics.accounts} 个账号，种子 ${o.seed}，用时 ${result.seconds.toFixed(1)} 秒`,
      '',
      '== Open / 打开 ==',
      '',
      `Chat (the reference platform) / 参考聊天平台:  ${urls.chat}`,
      `Gatehouse health / Gatehouse 健康检查:         ${urls.gatehouse}`,
      `Gatehouse API document / 接口文档:             ${urls.openapi}`,
      `Incidents / 安全事件 (operator key / 运营密钥):`,
      `  curl -H 'authorization: Bearer ${stack.key}' ${urls.incidents}`,
      '',
      `Operator console / 运营控制台:                 ${operator.consoleUrl}`,
      `  operator / 运营账号: ${operator.handle}   password / 密码: ${operator.password}`,
      `  authenticator (TOTP) secret / 验证器密钥: ${operator.totpSecret}`,
      `  (add it to an authenticator app, or: oathtool --totp -b ${operator.totpSecret} / 添加到验证器应用)`,
      `  ${op.totp.otpauthUri}`,
      `  The incident is under "Incidents & campaigns" / 事件在“事件与攻击活动”页面`,
      '',
      '== Sign in to the chat as / 用以下账号登录聊天 ==',
      '',
      ...people.map(
        (p) => `${p.role.en} / ${p.role.zh}\n  handle / 账号: ${p.handle}   password / 密码: ${p.password}`,
      ),
      '',
      ...(app
        ? [
            `The Mini Game's player (the game is switched off below) / 小游戏的玩家（游戏已被停用，见下文）\n  handle / 账号: ${app.person.handle}   password / 密码: ${app.person.password}`,
            '',
            ...appDemoLines(app),
          ]
        : ['(the Mini Game is not installed: no app step / 未安装小游戏：跳过应用演示)']),
      '',
      ...qrSceneLines(qr),
      '',
      `Data / 数据目录: ${stack.dataDir}`,
    ];
    return {
      stack,
      result,
      urls,
      key: stack.key,
      people,
      app,
      qr,
      operator,
      text: lines.join('\n'),
      close: async () => {
        await app?.close();
        await stack.close();
      },
    };
  } catch (e) {
    await app?.close();
    await stack.close();
    throw e;
  }
}

/**
 * A victim whose account the chat shows frozen, a friend of theirs who received an intruder message
 * that is now a retraction placeholder (and the warning banner), and another warned friend.
 */
function pickPeople(stack: ChatStack, res: ReplayResult): DemoPerson[] {
  const db = stack.chat.db;
  const who = new Map<string, { handle: string; password: string }>();
  for (const v of res.cast.victims) {
    who.set(v.id, v);
    for (const f of v.friends) if (!who.has(f.id)) who.set(f.id, f);
  }
  const frozen = (id: string) => db.user(id)?.state === 'frozen';
  const warned = (id: string) => db.warnings(id).length > 0;
  let victim: string | undefined;
  let friend: string | undefined;
  // prefer a friend who was not hijacked too (their own account tells another story)
  const victims = new Set(res.cast.victims.map((v) => v.id));
  for (const m of res.cast.accepted) {
    if (!('recipients' in m.to) || db.message(m.id)?.state !== 'retracted') continue;
    const r = m.to.recipients[0];
    if (victim !== undefined && r !== undefined && victims.has(r)) continue;
    victim = m.sender;
    friend = r;
    if (frozen(m.sender) && r !== undefined && !victims.has(r)) break;
  }
  victim ??= res.cast.victims.find((v) => frozen(v.id))?.id ?? res.cast.victims[0]?.id;
  const v = res.cast.victims.find((x) => x.id === victim);
  friend ??= v?.friends.find((f) => warned(f.id))?.id;
  const other = (
    v?.friends.find((f) => f.id !== friend && warned(f.id) && !victims.has(f.id)) ??
    v?.friends.find((f) => f.id !== friend && warned(f.id))
  )?.id;
  const out: DemoPerson[] = [];
  const add = (id: string | undefined, en: string, zh: string) => {
    const p = id ? who.get(id) : undefined;
    if (p) out.push({ role: { en, zh }, handle: p.handle, password: p.password });
  };
  add(victim, 'A hijacked account: the frozen banner (read-only)', '被盗账号：显示冻结横幅（只读）');
  add(
    friend,
    "The victim's friend: the retraction placeholder and the warning banner",
    '号主的好友：消息撤回占位和警告横幅',
  );
  add(other, 'Another friend of the victim: the warning banner', '号主的另一位好友：警告横幅');
  // every blast was stopped by the pre-send check: nobody was warned (nothing reached them)
  if (friend === undefined)
    add(
      v?.friends.find((f) => !victims.has(f.id))?.id ?? v?.friends[0]?.id,
      "The victim's friend: nothing the intruder sent reached them (the pre-send check stopped it)",
      '号主的好友：入侵者发的消息都被发送前检查拦下，一条也没有送达',
    );
  return out;
}
