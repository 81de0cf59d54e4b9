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
  FEE,
  HAM_EN,
  HAM_ZH,
  SETTLE_EN,
  TAIL,
  ZH as ZH0,
  type Slot,
} from './templates.ts';
import { ASKS } from './templates-asks.ts';
import { EN_ACQ as EN_ACQ0, EN_ACQ2 } from './templates-en.ts';
import { EN_FRAUD, EN_MORE } from './templates-en-fraud.ts';
import {
  COLLECT,
  EN_HAM,
  EN_HAM_MORE,
  EN_LATER,
  FAVOUR,
  OWN_MONEY,
  REMIND,
  SMALL_LOAN,
} from './templates-en-ham.ts';
import { INVEST } from './templates-invest.ts';
import { JOBS } from './templates-jobs.ts';
import { CLAIM, HOOK, NOTICE, SHOP, ZH_ACQ, ZH_HAM_MORE } from './templates-zh-more.ts';

// the ask slots widened by templates-asks.ts
const ZH = {
  ...ZH0,
  ask: [...ZH0.ask, ...ASKS.zhAsk],
  later: [...ZH0.later, ...ASKS.zhLater],
  why: [...ZH0.why, ...ASKS.zhWhy],
  amt: [...ZH0.amt, ...ASKS.zhAmt],
};
const EN_ACQ = {
  ...EN_ACQ0,
  ask: [...EN_ACQ0.ask, ...ASKS.enAsk],
  later: [...EN_ACQ0.later, ...ASKS.enLater],
};

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
  // a fraud's small fee (shipping, deposit, registration): scams ask small sums too; drawn only where a
  // template names one, so the other templates' draws stay as they were
  if (t.includes('{fee')) t = t.replaceAll('{feeEn}', pick(r, FEE.en)).replaceAll('{fee}', pick(r, FEE.zh));
  // the widened asks' slots (templates-asks.ts), likewise drawn only where a template names one
  if (t.includes('{card') || t.includes('{app}') || t.includes('{k}') || t.includes('{bill'))
    t = t
      .replaceAll('{cardZh}', pick(r, ASKS.cardZh))
      .replaceAll('{card}', pick(r, ASKS.card))
      .replaceAll('{app}', pick(r, ASKS.app))
      .replaceAll('{k}', pick(r, ASKS.k))
      .replaceAll('{billZh}', pick(r, ASKS.billZh))
      .replaceAll('{billEn}', pick(r, ASKS.billEn));
  return t
    .replaceAll('{n}', pick(r, ZH.amt))
    .replaceAll('{m}', pick(r, EN.m))
    .replaceAll(
      '{b}',
      pick(r, ['150', '300', '450', '800', '1200', '2000', '2,500', '95', 'five hundred', 'a thousand']),
    )
    .replaceAll('{d}', String(1000 + Math.floor(r() * 9000)) + ' ' + String(1000 + Math.floor(r() * 9000)))
    .replaceAll('{c}', String(1000 + Math.floor(r() * 9000)))
    .replaceAll('{goods}', pick(r, CLAIM.goods))
    .replaceAll('{x}', pick(r, TAIL));
}

/**
 * Joins 2–5 parts in a shuffled-but-plausible order with Chinese or English punctuation: each
 * optional part is dropped with p 0.12, a quarter of the messages swap two neighbouring parts after
 * the first (the ask before the reason, the excuse after the ask), and each join draws its own
 * separator, so no slot order or punctuation is a tell.
 */
function compose(r: () => number, parts: string[], en = false): string {
  const kept = parts.filter((p) => p !== '' && r() > 0.12);
  const use = kept.length >= 2 ? kept : parts.filter((p) => p !== '');
  if (use.length >= 3 && r() < 0.25) {
    const i = 1 + Math.floor(r() * (use.length - 2));
    [use[i], use[i + 1]] = [use[i + 1]!, use[i]!];
  }
  const seps = en ? [', ', '. ', ' - ', ' '] : ['，', '，', '。', ' ', '！'];
  let out = use[0]!;
  for (let i = 1; i < use.length; i++) out += pick(r, seps) + use[i]!;
  return fill(r, out);
}

export interface ScamExample {
  text: string;
  label: 0 | 1;
  category: string;
}

