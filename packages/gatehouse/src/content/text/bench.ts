/**
 * Text scoring benchmark: one core, a realistic mix of Chinese and English chat messages (normal
 * chat, spam, disguised spam), full `scoreText` with explanations. Figure: median scores per
 * CPU-second of the scoring thread over several rounds (the wall-clock rate is logged too; on an
 * idle core the two agree, on a shared machine wall time also counts other processes' turns).
 */
import { loadDefaultTextModel } from './loader.ts';
import { scoreText } from './score.ts';

const MESSAGES = [
  '今晚一起吃饭吗？我七点下班',
  '哈哈哈这个太好笑了',
  'ok see you at the station in 10 min',
  'Did you finish the report? Boss wants it by Friday.',
  '我在开会，晚点回你',
  '明天考试别忘了带准考证',
  'can u send me the photos from yesterday',
  '周末去爬山吗，天气不错',
  '这个bug我修好了，你拉一下最新代码',
  'happy birthday!! have a great one',
  '恭喜您中奖了！请加微信 abc12345 领取888元红包',
  '加 薇 信 领 免 费 皮 肤 ❤ V❤X：game_skin88',
  'URGENT! You have won a £1000 prize. Call 09061701461 now to claim',
  'FREE entry into our weekly comp! Text WIN to 80086 now',
  'AG真人视讯 首存一百送一百 官网 t.me/xxyy 联系@agkefu',
  '妈，我手机坏了，这是我新号，急用钱先转我2000',
  '𝐀𝐆官方直营，彩金免费送１８元，扣扣①②③④⑤⑥⑦',
  '兼职刷单日结500，私聊我',
  '免费领取小新最新稳定配置+整合包688516266',
  '出二手vape价格私聊',
];

export async function benchText(opts: {
  scale: number;
  log: (s: string) => void;
}): Promise<{ textScoresPerSecond: number }> {
  const model = loadDefaultTextModel();
  const n = Math.max(2000, Math.round(100_000 * opts.scale));
  for (let i = 0; i < 5000; i++) scoreText(model, MESSAGES[i % MESSAGES.length]!); // warm-up
  const rates: number[] = [];
  const rounds = 5;
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    // CPU time of this process (one thread runs the loop): on a shared machine, wall time also
    // counts the time other processes hold the core.
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += scoreText(model, MESSAGES[i % MESSAGES.length]!).probability;
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    rates.push(n / cpu);
    opts.log(
      `  round ${r + 1}: ${Math.round(n / cpu).toLocaleString('en-US')} scores per CPU-second ` +
        `(${Math.round(n / wall).toLocaleString('en-US')} per wall-clock second)`,
    );
  }
  if (Number.isNaN(sink)) opts.log('unexpected NaN');
  rates.sort((a, b) => a - b);
  return { textScoresPerSecond: Math.round(rates[rounds >> 1]!) };
}

if (import.meta.main) console.log(await benchText({ scale: Number(process.argv[2] ?? 1), log: console.log }));
