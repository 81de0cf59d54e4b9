/**
 * Benchmark: URL analyses per second on one core, over a realistic mix of clean, lookalike and
 * obfuscated URLs checked against the ~20 brands of config/brands.example.json.
 */
import { readFileSync } from 'node:fs';
import { median } from '../../bench/index.ts';
import { analyzeUrl } from './analyze.ts';
import type { UrlContext } from './analyze.ts';
import { compileBrands, parseBrandsText } from './brands.ts';
import { parseDomainList } from './lists.ts';

const CLEAN_HOSTS = [
  'www.example.com',
  'news.sina.com.cn',
  'github.com',
  'stackoverflow.com',
  'en.wikipedia.org',
  'zh.wikipedia.org',
  'www.zhihu.com',
  'www.douban.com',
  'www.baidu.com',
  'm.weibo.cn',
  'www.bbc.co.uk',
  'www.nytimes.com',
  'docs.python.org',
  'nodejs.org',
  'www.reddit.com',
  'www.amazon.co.jp',
  'store.example.org',
  'blog.example.net',
  'www.gov.cn',
  'www.xinhuanet.com',
  'www.cnblogs.com',
  'juejin.cn',
  'www.csdn.net',
  'music.163.com',
  'www.iqiyi.com',
  'v.qq.com',
  'www.bilibili.com',
  'item.jd.com',
  'detail.tmall.com',
  'www.npmjs.com',
];

/** Simple deterministic PRNG so every run analyses the same mix. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function benchUrls(n: number, labels: string[]): string[] {
  const r = rng(42);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const words = ['login', 'gift', 'free', 'verify', 'secure', 'event', 'account', 'nitro', 'game', 'vip'];
  const tlds = ['com', 'xyz', 'top', 'ru', 'cn', 'net', 'info', 'site'];
  const mutate = (l: string): string => {
    const i = 1 + Math.floor(r() * (l.length - 2));
    switch (Math.floor(r() * 6)) {
      case 0:
        return l.slice(0, i) + l[i + 1] + l[i] + l.slice(i + 2);
      case 1:
        return l.slice(0, i) + l.slice(i + 1);
      case 2:
        return l.replace('o', '0').replace('l', '1');
      case 3:
        return `${l}-${pick(words)}`;
      case 4:
        return `${pick(words)}${l}`;
      default:
        return l + l[l.length - 1];
    }
  };
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const x = r();
    const path = `/${pick(words)}/${Math.floor(r() * 1e6)}?ref=${Math.floor(r() * 1000)}`;
    if (x < 0.6) out.push(`https://${pick(CLEAN_HOSTS)}${path}`);
    else if (x < 0.85) out.push(`https://${mutate(pick(labels))}.${pick(tlds)}${path}`);
    else if (x < 0.9) out.push(`${mutate(pick(labels))}[.]${pick(tlds)}/${pick(words)}`);
    else if (x < 0.93) out.push(`hxxp://${pick(labels)}-${pick(words)}．${pick(tlds)}/x`);
    else if (x < 0.96) out.push(`http://${Math.floor(r() * 2 ** 32)}:8080/${pick(words)}`);
    else out.push(`https://bit.ly/${Math.floor(r() * 1e9).toString(36)}`);
  }
  return out;
}

export async function benchUrl(opts: {
  scale: number;
  log: (s: string) => void;
}): Promise<{ urlAnalysesPerSecond: number }> {
  const brands = compileBrands(
    parseBrandsText(readFileSync(new URL('../../../config/brands.example.json', import.meta.url), 'utf8')),
  );
  const block = parseDomainList('evil.example\nphish.example\n').list;
  const allow = parseDomainList('partner.example\n').list;
  const now = Date.now();
  const ctx: UrlContext = {
    brands,
    block,
    allow,
    firstSeen: (d) => (d.length % 3 === 0 ? undefined : now - 1e9),
    now,
  };
  const labels = [...new Set(brands.targets.filter((t) => t.kind === 'domain').map((t) => t.text))];
  const n = Math.max(1000, Math.round(20_000 * opts.scale));
  const urls = benchUrls(n, labels);
  const rounds = opts.scale >= 1 ? 7 : 3;
  const rates: number[] = [];
  let sink = 0;
  for (let i = 0; i < 300; i++) sink += analyzeUrl(urls[i % urls.length]!, ctx).score; // warm-up
  const verdicts: Record<string, number> = {};
  for (let round = 0; round < rounds; round++) {
    const t0 = performance.now();
    for (let i = 0; i < urls.length; i++) {
      const a = analyzeUrl(urls[i]!, ctx);
      sink += a.score;
      if (round === 0) verdicts[a.verdict] = (verdicts[a.verdict] ?? 0) + 1;
    }
    const ms = performance.now() - t0;
    rates.push((urls.length / ms) * 1000);
  }
  opts.log(
    `url: ${urls.length} URLs x ${rounds} rounds; verdicts ${JSON.stringify(verdicts)} (${sink > 0 ? 'ok' : ''})`,
  );
  return { urlAnalysesPerSecond: Math.round(median(rates)) };
}
