/**
 * Training data we write for the scam-intent model, declared as generated: seeded template
 * composition (slots for who is claimed, why, what is asked, how urgent, what to hide, where to pay).
 * It is used only for training; the evaluation set (`eval.tsv`, hand-written separately, never read
 * here) stays apart. Negatives include the hard cases: holiday and red-packet wishes, e-cards, friends
 * settling a bill, family chat that mentions phones, hospitals and money without asking for any.
 */

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

type Slot = readonly string[];

const ZH = {
  kin: [
    '妈',
    '爸',
    '老妈',
    '老爸',
    '哥',
    '姐',
    '舅舅',
    '小姨',
    '姑姑',
    '表哥',
    '堂妹',
    '叔叔',
    '奶奶',
    '外公',
    '老婆',
    '老公',
    '宝贝',
    '亲爱的',
  ],
  friend: ['老同学', '兄弟', '哥们', '姐妹', '老乡', '室友', '老朋友', '发小'],
  boss: ['王总', '李总', '刘经理', '陈主任', '张局', '赵老板', '领导', '董事长', '财务主管'],
  whoKin: [
    '我是你儿子',
    '我是你女儿',
    '我是你侄子',
    '是我，你外甥',
    '我是小明',
    '我是你表妹',
    '是我啊',
    '我是你弟',
  ],
  whoFriend: [
    '我是你初中同学小李',
    '我是以前的同事阿强',
    '我是老周',
    '我是你高中同桌',
    '我是健身房认识的小王',
  ],
  why: [
    '手机坏了',
    '手机丢了',
    '手机被偷了',
    '号被盗了',
    '在医院',
    '出车祸了',
    '被车撞了',
    '在派出所',
    '钱包丢了',
    '卡被冻结了',
    '在国外',
    '出差在外地',
    '生病住院了',
    '被人骗了',
    '在开会',
    '打不了电话',
  ],
  newNum: ['这是我新号', '换号了', '用朋友手机发的', '这是我新微信', '原来的号不用了', '先加我这个号'],
  ask: [
    '转我{n}',
    '先转{n}给我',
    '借我{n}',
    '打{n}到这个卡上',
    '帮我垫付{n}',
    '微信转我{n}',
    '帮我充{n}话费',
    '帮我付一下{n}的款',
    '先打{n}过来',
    '把{n}转到我同事卡上',
    '支付宝转我{n}',
    '帮我买{n}的充值卡',
    '能不能转我{n}',
    '你方便先借{n}给我吗',
    '可以帮我付个款吗',
    '现在能打点钱给我吗',
    '帮我交一下{n}',
    '你那有{n}吗先给我用',
    '能帮忙转一笔吗',
    '先帮我把钱付了',
    '借点钱周转一下',
    '帮我代付一下',
  ],
  amt: ['500', '800', '1000', '两千', '3000', '五千', '8000', '一万', '2万', '1500', '三千块', '6800'],
  urgent: ['急用', '很急', '马上', '赶紧', '现在就要', '今天之内', '快点', '十万火急', '越快越好', '等着用'],
  secret: ['别告诉爸', '别跟妈说', '先别告诉别人', '这事保密', '不要打电话问', '别声张', '不要跟家里人讲'],
  payee: [
    '卡号6222 0202 {d}',
    '收款人王某，卡号6228 48{d}',
    '账号发你了',
    '打到这个账户',
    '对方账户信息我发你',
    '收款码在这',
  ],
  later: ['明天还你', '回头就还', '周末还你', '到时候还', '晚点解释', '下周一准还'],
  police: [
    '我是市公安局民警',
    '这里是刑侦支队',
    '我是反诈中心的',
    '我是派出所李警官',
    '这里是检察院',
    '我是经侦大队的',
    '这边是网安部门',
    '法院执行庭通知',
  ],
  crime: [
    '你涉嫌洗钱',
    '你的身份证被冒用',
    '你名下银行卡涉嫌诈骗',
    '你的快递查出违禁品',
    '你涉嫌非法集资',
    '你的账户卷入一宗案件',
    '你有未处理的传票',
  ],
  order: [
    '把资金转到安全账户',
    '配合资金核查',
    '把钱转入监管账户',
    '下载会议软件做笔录',
    '提供银行卡和验证码',
    '缴纳保证金',
    '立即配合调查',
  ],
  service: [
    '淘宝客服',
    '京东客服',
    '支付宝客服',
    '银行客服',
    '快递理赔专员',
    '抖音客服',
    '航空公司客服',
    '游戏客服',
    '拼多多客服',
    '腾讯客服',
    '美团客服',
  ],
  issue: [
    '你的订单异常',
    '商品质量有问题要给你退款',
    '你误开通了会员',
    '你开通了百万保障',
    '你的包裹丢失要理赔',
    '你的账号违规要冻结',
    '你的花呗需要注销',
    '航班取消需要改签',
    '学生账户要注销',
  ],
  fix: [
    '添加客服QQ办理',
    '扫码联系理赔专员',
    '开启屏幕共享',
    '按提示操作关闭扣费',
    '提供验证码核实身份',
    '先交手续费',
    '下载指定app处理',
    '点击链接填写银行卡',
  ],
  loan: [
    '无抵押贷款',
    '低息借款',
    '秒批秒到',
    '黑户也能下款',
    '不看征信',
    '额度五万',
    '当天放款',
    '大学生分期',
    '信用贷款',
  ],
  loanFee: ['先交工本费', '需要解冻金', '先付会员费', '缴纳保证金', '交一笔服务费', '先充值激活额度'],
  other: [
    '兼职刷单日结',
    '带你投资稳赚',
    '跟老师炒币翻倍',
    '内部消息股票必涨',
    '点赞赚钱',
    '游戏装备低价出',
    '代练包上分',
    '免费领手机只付邮费',
    '恭喜你抽中大奖',
    '你被抽为幸运观众',
    '高薪招聘打字员',
    '你有一笔补贴待领取',
    '积分即将清零可兑换现金',
  ],
  otherFee: [
    '先垫付本金',
    '入会费888',
    '先交押金',
    '先付定金',
    '交个报名费',
    '先充值',
    '只需支付邮费',
    '先交个人所得税',
    '缴纳公证费后发放',
    '先付培训费',
    '填写银行卡领取',
  ],
};

