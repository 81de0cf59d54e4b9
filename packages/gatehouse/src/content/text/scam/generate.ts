/**
 * Training data we write for the scam-intent model, declared as generated: seeded template
 * composition (slots for who is claimed, why, what is asked, how urgent, what to hide, where to pay).
 * It is used only for training; the evaluation set (`eval.tsv`, hand-written separately, never read
 * here) stays apart. Negatives include the hard cases: holiday and red-packet wishes, e-cards, friends
 * settling a bill, family chat that mentions phones, hospitals and money without asking for any.
 */
import {
  BORROW,
  EN,
  ERRAND,
  ERRAND_EN,
  HAM_EN,
  HAM_ZH,
  SETTLE_EN,
  TAIL,
  ZH,
  type Slot,
} from './templates.ts';

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function fill(r: () => number, t: string): string {
  return t
    .replaceAll('{n}', pick(r, ZH.amt))
    .replaceAll('{m}', pick(r, EN.m))
    .replaceAll('{d}', String(1000 + Math.floor(r() * 9000)) + ' ' + String(1000 + Math.floor(r() * 9000)))
    .replaceAll('{x}', pick(r, TAIL));
}

/** Joins 2–5 parts in a shuffled-but-plausible order with Chinese or English punctuation. */
function compose(r: () => number, parts: string[], en = false): string {
  const kept = parts.filter((p) => p !== '' && r() > 0.12);
  const use = kept.length >= 2 ? kept : parts.filter((p) => p !== '');
  const sep = en ? pick(r, [', ', '. ', ' - ', ' ']) : pick(r, ['，', '，', '。', ' ', '！']);
  return fill(r, use.join(sep));
}

export interface ScamExample {
  text: string;
  label: 0 | 1;
  category: string;
}

/** `n` generated examples per category (positives) and `n` × 2 negatives, deterministic by seed. */
export function generateScamData(n = 600, seed = 7): ScamExample[] {
  const r = prng(seed);
  const out: ScamExample[] = [];
  const pos = (category: string, text: string) => out.push({ text, label: 1, category });
  for (let i = 0; i < n; i++) {
    const opt = (p: number, xs: Slot) => (r() < p ? pick(r, xs) : '');
    // acquaintance needs money
    const who = r() < 0.5 ? pick(r, ZH.kin) : r() < 0.5 ? pick(r, ZH.friend) : pick(r, ZH.boss);
    pos(
      'acquaintance',
      compose(r, [
        r() < 0.5 ? who : pick(r, r() < 0.5 ? ZH.whoKin : ZH.whoFriend),
        opt(0.6, ZH.why),
        opt(0.4, ZH.newNum),
        opt(0.6, ZH.urgent),
        pick(r, ZH.ask),
        opt(0.35, ZH.payee),
        opt(0.35, ZH.secret),
        opt(0.4, ZH.later),
      ]),
    );
    pos(
      'acquaintance-en',
      compose(
        r,
        [pick(r, EN.who), opt(0.7, EN.why), pick(r, EN.ask), opt(0.6, EN.urgent), opt(0.3, EN.secret)],
        true,
      ),
    );
    pos(
      'police',
      compose(r, [
        pick(r, ZH.police),
        pick(r, ZH.crime),
        pick(r, ZH.order),
        opt(0.5, ZH.secret),
        opt(0.4, ZH.urgent),
      ]),
    );
    pos(
      'customer',
      compose(r, [
        `您好，我是${pick(r, ZH.service)}`,
        pick(r, ZH.issue),
        pick(r, ZH.fix),
        opt(0.3, ZH.urgent),
      ]),
    );
    pos(
      'loan',
      compose(r, [
        pick(r, ZH.loan),
        opt(0.5, ZH.loan),
        pick(r, ZH.loanFee),
        opt(0.4, ['加微信详谈', '联系客服', '回复1办理']),
      ]),
    );
    pos(
      'other',
      compose(r, [
        pick(r, ZH.other),
        pick(r, ZH.otherFee),
        opt(0.4, ['名额有限', '加群了解', '私聊我', '错过不再有']),
      ]),
    );
    pos(
      'other-en',
      compose(
        r,
        r() < 0.5
          ? [pick(r, EN.police), pick(r, EN.order), opt(0.5, EN.urgent), opt(0.3, EN.secret)]
          : r() < 0.4
            ? [pick(r, EN.service), pick(r, EN.issue), pick(r, EN.order)]
            : r() < 0.4
              ? [pick(r, EN.loan), pick(r, EN.fee)]
              : [pick(r, EN.bait), pick(r, EN.feeAsk), opt(0.4, EN.urgent)],
        true,
      ),
    );
  }
  // hard negatives by composition: the same people, mishaps and money words, but nothing asked
  const life = [
    '我到家了',
    '吃过饭了',
    '周末回去',
    '工资发了',
    '已经好多了',
    '下午去修',
    '明天就出院',
    '开完会给你打电话',
    '钱我已经还给他了',
    '账我都结清了',
    '转账记录我截图了',
    '卡已经补办好了',
    '医药费医保报了',
    '新号码存一下',
    '不用担心',
  ];
  const neg = (text: string) => out.push({ text, label: 0, category: 'ham' });
  for (let i = 0; i < n; i++) {
    const opt = (p: number, xs: Slot) => (r() < p ? pick(r, xs) : '');
    neg(
      compose(r, [
        r() < 0.5 ? pick(r, ZH.kin) : pick(r, ZH.friend),
        opt(0.6, ZH.why),
        pick(r, life),
        opt(0.5, life),
      ]),
    );
    neg(
      compose(
        r,
        [
          pick(r, ['Hi Mum', 'Dad', 'Hey', 'Hi gran']),
          opt(0.6, EN.why),
          pick(r, [
            'all fine now',
            'no need to worry',
            "I'll call you tonight",
            'already sorted it',
            'paid the bill already',
          ]),
        ],
        true,
      ),
    );
  }
  // Everyday errands that name an institution or a transfer but ask nothing of the reader: the
  // customer service, bank, police station or hospital mentioned in passing (zh and en, the English
  // ones sometimes ending in a settled bill); a thing (never money) borrowed from a friend. Half as
  // many as the other negatives, and borrowing in every other round: more (and a family of settled
  // shared bills) taught "借我 … 还你" as ordinary and cost acquaintance recall.
  for (let i = 0; i < n / 2; i++) {
    neg(fill(r, compose(r, [pick(r, ERRAND.who), pick(r, ERRAND.did), pick(r, ERRAND.then), pick(r, TAIL)])));
    if (i % 2 === 0) neg(fill(r, `${pick(r, BORROW.ask)}${pick(r, BORROW.thing)}${pick(r, BORROW.back)}{x}`));
    neg(
      compose(
        r,
        [pick(r, ERRAND_EN.who), pick(r, ERRAND_EN.did), pick(r, r() < 0.5 ? ERRAND_EN.then : SETTLE_EN)],
        true,
      ),
    );
  }
  for (let i = 0; i < n * 2; i++) {
    const zh = r() < 0.65;
    const base = fill(r, pick(r, zh ? HAM_ZH : HAM_EN));
    const extra = r() < 0.3 ? fill(r, pick(r, zh ? HAM_ZH : HAM_EN)) : '';
    const link =
      r() < 0.15
        ? ` https://${pick(r, ['cards', 'news', 'photos', 'events'])}.example.${pick(r, ['com', 'cn', 'net'])}/${Math.floor(r() * 1e6)}`
        : '';
    out.push({ text: `${base}${extra ? (zh ? '，' : ' ') + extra : ''}${link}`, label: 0, category: 'ham' });
  }
  return out;
}
