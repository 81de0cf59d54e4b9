/**
 * A seeded society: people with heavy-tailed friend counts (preferential attachment, Barabási–Albert)
 * and clustered groups (a group grows around a seed person from friends of its members), daily rhythms
 * (day people, night owls, people abroad), mobile or desktop clients, Chinese or English speakers and
 * link-sharing habits. Same scenario and seed, same society.
 */
import type { Rng } from './rng.ts';
import type { Scenario } from './scenario.ts';

export interface Person {
  index: number;
  handle: string;
  lang: 'zh' | 'en';
  /** Active local hours [from, to) (wrapping past midnight when from > to). */
  hours: [number, number];
  /** Hours added to the home time zone. */
  tzShift: number;
  desktop: boolean;
  linkSharer: boolean;
  friends: number[];
  groups: number[];
  /** Friends talked to most (first few of `friends`, by tie strength). */
  close: number[];
  userAgent: string;
  ip: string;
  client: { kind: 'mobile' | 'desktop'; name: string; version: string };
}

export interface Group {
  id: string;
  members: number[];
}

export interface Society {
  people: Person[];
  groups: Group[];
}

/** A user agent with varied versions, so a phone model is shared by some people, not by everyone. */
function userAgent(desktop: boolean, r: Rng): string {
  if (desktop)
    return r.chance(0.5)
      ? `Mozilla/5.0 (Macintosh; Intel Mac OS X 14_${r.int(6)}) AppleWebKit/605.1.15 Version/17.${r.int(6)} Safari/605.1.15`
      : `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${118 + r.int(10)}.0) Gecko/20100101 Firefox/${118 + r.int(10)}.0`;
  return r.chance(0.6)
    ? `Mozilla/5.0 (Linux; Android ${10 + r.int(5)}; ${r.pick(['Pixel 8', 'SM-S911B', 'MI 13', 'V2227A', 'PGT-AN10'])}) AppleWebKit/537.36 Chrome/${115 + r.int(13)}.0 Mobile Safari/537.36`
    : `Mozilla/5.0 (iPhone; CPU iPhone OS ${15 + r.int(3)}_${r.int(6)} like Mac OS X) AppleWebKit/605.1.15 Version/${15 + r.int(3)}.0 Mobile/15E148 Safari/604.1`;
}

export function inWindow(hour: number, [from, to]: [number, number]): boolean {
  const h = ((hour % 24) + 24) % 24;
  return from <= to ? h >= from && h < to : h >= from || h < to;
}

export function buildSociety(sc: Scenario, accounts: number, r: Rng, prefix: string): Society {
  const s = sc.society;
  const m = Math.max(1, Math.min(s.links, accounts - 1));
  const adj: Array<Set<number>> = Array.from({ length: accounts }, () => new Set<number>());
  // Preferential attachment: `ends` holds each node once per link, so picking from it favours hubs.
  const ends: number[] = [];
  const seedCount = Math.min(accounts, m + 1);
  for (let i = 0; i < seedCount; i++)
    for (let j = 0; j < i; j++) {
      adj[i]!.add(j);
      adj[j]!.add(i);
      ends.push(i, j);
    }
  for (let i = seedCount; i < accounts; i++) {
    let tries = 0;
    while (adj[i]!.size < m && tries++ < m * 20) {
      const j = ends[r.int(ends.length)]!;
      if (j === i || adj[i]!.has(j)) continue;
      adj[i]!.add(j);
      adj[j]!.add(i);
      ends.push(i, j);
    }
    // Triadic closure: befriend a friend of a friend now and then (clustering).
    const fs = [...adj[i]!];
    if (fs.length && r.chance(0.5)) {
      const f2 = [...adj[r.pick(fs)]!];
      const k = f2.length ? r.pick(f2) : i;
      if (k !== i && !adj[i]!.has(k)) {
        adj[i]!.add(k);
        adj[k]!.add(i);
        ends.push(i, k);
      }
    }
  }
  const groups: Group[] = [];
  const nGroups = Math.round((accounts * s.groupsPer100) / 100);
  const memberOf: number[][] = Array.from({ length: accounts }, () => []);
  for (let g = 0; g < nGroups; g++) {
    const size = s.groupSize[0] + r.int(s.groupSize[1] - s.groupSize[0] + 1);
    const members = new Set<number>([r.int(accounts)]);
    let frontier = [...members];
    let guard = 0;
    while (members.size < Math.min(size, accounts) && guard++ < size * 20) {
      const from = r.pick(frontier);
      const cand = [...adj[from]!];
      const next = cand.length && r.chance(0.85) ? r.pick(cand) : r.int(accounts);
      members.add(next);
      frontier = [...members];
    }
    const id = `${prefix}g${g}`;
    groups.push({ id, members: [...members] });
    for (const p of members) memberOf[p]!.push(g);
  }
  const people: Person[] = [];
  for (let i = 0; i < accounts; i++) {
    const owl = r.chance(s.nightOwls);
    const desktop = r.chance(s.desktop);
    const lang = r.chance(s.chinese) ? 'zh' : 'en';
    const tzShift = r.chance(s.abroad) ? r.pick([-8, -7, -5, 1, 3]) : 0;
    const start = owl ? 11 + r.int(3) : 7 + r.int(3);
    const hours: [number, number] = owl ? [start, 3 + r.int(2)] : [start, 22 + r.int(2)];
    const friends = [...adj[i]!];
    // Tie strength: a stable shuffle; the first few are the close friends.
    for (let k = friends.length - 1; k > 0; k--) {
      const j = r.int(k + 1);
      [friends[k], friends[j]] = [friends[j]!, friends[k]!];
    }
    people.push({
      index: i,
      handle: `${prefix}u${i}`,
      lang,
      hours,
      tzShift,
      desktop,
      linkSharer: r.chance(s.linkSharers),
      friends,
      groups: memberOf[i]!,
      close: friends.slice(0, Math.min(5, friends.length)),
      userAgent: userAgent(desktop, r),
      // One home network (/24) each: people do not share a NAT here.
      ip: `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.${1 + r.int(250)}`,
      client: desktop
        ? { kind: 'desktop', name: 'QQ-PC', version: '9.7' }
        : { kind: 'mobile', name: 'QQ', version: '9.0' },
    });
  }
  return { people, groups };
}

const ZH = [
  '今天晚上一起吃饭吗',
  '好的，明天见',
  '你看到那个新闻了吗，太离谱了',
  '周末去爬山吧，天气不错',
  '收到，我晚点回复你',
  '哈哈哈 笑死我了',
  '妈妈说让你早点回家',
  '会议改到下午三点了',
  '这个周末有空吗，一起打球',
  '我到楼下了，你下来吧',
  '作业写完了吗',
  '晚安，明天聊',
];
const EN = [
  'are we still on for lunch tomorrow',
  'thanks, see you at the office',
  'haha that is hilarious',
  'running 10 minutes late, sorry',
  'did you watch the game last night',
  'ok sounds good',
  'call me when you are free',
  'happy to help, anytime',
];
const LINKS = [
  'https://www.bilibili.com/video/BV1xx411c7',
  'https://news.example.com/a/',
  'https://www.zhihu.com/question/',
  'https://github.com/nodejs/node/pull/',
  'https://www.youtube.com/watch?v=',
];

export function benignText(p: Person, r: Rng): string {
  const base = p.lang === 'zh' ? r.pick(ZH) : r.pick(EN);
  if (p.linkSharer && r.chance(0.25)) return `${base} ${r.pick(LINKS)}${1000 + r.int(9000)}`;
  return base;
}
