/**
 * Hard negatives of the scam-intent training data, zh and en (generate.ts composes them): the same
 * people, mishaps, money words and favours as the scams, asking nothing of the reader's money, or a
 * known shared cost. Data only.
 */

import type { Slot } from './templates.ts';

/** English hard negatives: favours, mishaps, bills and money talk that ask nothing of the reader's money. */
export const EN_HAM = {
  open: [
    'Hi Mum',
    'Dad',
    'Hey',
    'Hi gran',
    'Hey bro',
    'Hi love',
    'Hey mate',
    "Hi it's me",
    'Morning',
    'Hello all',
    'Hey team',
    "Hi, it's Lisa",
  ],
  mishap: [
    'my screen cracked again',
    'got a new sim, same number though',
    'the cash machine ate my card, sorted now',
    'the doctor says it is only a sprain',
    'the bank replaced my card, no drama',
    'the bus broke down, running late',
    'the boiler is fixed finally',
    'the flight is delayed two hours',
    'I got a speeding ticket, my own fault',
    'someone scratched my car at the shops',
    'my flight got delayed',
    'I got a parking ticket, annoying',
    'the police came round about the break-in next door',
    '',
  ],
  favour: [
    'can you let the plumber in',
    'can you forward me the wedding pictures',
    'could you email me the spreadsheet',
    'can you grab me from the gym later',
    'can I use your hairdryer',
    'could I borrow the ladder on sunday',
    'grab some bread if you pass the shop',
    'ring me once you are off the plane',
    'text me the postcode',
    'did the delivery come',
    'could you water the plants while I am away',
    'can you bring the speaker to the party',
    'could you send me the recipe',
    'can you share the playlist',
    'shh, the cake is a surprise for mum',
    'between you and me, I am applying for a new job',
    'I owe you for the cinema, will sort it',
    'I already paid the plumber',
    'the deposit came back from the old flat',
    'I put 20 in the kitty for the party',
    'the meal was 45 each, I covered it, pay whenever',
    'the tickets are booked and paid for',
    'dinner is my treat tonight',
    'I transferred my share of the holiday',
    'can you send me the link to the game',
    'all fine now',
    'no need to worry',
    "I'll call you tonight",
    'already sorted it',
    'paid the bill already',
    "I'll pay you back for lunch tomorrow",
  ],
};

export const EN_LATER: Slot = ['', '', 'thanks!', 'see you soon', 'love you', 'cheers', 'x'];

/**
 * Everyday favours that involve paying for something ordinary, zh and en: the reader pays a small
 * shared cost (tickets, a takeaway, parking, a household bill share) with no identity claim, distress,
 * channel change, secrecy or new payee, and usually the sender pays back. Negatives.
 */
export const FAVOUR = {
  askEn: [
    'could you pay for',
    'can you get',
    'can you grab',
    'would you book',
    'can you sort',
    'please pay',
    'could you cover',
    'can you order',
  ],
  thingEn: [
    'the pizza when it arrives',
    'the cinema tickets',
    'the car wash',
    'the window cleaner',
    'the takeaway',
    'my coffee',
    'the football subs',
    'the train tickets for saturday',
    'the shopping on the way back',
    'the babysitter tonight',
    'the plumber when he is done',
    'the round at the pub',
  ],
  backEn: [
    "I'll pay you back later",
    "I'll transfer you after",
    'the money is in the jar',
    'I will sort you out tonight',
    'cash is on the table',
    'we can settle up at the weekend',
    'my treat next time',
    'send me your details and I will pay you back',
    'put your share in the joint account when you can',
  ],
  askZh: ['你帮我', '帮我', '顺便帮我', '你先帮我', '麻烦你'],
  thingZh: [
    '买下电影票',
    '付一下外卖',
    '交下网费',
    '带杯奶茶',
    '把停车费交了',
    '买两张高铁票',
    '把水费交一下',
    '取个快递',
    '订个蛋糕',
    '买点水果',
    '交下这个月的电费',
    '给阿姨结一下工钱',
  ],
  backZh: ['回来我转你', '钱我等下给你', '晚上把钱给你', '回头算', '发票记得留着', '我们AA', '算我的', ''],
};

