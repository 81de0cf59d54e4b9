/**
 * Structure cues of a scam, with spans: who the sender claims to be, what is asked (a transfer, a
 * top-up, a fee), how urgent, what must stay secret or move to another channel, and where the money
 * should go (a new payee). They are explanation and spans; whether the message IS a scam is the
 * learned model's call (model.ts), so ordinary messages that share a cue ("我手机坏了", "转你50") do not
 * fire on their own. Patterns run on the NORMALISED text (lower case, simplified, half-width).
 */
import type { Normalized } from '../normalize.ts';
import { toOriginalSpan } from '../normalize.ts';

export type CueName = 'identity' | 'transfer' | 'urgency' | 'secrecy' | 'payee';

export interface Cue {
  cue: CueName;
  start: number;
  end: number;
  original: string;
}

const NUM = '(?:\\d[\\d,.]*|[一二两三四五六七八九十百千万]+)';
const CUES: ReadonlyArray<[CueName, RegExp]> = [
  [
    'identity',
    new RegExp(
      [
        '(?:我是|是我|这里是|这边是|我们是)[^，。！？,.!?]{0,10}?(?:公安|警|检察|法院|客服|专员|银行|老师|班主任|领导|经理|主任|总|老板|财务|同学|同事|朋友|室友|儿子|女儿|侄|外甥|表|堂|弟|妹|哥|姐|爸|妈)',
        '(?:这是我|我的)?(?:新号|新微信|新qq)',
        "(?:this is|it'?s|i'?m|hello this is|hi it'?s)\\s(?:me|your\\s\\w+|the\\s\\w+|\\w+\\s(?:support|security|department|office|unit|agent))",
        '(?:police|officer|agent|support|security team|tax office|fraud department)',
      ].join('|'),
      'gu',
    ),
  ],
  [
    'transfer',
    new RegExp(
      [
        `(?:转|打|汇|借|垫付|垫|付|充|交|缴纳|缴|存|给)(?:我|给我|过来|到|一下|个|笔)?[^，。！？,.!?]{0,6}?${NUM}\\s?(?:元|块|万|千)?`,
        '(?:转账|转到|转入|打款|汇款|借钱|借点钱|充值|手续费|保证金|解冻金|工本费|服务费|会员费|押金|定金|入会费|报名费|罚款|赔偿|退款|理赔)',
        '(?:send|transfer|wire|lend|borrow|pay|buy)\\b[^,.!?]{0,24}?(?:[£$€]\\s?\\d|\\d+\\s?(?:pounds|dollars)|gift cards?|fee|money|fine|invoice|btc)',
        '(?:fee|deposit|fine|refund)\\b',
        '(?:帮我|替我|给我)(?:付|买|充|交|垫|打)',
        '(?:额度|下款|放款|贷款|借款|返利|佣金|本金|提现)',
      ].join('|'),
      'gu',
    ),
  ],
  [
    'urgency',
    /急用|很急|着急|马上|立即|立刻|赶紧|尽快|今天之内|今天截止|越快越好|十万火急|逾期|即将|urgent(?:ly)?|asap|right now|immediately|today|before \d/gu,
  ],
  [
    'secrecy',
    /(?:别|不要|先别|千万别|不能)(?:告诉|跟[^，。]{0,4}(?:说|讲|提)|声张|打电话|挂断)|保密|私聊|加(?:我)?(?:的)?(?:微信|qq|vx|好友)|添加[^，。]{0,6}(?:qq|微信)|下载[^，。]{0,8}(?:软件|app)|屏幕共享|扫码|don'?t tell|keep (?:this|it) between|just text|install (?:this|the) app/gu,
  ],
  [
    'payee',
    /卡号|账户|账号|收款(?:码|人)?|这个卡|这张卡|卡上|安全账户|监管账户|\d{4}\s?\d{4}\s?\d{4}|account|sort code|(?:send|give) me the codes/gu,
  ],
];

/** Every cue in a message, with spans in the original text. */
export function scamCues(original: string, norm: Normalized): Cue[] {
  const out: Cue[] = [];
  const t = norm.text;
  for (const [cue, re] of CUES) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(t)) !== null) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const o = toOriginalSpan(norm, m.index, m.index + m[0].length);
      out.push({ cue, start: o.start, end: o.end, original: original.slice(o.start, o.end) });
      if (out.length >= 64) return out;
    }
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}
