/**
 * `gatehouse demo`: Gatehouse (embedded, SQLite in a data directory) and the reference chat in one
 * process, a seeded society signed up through the chat, the qq-incident scenario played through it, and
 * then the summary and what to open: the chat page, Gatehouse's API, its incidents, and a few seeded
 * people to sign in as (a frozen victim, a friend who got the retraction placeholder and the warning).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SimApi } from './api.ts';
import { ChatPlatform } from './chat-platform.ts';
import { startChatStack, type ChatStack } from './chat-stack.ts';
import { metricsTable } from './metrics.ts';
import { replay, type ReplayResult } from './runner.ts';
import { loadScenario } from './scenario.ts';

export const DEFAULT_SCENARIO = join(import.meta.dirname, '../../../../scenarios/qq-incident.yaml');

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
  /** The summary and the URLs, as printed. */
  text: string;
  close(): Promise<void>;
}

export async function runDemo(o: DemoOptions): Promise<Demo> {
  const sc = loadScenario(o.scenario ?? DEFAULT_SCENARIO);
  const stack = await startChatStack({ dataDir: o.dataDir, port: o.port, chatPort: o.chatPort });
  try {
    const platform = new ChatPlatform(stack.chatUrl, new SimApi(stack.gatehouseUrl, stack.key));
    const result = await replay({
      scenario: sc,
      seed: o.seed,
      accounts: o.accounts,
      platform,
      // short, readable handles, unique per run so a data directory can be reused
      prefix: `demo-${randomBytes(3).toString('hex')}-`,
      // one owner stays frozen to show; the others take their accounts back (recovery time in the summary)
      leaveFrozen: 1,
      ...(o.liveSeconds ? { liveSeconds: o.liveSeconds } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const people = pickPeople(stack, result);
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
      '== Sign in to the chat as / 用以下账号登录聊天 ==',
      '',
      ...people.map(
        (p) => `${p.role.en} / ${p.role.zh}\n  handle / 账号: ${p.handle}   password / 密码: ${p.password}`,
      ),
      '',
      `Data / 数据目录: ${stack.dataDir}`,
    ];
    return {
      stack,
      result,
      urls,
      key: stack.key,
      people,
      text: lines.join('\n'),
      close: () => stack.close(),
    };
  } catch (e) {
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
  return out;
}
