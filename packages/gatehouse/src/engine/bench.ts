/**
 * Engine throughput: message events per second on one core, in process, with every detector and
 * content analysis (the lexicon ContentAnalyzer until the content part is plugged in).
 *
 * The figure is message events per CPU-second of this process (user + system time, so GC threads
 * count against it): on a shared machine the wall-clock rate depends on the neighbours; it is
 * logged too.
 *
 * Population: `accounts` accounts with a warm profile (sign-in on their usual device, friends,
 * a few days of messages; not timed). Timed traffic: ordinary messages to usual friends with mostly
 * unique texts (97 %), group posts (1 %) and hijacked accounts blasting spam from fresh QR
 * sessions (2 %), in event-time order.
 */
import type { MessageSentEvent } from '@gatehouse/sdk';
import { registerBenchmark } from '../bench/index.ts';
import { Engine } from './engine.ts';
import { LexiconContentAnalyzer } from './test-content.ts';
import { createContentAnalyzer } from './content.ts';
import type { ContentAnalyzer } from './types.ts';
import { DAY, HOUR, T0, rng } from './simulate.ts';
import type { EngineEvent } from './types.ts';

const WORDS = [
  '今天',
  '明天',
  '吃饭',
  '开会',
  '电影',
  'ok',
  'lunch',
  '好的',
  '哈哈',
  '周末',
  '回家',
  '下班',
  '快递',
  '天气',
  'see you',
  '晚点',
];
const SPAM = [
  '澳门首家线上赌场，首充送888 https://bet-888.com/r/',
  '免费领取游戏皮肤 点击领取 http://qq-gift.top/l/',
  '约炮 裸聊 私密视频 http://xxx-live.cn/v/',
  'free nitro for you https://discord-gift.xyz/n/',
];

export function makeEvents(
  accounts: number,
  messages: number,
  seed: number,
): { warm: EngineEvent[]; timed: EngineEvent[] } {
  const r = rng(seed);
  const warm: EngineEvent[] = [];
  const client = { kind: 'mobile' as const, name: 'QQ', version: '9.0' };
  let n = 0;
  const text = () => {
    let s = '';
    const k = 3 + Math.floor(r() * 5);
    for (let i = 0; i < k; i++) s += WORDS[Math.floor(r() * WORDS.length)]! + (r() < 0.3 ? ' ' : '');
    return s + Math.floor(r() * 1000);
  };
  const start = T0;
  for (let a = 0; a < accounts; a++) {
    const acc = `u${a}`;
    warm.push({
      id: `w${n++}`,
      type: 'identity.login.succeeded',
      time: start,
      account: acc,
      session: `${acc}-s0`,
      method: 'password',
      device: { id: `${acc}-d` },
      ip: `10.${a & 255}.${(a >> 8) & 255}.1`,
    });
    for (let f = 0; f < 8; f++)
      warm.push({
        id: `w${n++}`,
        type: 'friend.added',
        time: start,
        account: acc,
        friend: `u${(a + f * 97 + 1) % accounts}`,
      });
  }
  // four days of history, 5 messages a day per account, in time order
  for (let d = 0; d < 4; d++)
    for (let k = 0; k < 5; k++)
      for (let a = 0; a < accounts; a++) {
        const acc = `u${a}`;
        const t = start + d * DAY + (9 + k * 2) * HOUR + Math.floor((a / accounts) * HOUR);
        warm.push(
          msg(`w${n++}`, t, acc, [`u${(a + (k % 6) * 97 + 1) % accounts}`], text(), `${acc}-s0`, client),
        );
      }
  const timed: EngineEvent[] = [];
  const t0 = start + 4 * DAY + 10 * HOUR;
  const span = 2 * HOUR;
  const hijacked = new Map<string, string>();
  for (let i = 0; i < messages; i++) {
    const t = t0 + Math.floor((i / messages) * span);
    const a = Math.floor(r() * accounts);
    const acc = `u${a}`;
    const x = r();
    if (x < 0.02) {
      let sess = hijacked.get(acc);
      if (!sess) {
        sess = `${acc}-evil`;
        hijacked.set(acc, sess);
        timed.push({
          id: `t${n++}`,
          type: 'identity.login.succeeded',
          time: t,
          account: acc,
          session: sess,
          method: 'qr',
          device: { id: `farm-${a % 50}` },
          ip: `203.0.113.${a % 200}`,
        });
      }
      const rc = Array.from({ length: 5 }, (_, j) => `u${(a + j * 31 + 7) % accounts}`);
      timed.push(
        msg(`t${n++}`, t, acc, rc, SPAM[a % SPAM.length]! + (a % 1000), sess, {
          kind: 'desktop',
          name: 'QQ-PC',
          version: '9.7',
        }),
      );
    } else if (x < 0.03) {
      timed.push({
        ...msg(`t${n++}`, t, acc, undefined, text(), `${acc}-s0`, client),
        group: { id: `g${a % 500}`, memberCount: 200 },
      });
    } else {
      timed.push(
        msg(
          `t${n++}`,
          t,
          acc,
          [`u${(a + Math.floor(r() * 6) * 97 + 1) % accounts}`],
          text(),
          `${acc}-s0`,
          client,
        ),
      );
    }
  }
  return { warm, timed };
}