/** `n` generated examples per category (positives) and `n` × 2 negatives, deterministic by seed. */
export function generateScamData(n = 600, seed = 7): ScamExample[] {
  const r = prng(seed);
  const opt = (p: number, xs: Slot) => (r() < p ? pick(r, xs) : '');
  const out: ScamExample[] = [];
  const pos = (category: string, text: string) => out.push({ text, label: 1, category });
  const neg = (text: string) => out.push({ text, label: 0, category: 'ham' });
  for (let i = 0; i < n; i++) {
    // acquaintance needs money
    for (let k = 0; k < 3; k++) {
      const who = r() < 0.5 ? pick(r, ZH.kin) : r() < 0.5 ? pick(r, ZH.friend) : pick(r, ZH.boss);
      pos(
        'acquaintance',
        compose(r, [
          opt(0.3, ZH.open),
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
    }
    // someone speaking for a relative in trouble, and a boss ordering a payment
    pos(
      'acquaintance',
      compose(r, [
        pick(r, ZH.proxy),
        pick(r, ZH.proxyWhy),
        pick(r, ZH.proxyAsk),
        opt(0.4, ZH.urgent),
        opt(0.3, ZH.secret),
      ]),
    );
    pos(
      'acquaintance',
      compose(r, [
        pick(r, ZH.boss),
        opt(0.5, ['我在开会', '我在外地出差', '我在陪客户', '我现在不方便接电话', '这是我新微信']),
        pick(r, ZH.bossOrder),
        opt(0.4, ZH.urgent),
        opt(0.4, ['别在群里说', '先别声张', '办完跟我说一声', '账号我发你', '不要打电话确认']),
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
    // the same scheme with the wider English vocabulary (templates-en.ts), twice as often
    for (let k = 0; k < 2; k++)
      pos(
        'acquaintance-en',
        compose(
          r,
          [
            pick(r, EN_ACQ.who),
            opt(0.5, EN_ACQ.channel),
            opt(0.6, EN_ACQ.why),
            pick(r, EN_ACQ.ask),
            opt(0.3, EN_ACQ.payee),
            opt(0.4, EN_ACQ.urgent),
            opt(0.3, EN_ACQ.secret),
            opt(0.3, EN_ACQ.later),
          ],
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
    for (let k = 0; k < 2; k++)
      pos(
        'other-en',
        compose(
          r,
          [
            opt(0.7, EN_FRAUD.claim),
            pick(r, EN_FRAUD.issue),
            pick(r, EN_FRAUD.order),
            opt(0.5, EN_FRAUD.threat),
          ],
          true,
        ),
      );
  }
  // the schemes of templates-zh-more.ts and the EN_ACQ2 / EN_MORE variants (issue 14 item 4, second
  // round): an old contact or a relative abroad asking for a purchase or payment on their behalf,
  // notice SMS to a phishing page, purchase fraud, fake refunds, credit, task, romance and game-trade
  // schemes; blackmail, marketplace deposits and English notices
  for (let i = 0; i < n; i++) {
    const A = ZH_ACQ;
    const who = r() < 0.5 ? pick(r, A.whoFriend) : r() < 0.5 ? pick(r, ZH.whoFriend) : pick(r, ZH.kin);
    pos(
      'acquaintance',
      compose(r, [
        opt(0.5, A.reconnect),
        who,
        r() < 0.6 ? pick(r, A.why) : pick(r, ZH.why),
        opt(0.3, ZH.urgent),
        r() < 0.6 ? pick(r, A.ask) : pick(r, ZH.ask),
        opt(0.2, ZH.payee),
        opt(0.2, ZH.secret),
        opt(0.5, r() < 0.5 ? A.later : ZH.later),
      ]),
    );
    const N = NOTICE;
    const notice = compose(r, [pick(r, N.status), pick(r, N.action), pick(r, N.threat)]);
    pos('other', r() < 0.7 ? `【${pick(r, N.brand)}】${notice}` : notice);
    pos(
      'other',
      compose(r, [opt(0.5, SHOP.claim), pick(r, SHOP.item), pick(r, SHOP.ask), opt(0.5, SHOP.end)]),
    );
    pos(
      'customer',
      pick(r, CLAIM.open) + compose(r, [pick(r, CLAIM.issue), opt(0.7, CLAIM.offer), pick(r, CLAIM.ask)]),
    );
    const H = HOOK;
    const hook = pick(r, [
      [H.credit, H.creditAsk],
      [H.task, H.taskAsk],
      [H.romance, H.romanceAsk],
      [H.game, H.gameAsk],
    ] as const);
    pos(
      'other',
      compose(r, [
        hook[0] === H.romance ? opt(0.7, ['亲爱的', '宝贝', '哥哥', '老公', '亲']) : '',
        pick(r, hook[0]),
        pick(r, hook[1]),
        opt(0.3, ZH.urgent),
      ]),
    );
    const E = EN_ACQ2;
    pos(
      'acquaintance-en',
      compose(
        r,
        [
          r() < 0.3 ? pick(r, E.romance) : r() < 0.6 ? pick(r, E.who) : pick(r, EN_ACQ.who),
          r() < 0.7 ? pick(r, E.why) : pick(r, EN_ACQ.why),
          opt(0.3, EN_ACQ.urgent),
          r() < 0.7 ? pick(r, E.ask) : pick(r, EN_ACQ.ask),
          opt(0.4, EN_ACQ.later),
        ],
        true,
      ),
    );
    const M = EN_MORE;
    const kind = r();
    pos(
      'other-en',
      compose(
        r,
        kind < 0.34
          ? [pick(r, M.blackmail), pick(r, M.blackmailAsk), opt(0.8, M.blackmailThreat)]
          : kind < 0.67
            ? [pick(r, M.listing), pick(r, M.listingAsk), opt(0.3, EN_ACQ.urgent)]
            : [opt(0.6, EN_FRAUD.claim), pick(r, M.notice), pick(r, M.noticeAsk), opt(0.5, EN_FRAUD.threat)],
        true,
      ),
    );
    // their negatives: real notices, purchases, travel, couples and reconnecting chat
    neg(fill(r, pick(r, ZH_HAM_MORE)));
    neg(fill(r, pick(r, EN_HAM_MORE)));
    const O = OWN_MONEY;
    neg(compose(r, [opt(0.3, EN_HAM.open), pick(r, O.en), pick(r, O.busyEn), opt(0.3, EN_LATER)], true));
    neg(compose(r, [r() < 0.5 ? pick(r, O.zh) : pick(r, ZH.kin), pick(r, O.busyZh), pick(r, TAIL)]));
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
  for (let i = 0; i < n; i++) {
    neg(
      compose(r, [
        r() < 0.5 ? pick(r, ZH.kin) : pick(r, ZH.friend),
        opt(0.6, ZH.why),
        pick(r, life),
        opt(0.5, life),
      ]),
    );
    for (let k = 0; k < 2; k++)
      neg(
        compose(
          r,
          [pick(r, EN_HAM.open), opt(0.5, EN_HAM.mishap), pick(r, EN_HAM.favour), opt(0.3, EN_LATER)],
          true,
        ),
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
  // ones sometimes ending in a settled bill); a thing (never money) borrowed from a friend, in Chinese
  // and (the other rounds) in English. Half as many as the other negatives, and borrowing in Chinese in
  // every other round: more (and a family of settled shared bills) taught "借我 … 还你" as ordinary and
  // cost acquaintance recall.
  for (let i = 0; i < n / 2; i++) {
    neg(fill(r, compose(r, [pick(r, ERRAND.who), pick(r, ERRAND.did), pick(r, ERRAND.then), pick(r, TAIL)])));
    if (i % 2 === 0) neg(fill(r, `${pick(r, BORROW.ask)}${pick(r, BORROW.thing)}${pick(r, BORROW.back)}{x}`));
    else neg(`${pick(r, BORROW.askEn)} ${pick(r, BORROW.thingEn)} ${pick(r, BORROW.backEn)}`);
    neg(
      compose(
        r,
        [pick(r, ERRAND_EN.who), pick(r, ERRAND_EN.did), pick(r, r() < 0.5 ? ERRAND_EN.then : SETTLE_EN)],
        true,
      ),
    );
  }
  // everyday favours that involve paying for something ordinary (FAVOUR, templates-en-ham.ts)
  for (let i = 0; i < n / 2; i++) {
    const remind = (t: string, zh: boolean) =>
      t
        .replaceAll('{bill}', pick(r, zh ? REMIND.billZh : REMIND.bill))
        .replaceAll('{thing}', pick(r, zh ? REMIND.thingZh : REMIND.thing));
    neg(compose(r, [opt(0.4, EN_HAM.open), remind(pick(r, REMIND.en), false), opt(0.3, EN_LATER)], true));
    neg(fill(r, `${remind(pick(r, REMIND.zh), true)}{x}`));
    const C = COLLECT;
    const collect = (t: string, zh: boolean) =>
      t
        .replaceAll('{who}', pick(r, C.who))
        .replaceAll('{thing}', pick(r, C.thing))
        .replaceAll('{s}', pick(r, zh ? C.s : C.sEn))
        .replaceAll('{c}', pick(r, zh ? C.c : C.cEn));
    neg(fill(r, `${collect(pick(r, C.zh), true)}{x}`));
    neg(compose(r, [opt(0.4, EN_HAM.open), collect(pick(r, C.en), false), opt(0.3, EN_LATER)], true));
    const L = SMALL_LOAN;
    neg(fill(r, compose(r, [`${pick(r, L.askZh)}${pick(r, L.amtZh)}`, pick(r, L.whyZh), pick(r, L.backZh)])));
    neg(compose(r, [`${pick(r, L.askEn)} ${pick(r, L.amtEn)}`, pick(r, L.whyEn), pick(r, L.backEn)], true));
    neg(
      compose(
        r,
        [
          opt(0.4, EN_HAM.open),
          `${pick(r, FAVOUR.askEn)} ${pick(r, FAVOUR.thingEn)}`,
          pick(r, FAVOUR.backEn),
        ],
        true,
      ),
    );
    if (i % 2 === 0)
      neg(fill(r, `${pick(r, FAVOUR.askZh)}${pick(r, FAVOUR.thingZh)}，${pick(r, FAVOUR.backZh)}{x}`));
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
  // job and task lures (templates-jobs.ts), half of them with no fee asked yet, and the hiring, side
  // jobs and "add me" chat they borrow from; last, so the draws above stay as they were
  const J = JOBS;
  for (let i = 0; i < n; i++) {
    pos(
      'other',
      compose(r, [
        pick(r, J.hookZh),
        pick(r, J.workZh),
        pick(r, J.payZh),
        r() < 0.5 ? pick(r, J.feeZh) : '',
        pick(r, J.contactZh),
      ]),
    );
    pos(
      'other-en',
      compose(
        r,
        [
          pick(r, J.hookEn),
          pick(r, J.workEn),
          pick(r, J.payEn),
          r() < 0.5 ? pick(r, J.feeEn) : '',
          pick(r, J.contactEn).replace('{tg}', pick(r, J.tg)),
        ],
        true,
      ),
    );
    if (i % 2 === 0) {
      neg(fill(r, `${pick(r, J.hamZh)}{x}`));
      neg(compose(r, [opt(0.4, EN_HAM.open), pick(r, J.hamEn), opt(0.2, EN_LATER)], true));
    }
  }
  // investment lures (templates-invest.ts): an expert, returns, an invitation, a first deposit in some;
  // and the investing talk and warnings they borrow from; last, so the draws above stay as they were
  const V = INVEST;
  for (let i = 0; i < n; i++) {
    pos(
      'other',
      compose(r, [
        pick(r, V.whoZh),
        `${pick(r, V.gainZh)}，有${pick(r, V.whatZh)}`,
        pick(r, V.inviteZh),
        r() < 0.4 ? pick(r, V.depositZh) : '',
      ]),
    );
    pos(
      'other-en',
      compose(
        r,
        [
          `${pick(r, V.whoEn)} ${pick(r, V.gainEn)} with ${pick(r, V.whatEn)}`,
          pick(r, V.inviteEn),
          r() < 0.4 ? pick(r, V.depositEn) : '',
        ],
        true,
      ),
    );
    if (i % 2 === 0) {
      neg(fill(r, `${pick(r, V.hamZh)}{x}`));
      neg(compose(r, [opt(0.4, EN_HAM.open), pick(r, V.hamEn), opt(0.2, EN_LATER)], true));
    }
  }
  return out;
}