/**
 * Reminders to pay one's own or the household's bills to the usual payee, and offers to pay the
 * reader back, zh and en: a paying verb aimed at the reader with nothing for the sender. Negatives.
 */
export const REMIND = {
  en: [
    "don't forget to pay the {bill}",
    'remember to pay the {bill} this week',
    'the {bill} is due on friday, can you pay it from the joint account',
    'please pay the {bill} before we go away',
    'did you pay the {bill}? it is in your name',
    'the {bill} went up again, I paid it',
    'send me your bank details so I can pay you back',
    "what's your account number, I owe you for the {thing}",
    'give me your sort code and I will transfer you for the {thing}',
    'I will send you my share of the {bill}',
    'you still owe me for the {thing}, no rush',
    'can you pay me back for the {thing} when you get a sec',
    'send me your half of the {bill} when you can',
    'Venmo me for the {thing} whenever',
    'pocket money day, can you transfer mine',
  ],
  bill: [
    'council tax',
    'water bill',
    'internet',
    'car insurance',
    'TV licence',
    'phone contract',
    'gym membership',
    'electric',
    'school dinners',
    'nursery fees',
  ],
  thing: ['tickets', 'dinner', 'the hotel', 'the flowers', 'the petrol', 'the present'],
  zh: [
    '记得交{bill}',
    '这周{bill}要交了，你用家里那张卡交一下',
    '{bill}是你名下的，别忘了交',
    '{bill}我交过了，不用管',
    '把你卡号发我，{thing}的钱我转你',
    '我把{thing}的钱转你，收款码发一下',
    '{bill}该续了，你在app上弄一下',
    '上次{thing}的钱什么时候还我呀',
    '你借的那笔钱该还我了，我这个月也紧',
    '{thing}的钱转我就行，不着急',
    '{bill}你那一半记得转我',
    '妈，这周的生活费还没到，你看一下',
  ],
  billZh: ['水费', '物业费', '宽带费', '车险', '孩子的餐费', '燃气费', '话费', '幼儿园学费', '医保'],
  thingZh: ['门票', '饭', '酒店', '油费', '礼物', '蛋糕'],
};

/** Small everyday loans between friends, for a mundane reason, paid back soon (zh, en). Negatives. */
export const SMALL_LOAN = {
  askZh: ['借我', '能借我', '先借我', '你先借我', '帮我垫'],
  amtZh: ['二十', '五十块', '一百', '两百', '三十块', '十块钱', '八十'],
  whyZh: [
    '饭卡丢了',
    '没带钱包',
    '这个月超支了',
    '买个早饭',
    '打个车',
    '手机没电付不了',
    '食堂只收现金',
    '忘带卡了',
  ],
  backZh: ['明天还你', '下午还你', '回宿舍转你', '发工资还', '晚上还', '回头请你喝奶茶'],
  askEn: ['can I borrow', 'could you lend me', 'spot me', 'any chance of', 'can you cover me for'],
  amtEn: ['a fiver', '10 quid', '20 bucks', 'a tenner', '15', 'a few quid'],
  whyEn: [
    'left my wallet at home',
    'for the vending machine',
    'for lunch',
    'for the bus',
    'the canteen is cash only',
    'my phone is dead so no apple pay',
  ],
  backEn: ['back tomorrow', "I'll pay you at lunch", 'will transfer it tonight', 'cheers', 'owe you one'],
};

/**
 * Someone in a group collects a shared cost (a dinner split, a class fund, a group gift, a group
 * buy, a wedding gift pool): "transfer me" asked of many, for a known shared purpose. Negatives.
 */