function msg(
  id: string,
  time: number,
  account: string,
  recipients: string[] | undefined,
  text: string,
  session: string,
  client: MessageSentEvent['client'],
): MessageSentEvent {
  const ev: MessageSentEvent = {
    id,
    type: 'message.sent',
    time,
    account,
    session,
    text,
    urls: [],
    attachments: [],
    client,
  };
  if (recipients) ev.recipients = recipients;
  return ev;
}

export async function benchEngine(opts: {
  scale: number;
  log: (s: string) => void;
  /** Content analysis (default: the lexicon analyzer). */
  content?: ContentAnalyzer;
}): Promise<{ eventsPerSecond: number }> {
  const accounts = Math.max(1000, Math.round(20_000 * opts.scale));
  const messages = Math.max(10_000, Math.round(300_000 * opts.scale));
  opts.log(`engine: ${accounts} accounts, ${messages} timed messages`);
  const { warm, timed } = makeEvents(accounts, messages, 42);
  const content = opts.content ?? new LexiconContentAnalyzer();
  let clock = 0;
  const engine = new Engine({ content, now: () => clock });
  for (const ev of warm) {
    clock = ev.time;
    engine.process(ev, { receivedAt: ev.time });
  }
  // three rounds over consecutive thirds of the timed stream; the median is reported
  const rates: number[] = [];
  const third = Math.floor(timed.length / 3);
  let actions = 0;
  for (let round = 0; round < 3; round++) {
    const part = timed.slice(round * third, (round + 1) * third);
    let msgs = 0;
    const begin = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < part.length; i++) {
      const ev = part[i]!;
      clock = ev.time;
      const r = engine.process(ev, { receivedAt: ev.time });
      if (ev.type === 'message.sent') msgs++;
      if (r.status === 'accepted' && r.decision && r.decision.action !== 'allow') actions++;
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - begin) / 1000;
    const cpuSecs = (cpu.user + cpu.system) / 1e6;
    rates.push(msgs / cpuSecs);
    opts.log(
      `  round ${round + 1}: ${Math.round(msgs / cpuSecs).toLocaleString('en-US')} msg per CPU-second ` +
        `(${Math.round(msgs / wall).toLocaleString('en-US')} msg/s wall clock on a shared machine)`,
    );
    await new Promise((res) => setImmediate(res));
  }
  const s = engine.getStats();
  opts.log(
    `  non-allow decisions: ${actions}; campaigns: ${s.campaigns}; accounts: ${s.accounts}; fingerprints: ${s.fingerprints}`,
  );
  rates.sort((a, b) => a - b);
  return { eventsPerSecond: Math.round(rates[1]!) };
}

registerBenchmark({
  name: 'engine',
  description: 'detection engine: message events per second on one core, all detectors / 检测引擎吞吐量',
  run: async (o) => {
    const lexicon = await benchEngine(o);
    o.log('engine with the real content parts (content/text model + content/url):');
    const real = await benchEngine({ ...o, content: createContentAnalyzer() });
    return { eventsPerSecond: lexicon.eventsPerSecond, eventsPerSecondRealContent: real.eventsPerSecond };
  },
});