const EN = {
  who: [
    "Hi Mum it's me",
    "Dad it's me",
    "Hey it's your son",
    "Hi gran, it's your grandson",
    "Hi it's me",
    'Hello this is your boss',
    "Hey it's Tom from work",
  ],
  why: [
    'I broke my phone',
    'this is my new number',
    'I lost my wallet',
    "I'm stuck abroad",
    "I'm in hospital",
    'my card got blocked',
    "I'm in a meeting and can't call",
    'my bank app is locked',
  ],
  ask: [
    'can you send me {m}',
    'please transfer {m} to this account',
    'I need to borrow {m}',
    'could you pay this invoice of {m}',
    'buy {m} of gift cards and send me the codes',
    'wire {m} today',
    'lend me {m}',
  ],
  m: ['£300', '$500', '£1,200', '$250', '€800', '$2,000'],
  urgent: ['urgently', 'right now', 'today please', "it's urgent", 'asap', 'before 5pm'],
  secret: ["don't tell anyone", 'keep this between us', "don't call, just text", 'please don’t tell dad'],
  police: [
    'This is the police',
    'Fraud department here',
    'This is the tax office',
    'Federal agent speaking',
    'This is your bank security team',
  ],
  order: [
    'move your savings to a safe account',
    'pay the fine in gift cards',
    'confirm your card number and code',
    'install this app so we can help',
    'verify your account at the link',
  ],
  service: [
    'Amazon support',
    'PayPal security',
    'Netflix billing',
    'Apple support',
    'Microsoft technical support',
    'your courier',
  ],
  issue: [
    'a suspicious charge of $899',
    'your account will be closed',
    'your payment failed',
    'a refund is waiting',
    'your parcel is on hold',
  ],
  loan: [
    'Instant loan approved',
    'Get $5000 today with no credit check',
    'Bad credit? Borrow now',
    'Pre-approved cash advance',
  ],
  fee: [
    'just pay a small fee first',
    'pay the $99 processing fee',
    'send the activation fee',
    'a deposit is required',
  ],
  bait: [
    'You have been selected for a free iPhone',
    'Work from home and earn $600 a day',
    'Your package could not be delivered',
    'You won a holiday voucher',
    'Investment opportunity with 40% monthly returns',
    'A lawsuit has been filed against you',
    'Your tax refund is ready',
    'There is a warrant in your name',
  ],
  feeAsk: [
    'pay the shipping fee to claim it',
    'pay a registration fee to start',
    'pay the redelivery charge',
    'send a processing fee',
    'deposit $200 to unlock your earnings',
    'settle it today with gift cards',
    'pay the release fee',
  ],
};