export const COLLECT = {
  zh: [
    '昨晚聚餐一共{c}，每人{s}，大家转我一下',
    '{who}的份子钱统一交给我，每人{s}',
    '团购的{thing}到了，每份{s}，微信转我就行',
    '给老师买礼物，每人{s}，转我，我统一买',
    '下周团建费用AA，每人{s}，群收款发了',
    '这次包车一人{s}，钱转我，我来付给司机',
    '球队这个月场地费每人{s}，转给我就好',
    '宿舍电费一共{c}，四个人平分，一人{s}转我',
  ],
  who: ['小王结婚', '张姐生孩子', '老李搬新家', '主任退休'],
  thing: ['水果', '大米', '月饼', '车厘子', '口罩'],
  s: ['二十', '五十', '八十', '一百', '120', '35', '两百'],
  c: ['六百四', '八百', '1280', '三百二', '960'],
  en: [
    'dinner came to {c}, that is {s} each, send it to me when you can',
    "we're getting Sarah a leaving gift, {s} each, transfer me and I'll order it",
    'tickets are {s} each, Venmo me and I will book them for everyone',
    'the minibus is {s} per person, pay me and I will settle with the driver',
    'team kitty for the season is {s}, pay me at training',
    'house bills this month: {s} each, same account as always',
    'the group order is in, {s} each, PayPal me',
  ],
  sEn: ['12', '15', '20', '25', '30', '£18', '$40'],
  cEn: ['160', '240', '£96', '$180'],
};

/** Negatives: real notices, ordinary purchases, travel, couples' and reconnecting chat (en). */
export const EN_HAM_MORE: Slot = [
  'my love, landed safely, see you at 6',
  'darling I miss you, call tonight?',
  'the puppy is adorable, we pick him up saturday',
  'is it still available? I can collect tomorrow with cash',
  'I booked the flights, paid already',
  'wallet got stolen on holiday, cancelled my cards, all fine now',
  'bitcoin is up again lol',
  'your verification code is {c}, do not share it',
  'Your parcel was delivered to your safe place',
  'your appointment is confirmed for tuesday at 10',
  'your bill is ready to view in the app',
  'long time no see! are you coming to the reunion?',
  'hey stranger, it has been ages, coffee next week?',
  'remember me from college? saw your post, congrats on the job',
  'stuck at the station, train delayed, home late',
  'the hotel was lovely, back on sunday',
  'missed my flight but they put me on the next one, no stress',
  'my card did not work abroad so I used cash, sorted',
  'sold the bike on marketplace, buyer paid cash',
  'the landlord returned the deposit today',
  'honey, grab some eggs if you are passing the shop',
  'we are finally visiting you in may!',
  'dad is in hospital for tests, I will be off work this week',
  'got laid off today, updating my CV tonight',
  'money is tight this month so I will skip the trip',
  'the hospital bill was mostly covered by insurance, phew',
];

/**
 * Negatives: the sender's own money moved between their own accounts or paid off (a report, nobody
 * asked), and a sender who cannot talk now and says where to reach them (zh, en).
 */
export const OWN_MONEY = {
  en: [
    'I moved {b} into my savings, finally',
    'paid off the credit card this month',
    'transferred my wages into the ISA',
    'switched my current account to a new bank',
    'put some money aside for the holiday',
    'topped up my travel card for the trip',
    'cleared the overdraft at last',
    'set up a standing order for the gym',
    'my salary went into the joint account',
    'opened a savings pot for the wedding',
  ],
  zh: [
    '我把工资转到余额宝了',
    '存了一笔定期',
    '信用卡终于还清了',
    '把钱都存到另一张卡里了',
    '给自己手机充了{n}话费',
    '房贷这个月提前还了一部分',
    '我开了个新账户专门存钱',
    '年终奖到账了，先存起来',
  ],
  busyEn: [
    "in a meeting, text me and I'll reply",
    "can't talk now, driving, call you later",
    'phone on silent, message me',
    "in class, don't call, I'll text after",
    'at the dentist, message me instead',
    'battery nearly dead, email me if urgent',
  ],
  busyZh: [
    '在开会，有事发微信',
    '在上课，晚点回电话',
    '手机快没电了，有事发消息',
    '我在开车，别打了，到了回你',
    '在开会不方便接，等下打给你',
    '在医院排队，有事留言',
    '信号不好，微信上说吧',
  ],
};
