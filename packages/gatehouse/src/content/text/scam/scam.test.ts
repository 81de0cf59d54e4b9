import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDefaultTextModel } from '../loader.ts';
import { scoreText } from '../score.ts';
import { evalScam } from './eval.ts';
import {
  defaultScamModel,
  readChatEvalSet,
  readEvalSetC,
  LETTER_SETS,
  readLetterSet,
  readScamEvalSet,
  SCAM_SEEDS,
  scamDataAvailable,
  trainScamModel,
} from './model.ts';
import { generateScamData } from './generate.ts';
import { CONTACT_ASK_MIN, credentialAsk, readerAsk, scamCues, sharedCost } from './cues.ts';
import { normalize } from '../normalize.ts';
import { saveModel } from '../serialize.ts';

const text = loadDefaultTextModel();
const fraud = (t: string) =>
  scoreText(text, t).intents.filter((h) => h.intent === 'money' || h.intent === 'impersonation');

/**
 * The needles that occur in the haystack: one pass of a rolling hash (Rabin-Karp) over it, windows as
 * long as the shortest needle, each hash hit compared in full.
 */
function occurring(haystack: string, needles: Iterable<string>): Set<string> {
  const list = [...new Set(needles)];
  const found = new Set<string>();
  if (list.length === 0) return found;
  const k = Math.min(...list.map((n) => n.length));
  assert.ok(k > 0, 'an empty needle');
  const B = 0x01000193;
  const hash = (s: string, from: number) => {
    let h = 0;
    for (let j = 0; j < k; j++) h = (Math.imul(h, B) + s.charCodeAt(from + j)) | 0;
    return h;
  };
  const byHash = new Map<number, string[]>();
  for (const n of list) {
    const h = hash(n, 0);
    const b = byHash.get(h);
    if (b) b.push(n);
    else byHash.set(h, [n]);
  }
  // B^(k-1): the weight of the character leaving the window
  let top = 1;
  for (let j = 1; j < k; j++) top = Math.imul(top, B);
  let h = haystack.length >= k ? hash(haystack, 0) : 0;
  for (let i = 0; i + k <= haystack.length; i++) {
    if (i > 0)
      h = (Math.imul(h - Math.imul(haystack.charCodeAt(i - 1), top), B) + haystack.charCodeAt(i + k - 1)) | 0;
    const b = byHash.get(h);
    if (b) for (const n of b) if (!found.has(n) && haystack.startsWith(n, i)) found.add(n);
  }
  return found;
}