const HAM_ZH: Slot = [
  '新年快乐，恭喜发财，红包拿来{x}',
  '祝大家春节快乐，万事如意{x}',
  '中秋快乐，月饼吃了吗{x}',
  '送你一张贺卡，打开看看有惊喜{x}',
  '元旦快乐，新的一年一起加油{x}',
  '生日快乐，给你发个红包{x}',
  '群里发红包啦，手慢无{x}',
  '恭喜恭喜，升职加薪{x}',
  '端午安康，记得吃粽子{x}',
  '妈，我到家了{x}',
  '爸，周末我回去吃饭{x}',
  '我手机坏了，明天去修{x}',
  '我在医院看牙，晚点回你{x}',
  '上次聚餐我垫付的钱你转我就行，不急{x}',
  '房租我转给房东了{x}',
  '我给你转了50，奶茶钱{x}',
  '借我一下你的充电器{x}',
  '你的书什么时候还我{x}',
  '老板说下午开会{x}',
  '领导让我们明天交报告{x}',
  '客服说明天发货{x}',
  '今天发工资了，请你吃饭{x}',
  '警察来学校讲防骗知识了{x}',
  '我换了新手机，拍照很清楚{x}',
  '周末去爬山吗{x}',
  '这个游戏好玩，一起开黑{x}',
  '哈哈笑死我了{x}',
  '明天几点出发{x}',
  '快递到了帮我拿一下{x}',
  '晚上吃什么{x}',
  '你看群公告了吗{x}',
  '兄弟，晚上打球不{x}',
  '恭喜你考过了{x}',
  '外面下雨了，记得带伞{x}',
  '舅舅明天来我们家{x}',
  '我用信用卡付的，下个月还{x}',
  '支付宝余额不够了，我用微信付{x}',
  '这个月的账单出来了，有点多{x}',
  '银行排队好久，终于办完了{x}',
  '我把工资存到银行卡里了{x}',
  '刷卡还是扫码都行{x}',
  '这家店只能现金支付{x}',
  '卡里没钱了，月底再买吧{x}',
  '电费我交过了{x}',
  '你先付，回头我们再算{x}',
];
const HAM_EN: Slot = [
  'Happy new year everyone{x}',
  'Merry Christmas and a happy new year{x}',
  'Happy birthday! have a great day{x}',
  "I'll pay you back for lunch tomorrow{x}",
  'can I borrow your umbrella{x}',
  'my phone is broken, message me on email{x}',
  "I'm at the hospital visiting grandma, call you later{x}",
  'the boss moved the meeting to 3pm{x}',
  'did you get my parcel{x}',
  'see you at the station{x}',
  'thanks for the gift card, love it{x}',
  'Eid Mubarak my friend{x}',
  'Happy Diwali to you all{x}',
  'rent is paid, you can send me your half whenever{x}',
];
const ERRAND = {
  who: [
    '刚给客服打了电话',
    '我问了银行',
    '去了趟派出所',
    '在医院排队',
    '营业厅的人说',
    '物业那边回复了',
    '学校老师说',
    '快递公司说',
    '车管所说',
    '社区工作人员说',
    '保险公司打电话来',
    '我在网上问了客服',
  ],
  did: [
    '办证要先预约',
    '退款三个工作日到账',
    '补卡要带身份证',
    '材料交齐了',
    '已经登记好了',
    '号排到下午了',
    '理赔要等审核',
    '明天就能处理',
    '手续费免了',
    '要本人去一趟',
  ],
  then: ['我约了下周一', '到时候我去拿', '不用我们操心', '你不用管了', '我晚点再问问', '下班顺路办', ''],
};
const BORROW = {
  ask: ['借我用一下', '能借我', '借我看看', '把你的', '帮我带一下', '先借我'],
  thing: [
    '充电宝',
    '雨伞',
    '笔记',
    '自行车',
    '相机',
    '梯子',
    '耳机',
    '那本书',
    '充电线',
    '电钻',
    '你的车',
    '行李箱',
  ],
  back: ['，用完就还', '吗', '，谢啦', '，马上还你'],
};
const ERRAND_EN = {
  who: [
    'I called customer service',
    'the bank told me',
    'I went to the police station',
    'the hospital said',
    'the school office said',
    'the landlord said',
    'the insurance company called',
  ],
  did: [
    'the refund takes three working days',
    'I need my ID to renew it',
    'the form is all done',
    'they sorted it out',
    'the appointment is on Monday',
    'the new card is in the post',
  ],
  then: ["so we're fine", 'nothing to do for now', "I'll pick it up later", 'no need to call them'],
};
const SETTLE_EN: Slot = [
  "I'll sort the bill, pay me back whenever",
  "let's split it later",
  'lunch is on me',
  'got your transfer, thanks',
  'I already paid for the tickets',
];
const TAIL: Slot = ['', '', '', '！', '～', ' 😂', '哈哈', '。', ' 🎉', '!!'];

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