describe('scam intents are learned, not listed', () => {
  it('the shipped scam model is present and flags scams with cue spans in the original text', () => {
    assert.ok(defaultScamModel(), 'models/scam-default.bin');
    const t = '表哥，我是小峰，原来的微信登不上了。我在外面急用钱，能先打三千到我朋友的卡上吗？别跟舅妈讲';
    const r = scoreText(text, t);
    assert.ok(r.scam.isScam, String(r.scam.probability));
    const cues = new Set(r.scam.cues.map((c) => c.cue));
    for (const c of ['transfer', 'urgency', 'secrecy'] as const)
      assert.ok(cues.has(c), `${c}: ${JSON.stringify(r.scam.cues)}`);
    for (const c of r.scam.cues) assert.equal(t.slice(c.start, c.end), c.original);
    assert.ok(fraud(t).length > 0);
    const en = fraud(
      "Hey it's your nephew, lost my phone so texting from a friend's. Could you transfer $400 to this account today? please don't tell uncle",
    );
    assert.ok(en.length > 0, 'English');
  });

  it('ordinary messages about money, phones and hospitals, and holiday wishes fire no money, impersonation or prize intent', () => {
    const plain = [
      '新春快乐，万事如意，恭喜发财，红包拿来',
      '中秋节快乐，给大家发个红包，祝阖家团圆',
      '送你一张新年贺卡，打开有惊喜 https://card.example.org/y/2027',
      '妈，我手机坏了，这两天用电脑发消息',
      '昨天的饭钱我转你了，看一下',
      '老板说明天开会改到十点',
      'happy new year! red envelopes for everyone tonight',
      "I'm at the hospital visiting grandpa, he's doing much better",
      'I paid the rent already, send me your half when you can',
    ];
    for (const t of plain) {
      const r = scoreText(text, t);
      const bad = r.intents.filter(
        (h) => h.intent === 'money' || h.intent === 'impersonation' || h.intent === 'prize',
      );
      assert.deepEqual(
        bad,
        [],
        `${t}: ${JSON.stringify(bad.map((h) => h.original))} (scam ${r.scam.probability})`,
      );
    }
  });

  it('money help asked by its own verbs and by a payment app is an ask; the same words told, and a fee reported paid, are not', () => {
    const asks = (t: string) => readerAsk(t, normalize(t), 0.5);
    for (const t of [
      '您能先接济我两千吗',
      '这次你一定要支援我一下',
      '看在多年交情上拉我一把',
      '求你了，帮帮我',
      '你先帮我还一下信用卡，周五给你',
      'any chance you could venmo me 60',
      'just paypal me when you can',
      '保证金两千，交了马上放人',
      // a prepaid card's secret handed over, an advance asked for, a debt repaid for the sender, and
      // someone sent to the reader for money (set L / M's kinds, in other words)
      '帮我去便利店买三张话费卡，卡密拍给我',
      '经理，能不能先预支我三千工资',
      '你先帮我还两千五，月底给你',
      '我爸让我找你先拿一千',
      'could you process a payment of 3,200 for me today',
      'buy me two steam cards and send me a photo of the back',
      // the reader's card swiped for the sender, and money fronted (set R's kinds, in other words)
      '用你的花呗帮我刷一下，八千，月底连本带利还你',
      '帮我刷一下这个付款码，额度不够了',
      'can you front the deposit for me, 400, I will pay you back friday',
      'front me 120 till payday?',
    ])
      assert.ok(asks(t), `ask: ${t}`);
    for (const t of [
      '他们公司给灾区支援了一批物资',
      // a fee with its price that the sender then says is paid is a report, not an ask
      '儿子学费两万多，今天刚交完',
      '押金三千已经付了，周末搬进去',
      '感谢大家去年的资助，孩子考上大学了',
      '帮我还书的时候顺便借一本新的',
      'I paid him on venmo for the tickets',
      // a report of a fee paid first, a card number asked in order to repay, a code given to the reader
      '水电费账单出来了，一共三百一，我先交了',
      '你把卡号发我，我把上次的钱还你',
      '取件码我发你了，记得去拿',
      '他找你拿了那本书吗',
      '帮我还两本书给图书馆',
      '帮我还3本书',
      'the shop processed my refund already',
      // 刷 as scrolling, brushing, voting, or one's own card; "front" as a place or a cover
      '帮我刷一下票，谢谢啦',
      '我用信用卡刷了两千，积分还挺多',
      '帮我刷刷存在感哈哈',
      'the band will front the cost of the hall',
      'meet you out front at 7',
    ])
      assert.equal(asks(t), null, `no ask: ${t} -> ${JSON.stringify(asks(t))}`);
  });

  it('a one-time code, a password or an assisted verification asked of the reader is a credential ask; a code given, a warning, a Wi-Fi password are not', () => {
    const ask = (t: string) => credentialAsk(t, normalize(t))?.original;
    for (const t of [
      '我手机号停用了，验证码发到你手机上了，麻烦把6位数字告诉我一下',
      '刚才有个验证码发错到你手机了，你看下是几位数，告诉我',
      '帮我扫一下这个码，微信辅助验证，谢谢',
      '在吗，帮我点一下好友辅助验证，就一下',
      '你把收到的动态码截图发我',
      '收到验证码了吗？发我一下',
      'hey, a code just went to your phone by mistake, can you send it back to me?',
      'can you text me the 6-digit code you just got?',
      'please send me the verification code, I need it to log in',
      // the plain "code" asked first, where it went said after
      'can you send me the code that just came to your phone? it was sent to you by mistake',
      'tell me the code you got',
    ])
      assert.ok(ask(t), `credential ask: ${t}`);
    for (const t of [
      '验证码发你了，你看下',
      '验证码收到了吗？我发你了',
      '别把验证码告诉任何人',
      '不要把验证码发给任何人，包括我',
      'wifi密码是多少，告诉我一下',
      '你的取件码告诉我，我帮你拿',
      'send me the code for the wifi',
      'send me the discount code',
      "don't send anyone the code",
      '帮我点一下这个链接登录一下',
      'send me the code for the door when you get it',
      'I sent you the code that came to my phone',
    ])
      assert.equal(ask(t), undefined, `no credential ask: ${t}`);
  });

  it('who pays whom: a request to the reader is an ask; reports, offers and gifts are not', () => {
    const asks = (t: string) => readerAsk(t, normalize(t), 0.5);
    for (const t of [
      '你先转我两千，明天还你',
      '帮我给这个供应商付一笔定金',
      '把钱打到下面这个账户',
      '办理前需先交三百元工本费',
      '请提供银行卡号和验证码',
      '首充五百返一百',
      '别跟你爸说，卡号6222 0202 2589 7681',
      'could you wire me 300 today',
      'please transfer the money to my friend’s account',
      'you must pay the fine by gift card',
      'buy two gift cards and text me the codes',
      'any chance you could cover 300 for me till friday',
      'would you mind paying the invoice for me',
      'I need £700 for the embassy, please hurry',
      'your parcel needs an additional customs fee of $2',
      '哥们，对方不放人，帮我凑一下',
      '你先从公司账上给这个账户打二十万',
      '实在没办法才开口，能借多少是多少',
      'can u pay a bill for me',
      'can you western union me 800',
      'we are short 40,000 rupees for the operation, please can you help',
      'could you spare anything?',
      // the reader asked to pay on the sender's behalf, a favour or a sum asked by "do", help asked
      '你帮我把这个月的电费先交了',
      '您就帮我把剩下的尾款付了吧',
      'could you do me a big favour',
      'can you do 200 for me till friday',
      'can you help me out, the rent is due',
    ])
      assert.ok(asks(t), `ask: ${t}`);
    for (const t of [
      '饭钱我转你了，看一下',
      '我请客，下次你来',
      '你上次垫的车费我还你了',
      '快递到了，取件码是6612',
      '退款已经到账了',
      '他把房租交了',
      'got my refund today, 40 back',
      "I'll pay you back on friday",
      'the bill was 60, I covered it',
      'I need 5 minutes, start without me',
      'the form needs a passport photo',
      '我把凑的钱都交给班长了',
      '我往卡里存了两千',
      "I'm short on time today",
      'you did me a favour last week',
      // a push to another channel is the weaker ask (below)
      '加我微信详聊',
      'DM me for details',
    ])
      assert.equal(asks(t), null, `no ask: ${t} -> ${JSON.stringify(asks(t))}`);
  });

  it('a push to another channel is an ask only where the scam model is sure', () => {
    const ask = (t: string, p: number) => readerAsk(t, normalize(t), p)?.original ?? null;
    for (const [t, term] of [
      ['招人做任务，日结三百，加我微信详聊', '加我微信'],
      ['宝妈兼职一单一结，感兴趣的私我', '私我'],
      ['easy tasks paid daily, DM me for details', 'DM me'],
      ['earn 300 a day from your phone, message us on telegram', 'message us'],
      ['tasks paid daily, whatsapp us for details', 'whatsapp us'],
      ['rate hotels from your phone, message our team to start', 'message our team'],
      ['抖音点赞一天上百，有兴趣的加我', '加我'],
    ] as const) {
      assert.equal(ask(t, CONTACT_ASK_MIN), term, t);
      assert.equal(ask(t, CONTACT_ASK_MIN - 0.01), null, t);
    }
    // a payment ask in the same message is found at any probability, before the push
    assert.equal(ask('你先转我两千，加我微信', 0.41), '你先转');
  });

  it('an invitation into a scheme is a weak ask like a push to another channel; a first deposit and money still short are asks; telling the reader not to pay is not', () => {
    const ask = (t: string, p: number) => readerAsk(t, normalize(t), p)?.original ?? null;
    for (const [t, term] of [
      ['这支票下周必涨，要不要带你一起上车', '要不要带你'],
      ['老师今晚发内部消息，我拉你进来', '我拉你'],
      ['跟着导师操作，一个月翻倍', '跟着导师'],
      ['群里每天都发内部票，我把你也拉进去', '我把你也拉'],
      ['join our private signals club, members are up 30% this month', 'join our private signals club'],
      ['guaranteed 4% a day, I can show you how it works', 'I can show you'],
    ] as const) {
      assert.equal(ask(t, CONTACT_ASK_MIN), term, t);
      assert.equal(ask(t, CONTACT_ASK_MIN - 0.01), null, t);
    }
    for (const [t, term] of [
      ['the platform is legit, just start with 250 and see', 'start with 2'],
      ['the minimum deposit is only 100 USDT', 'minimum deposit'],
      ['他做手术的钱还差三万，你看能不能想想办法', '钱还差三万'],
      // a scheme's first step is a payment, and a payment that unlocks or releases something (set S's
      // kind, in other words)
      ['first tasks are free, after that begin by depositing 80 usdt', 'begin by depositing'],
      ['top up 300 to unlock the VIP orders', 'top up'],
      ['withdraw everything by depositing another 500', 'withdraw everything by depositing'],
    ] as const)
      assert.equal(ask(t, 0.41), term, t);
    for (const t of [
      // what the sender had to pay, and a first step that is not a payment
      'I had to pay 20 to unlock the next level lol',
      'start by sending me the photos of the flat',
      // what the reader once lent, told back with its repayment (set S's kind, in other words), and a
      // power bank (充电宝) is no top-up
      '你之前借我的三千，下个月一起还你',
      '你昨天借给我的充电宝我放前台了',
      '上回你垫的那两百，我晚上转你',
    ])
      assert.equal(ask(t, 0.99), null, t);
    // a past loan told back does not hide a new ask in the next clause
    assert.equal(ask('你上次借我五百，这次能再借我一千吗', 0.41), '借我');
    for (const t of [
      '公司报销了，大家先别转钱给我',
      '不用转我了，上次你请过了',
      '这个钱不要转给我，直接给班长',
    ])
      assert.equal(ask(t, 0.99), null, t);
  });

  it('money moved with 把, a fee required before a release, payment in advance and money put into an account are asks; reports and new-number notices are not', () => {
    const ask = (t: string, p: number) => readerAsk(t, normalize(t), p)?.original ?? null;
    for (const [t, term] of [
      ['验货没问题的话，先把定金转过来', '先把定金转'],
      ['你把保证金汇过去，对方就放货', '你把保证金汇'],
      ['请把尾款打到公司新账户', '请把尾款打'],
      ['a handling fee of 49 dollars is required before delivery', 'fee of 49 dollars is required'],
      ['your winnings are ready, a small charge is needed to release them', 'charge is needed'],
      ['the agent works fast but only accepts gift cards in advance', 'accepts gift cards in advance'],
      ['can you put 80 into my card tonight', 'put 80 into my card'],
    ] as const)
      assert.equal(ask(t, 0.41), term, t);
    // a contact offered is a weak ask, like a push to another channel
    assert.equal(ask('he got my savings back, want his number?', CONTACT_ASK_MIN), 'want his number');
    assert.equal(ask('he got my savings back, want his number?', CONTACT_ASK_MIN - 0.01), null);
    for (const t of [
      '我先把钱转了，你查一下',
      '我把押金付过了，钥匙在物业',
      '钱我已经把它存进银行了',
      'new phone, please update your contacts with this number',
      'the gas bill is due on friday, I paid my half',
      'we paid the deposit in advance last month',
    ])
      assert.equal(ask(t, 0.99), null, `${t} -> ${ask(t, 0.99)}`);
  });

  it('a gift or game card bought for the sender, and its code sent back, is a payment; a card of one’s own is not', () => {
    const pays = (t: string) =>
      scamCues(t, normalize(t)).some((c) => c.cue === 'transfer' || c.cue === 'payee');
    const ask = (t: string) => readerAsk(t, normalize(t), 0.5)?.original ?? null;
    for (const t of [
      'could you pick up three google play cards for me',
      'can you get a razer card and text me the pins',
      '下班路上帮我买张礼品卡，卡密拍给我',
      '顺手帮我买几张游戏卡，兑换码发我',
    ])
      assert.ok(pays(t), t);
    assert.equal(ask('can you grab two steam cards for my cousin'), 'can you grab');
    for (const t of [
      'my new bank card came today',
      '我的购物车里还有东西没结算',
      'the card game was fun last night',
    ])
      assert.ok(!pays(t), t);
  });

  it('a share of a split cost is named (AA, per person, your half); an item price and a one-off need are not', () => {
    const share = (t: string) => sharedCost(t, normalize(t));
    for (const [t, term] of [
      ['露营的装备和营地费AA吧，转我就行', 'AA'],
      ['昨晚火锅一共八百四，每人差不多两百一，微信转我', '每人差不多两百一'],
      ['景区门票你们每人转我九十', '你们每人'],
      ['酒店钱我先垫了，你看着转我', '我先垫了'],
      ['押金退了，你的那份我明天转你，油费你转我', '你的那份'],
      ['the airbnb worked out to 180 each, send it when you can', 'worked out to 180 each'],
      ['can you send your share of the taxi, 22', 'your share'],
      ["let's split the bill, paypal me 31", 'split the bill'],
      ['it was 45 per person in the end', 'per person'],
    ] as const)
      assert.equal(share(t), term, t);
    for (const t of [
      'can you grab two Apple gift cards for me, 100 each',
      '妈，我手机坏了，急需三千交房租，转到这个卡上',
      'could you lend me 200 till friday',
      '一人做事一人当',
      'I need 500 for the hospital, please send it now',
    ])
      assert.equal(share(t), undefined, t);
  });

  it(
    'held-out evaluation set and real ham stay within the targets',
    { skip: scamDataAvailable() ? false : 'datasets absent' },
    () => {
      const rows = new Map(evalScam('model', defaultScamModel()).map((r) => [r.set, r]));
      assert.ok(rows.get('acquaintance needs money')!.rate >= 0.9);
      assert.ok(rows.get('other fraud')!.rate >= 0.95);
      assert.ok(rows.get('QQ group ham (validation)')!.rate <= 0.005);
      assert.ok(rows.get('SMS ham (validation)')!.rate <= 0.01);
      // ordinary chat written for the evaluation (eval-chat.tsv; measured 0 of 195, 0 of 124, 0 of 40;
      // the model before its errand/borrow/settle negatives flagged 3, 3 and 1)
      const chatA = rows.get('ordinary chat A (its misses informed the generator)')!;
      const chatB = rows.get('ordinary chat B, written after the generator change')!;
      assert.ok(chatA.n >= 190 && chatB.n >= 120);
      assert.ok(chatA.rate <= 0.005, `chat A ${chatA.fired}`);
      // with the who-pays-whom gate: 0 of 124 (2 before); set C (eval-c.tsv) 0 of 129 (2 before)
      assert.ok(chatB.rate <= 0.005, `chat B ${chatB.fired}`);
      const chatC = rows.get('set C: ordinary chat C')!;
      assert.ok(chatC.n >= 120 && chatC.rate <= 0.005, `chat C ${chatC.fired}`);
      assert.ok(rows.get('hand-written chat (incl. holiday wishes)')!.rate <= 0.025);
      // set C (written by an earlier session) and set D (written before the issue 14 item 4 change);
      // before it: C acquaintance 11/15, C English fraud 4/10, D acquaintance 25/40, D other 25/40;
      // after the first round 34/40 and 35/40, after the second (templates-zh-more.ts, EN_ACQ2,
      // EN_MORE) 38/40 and 40/40
      const at = (k: string) => rows.get(k)!.rate;
      assert.ok(at('set C: acquaintance needs money C') >= 0.9);
      assert.ok(at('set C:   of which English fraud') >= 0.9);
      assert.ok(at('set D: acquaintance needs money D') >= 0.9);
      assert.ok(at('set D: other fraud D') >= 0.95);
      assert.ok(at('set D:   of which English (fraud)') >= 0.9);
      assert.ok(at('set D: ordinary chat D') <= 0.005);
    },
  );

  it('the generated training data stays apart from every evaluation set', () => {
    // no evaluation message is contained in a generated one, compared without case,
    // spaces and punctuation; sets C and D share no 10-character Chinese run and no 6-word English
    // run with the generated data, apart from three everyday English phrases in D
    const flat = (t: string) => t.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
    const runs = (t: string): string[] => {
      const cjk = t.replace(/[^\u3400-\u9fff]/gu, '');
      const words = t.toLowerCase().match(/[a-z']+/g) ?? [];
      const out: string[] = [];
      for (let i = 0; i + 10 <= cjk.length; i++) out.push(cjk.slice(i, i + 10));
      for (let i = 0; i + 6 <= words.length; i++) out.push(words.slice(i, i + 6).join(' '));
      return out;
    };
    // the five seeds repeat about a fifth of their texts: each distinct text is compared once
    const gen = [...new Set(SCAM_SEEDS.flatMap((seed) => generateScamData(600, seed).map((e) => e.text)))];
    // all the generated texts as one string each way (joined by NUL, which no text contains and no
    // needle below holds, so a match never spans two texts), searched once for all the evaluation
    // messages (occurring below): one search per message, and a set of every run of every generated text,
    // were 3 of this test's CPU-seconds
    assert.ok(!gen.some((g) => g.includes('\0')));
    const lower = gen.join('\0').toLowerCase();
    // flat() of each text, NUL-separated (lower-casing the joined texts lower-cases each alike)
    const genFlat = lower.replace(/[^\p{L}\p{N}\0]/gu, '');
    // each text's Chinese characters, as runs() reads them
    const genCjk = lower.replace(/[^\u3400-\u9fff\0]/gu, '');
    // each text's words as runs() reads them, between spaces (a 6-word run between spaces is a run)
    const genWords = ` ${(lower.match(/[a-z']+|\0/g) ?? []).join(' ')} `;
    const cjkRun = /^[\u3400-\u9fff]{10}$/;
    /** Which of the runs some generated text has (found in genCjk or genWords). */
    const runsInGen = (xs: string[]) => {
      const words = occurring(
        genWords,
        xs.filter((x) => !cjkRun.test(x)).map((x) => ` ${x} `),
      );
      return new Set([
        ...occurring(
          genCjk,
          xs.filter((x) => cjkRun.test(x)),
        ),
        ...[...words].map((x) => x.slice(1, -1)),
      ]);
    };
    // the searches find what is there: a generated message flattened, a part of another, and runs of both
    // kinds of generated texts
    const probe = [flat(gen[0]!), flat(gen.at(-1)!).slice(1, -1)];
    assert.equal(occurring(genFlat, probe).size, 2, 'the search finds generated texts');
    const zhRun = runs(gen.find((g) => runs(g).some((x) => cjkRun.test(x)))!).find((x) => cjkRun.test(x))!;
    const enRun = runs(gen.findLast((g) => runs(g).some((x) => !cjkRun.test(x)))!).find(
      (x) => !cjkRun.test(x),
    )!;
    assert.equal(runsInGen([zhRun, enRun]).size, 2, `the search finds runs: ${zhRun}, ${enRun}`);
    const sets = {
      eval: readScamEvalSet(),
      chat: readChatEvalSet(),
      C: readEvalSetC(),
      ...Object.fromEntries(LETTER_SETS.map((l) => [l, readLetterSet(l)])),
    };
    const contained = occurring(
      genFlat,
      Object.values(sets).flatMap((rows) => rows.map((r) => flat(r.text))),
    );
    for (const [name, rows] of Object.entries(sets))
      for (const r of rows) {
        const f = flat(r.text);
        // the index is looked up only for the failure's message
        const i = contained.has(f) ? gen.findIndex((g) => flat(g).includes(f)) : -1;
        assert.equal(i, -1, `${name}: ${r.text} ~ ${gen[i]}`);
      }
    const genRuns = runsInGen([...sets.C, ...readLetterSet('D')].flatMap((r) => runs(r.text)));
    const shared = (rows: Array<{ text: string }>) =>
      rows.filter((r) => runs(r.text).some((x) => genRuns.has(x)));
    assert.deepEqual(shared(sets.C), []);
    assert.ok(shared(readLetterSet('D')).length <= 3, JSON.stringify(shared(readLetterSet('D'))));
  });

  it(
    'training is reproducible: a fresh model is byte-identical to the shipped one',
    { skip: scamDataAvailable() ? false : 'datasets absent' },
    () => {
      // compared as bytes: a deepEqual of two differing 500 KB arrays spends minutes building its diff
      const fresh = Buffer.from(saveModel(trainScamModel()));
      const shipped = Buffer.from(saveModel(defaultScamModel()!));
      assert.ok(fresh.equals(shipped), 'the shipped scam model is stale: npm run model:build');
    },
  );
});
