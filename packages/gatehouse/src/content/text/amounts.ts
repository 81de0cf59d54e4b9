/**
 * Sums of money in a normalised message, as one number: the largest amount it names (0 when none).
 * A feature of the text and scam models (features.ts `amount:*`): "lend me a fiver for lunch" and
 * "lend me 300 quid" share their words and differ in what is at stake. Pure and allocation-light.
 *
 * An amount is a number that money is around: a currency sign before it (`$250`, `￥800`), a money
 * unit after it (`300 quid`, `五十块`, `2k`, `两万`), or a bare number right after a money word
 * (`lend me 400`, `差三千`, `need 700 tonight`) that is not a time, date, count or measure (`3pm`,
 * `28th`, `三百六十五天`). Phone numbers and card numbers (7+ digits) are not amounts.
 */

const CN_DIGIT: Record<string, number> = {
  零: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
  〇: 0,
  // the financial forms written on cheques and receipts (and by scripts that dodge digit matching)
  壹: 1,
  贰: 2,
  貳: 2,
  叁: 3,
  參: 3,
  肆: 4,
  伍: 5,
  陆: 6,
  陸: 6,
  柒: 7,
  捌: 8,
  玖: 9,
};
const CN_UNIT: Record<string, number> = { 十: 10, 拾: 10, 百: 100, 佰: 100, 千: 1000, 仟: 1000 };

/**
 * The value of a Chinese numeral (一万二 = 12,000, 两千五 = 2,500, 十五 = 15, 三百 = 300); NaN when it is
 * not one. A digit after a unit is a tenth of that unit (一千五 = 1,500), as people say sums.
 */
export function chineseNumeral(s: string): number {
  let total = 0;
  let section = 0;
  let digit = -1;
  let lastUnit = 0;
  for (const ch of s) {
    const d = CN_DIGIT[ch];
    if (d !== undefined) {
      if (digit >= 0 && d !== 0) return NaN; // 二三: not a numeral
      digit = d;
      continue;
    }
    const u = CN_UNIT[ch];
    if (u !== undefined) {
      section += (digit < 0 ? 1 : digit) * u;
      digit = -1;
      lastUnit = u;
      continue;
    }
    if (ch === '万' || ch === '萬' || ch === '亿') {
      const big = ch === '亿' ? 100_000_000 : 10_000;
      section += digit > 0 ? digit : 0;
      total += (section === 0 ? 1 : section) * big;
      section = 0;
      digit = -1;
      lastUnit = big;
      continue;
    }
    return NaN;
  }
  if (digit > 0) section += lastUnit >= 10 ? digit * (lastUnit / 10) : digit;
  return total + section;
}

// money words a bare number may follow closely (lend me 400, 差三千, 要赔两万, owe them 1500)
const MONEY_BEFORE =
  /(?:lend|borrow|send|need|owe|pay|transfer|wire|spot|cover|short|spare|deposit|fee|fine|rent|bail|借|转|打|差|欠|赔|凑|交|付|垫|还|汇|充|存|费|金|款|钱|要)\S{0,3}\s?(?:\S+\s)?$/iu;
// money words a bare number may come right before (I'm 400 short, 700 to my new account)
const MONEY_AFTER =
  /^\s?(?:short|owed|due|upfront|in cash|to (?:my|this|the|his|her|your) (?:\w+ )?(?:account|card)|for (?:the|a|my) (?:\w+ )?(?:deposit|fee|fine|rent|bill))/iu;
// what makes a bare number a time, date, count or measure
const NOT_MONEY_AFTER =
  /^\s?(?:am\b|pm\b|th\b|st\b|nd\b|rd\b|%|:|：|点|号|日|月|年|岁|分|秒|个|次|天|周|人|位|名|条|张|本|件|台|家|斤|米|公|小时|倍|遍|页|楼|层|路|期|min|hours?\b|hrs?\b|days?\b|weeks?\b|months?\b|years?\b|people|times|miles|km|kg)/iu;
// a money unit after a number (300 quid, 五十块, 2,000 cash), checked at the number's end
const UNIT_AFTER =
  /^\s?(?:元|块|rmb|usd|usdt|cny|eur|gbp|hkd|yuan|刀|美金|港币|港元|quid|bucks|dollars?|pounds?|euros?|rupees?|baht|pesos?|ringgit|cash)/iu;
// a currency's code or name before a number (RMB 500, usd 1,200, 人民币三千 is read by the Chinese branch)
const CODE_BEFORE = /(?:rmb|usd|usdt|cny|eur|gbp|hkd|aud|cad|sgd|inr|php|myr)\s?$/iu;
const CURRENCY = new Set(['£', '$', '€', '¥', '￥', '₹']);

/** The largest sum of money named in a normalised text (lower-cased, as normalize() gives it); 0 if none. */
export function largestAmount(t: string): number {
  // one pass over the text: numbers are parsed by hand, and the context patterns run only for the
  // few numbers that carry no sign or unit of their own (the scorer calls this for every message)
  let best = 0;
  const n = t.length;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      const start = i;
      let v = 0;
      let digits = 0;
      let j = i;
      while (j < n) {
        const d = t.charCodeAt(j);
        if ((d >= 0x30 && d <= 0x39) || (d === 0x3007 && digits > 0)) {
          // 〇 among digits is a zero (15〇〇)
          v = v * 10 + (d === 0x3007 ? 0 : d - 0x30);
          digits++;
          j++;
        } else if (d === 0x2c && digits > 0 && digits <= 3 && isThousands(t, j)) j++;
        else break;
      }
      let decimals = false;
      if (t.charCodeAt(j) === 0x2e && isDigitAt(t, j + 1)) {
        decimals = true;
        j++;
        while (isDigitAt(t, j)) j++;
      }
      i = j - 1;
      // a card, phone or order number (letters before a number are kept: normalisation glues "i'm 400")
      if (digits > 6) continue;
      let k = j;
      if (t.charCodeAt(k) === 0x20) k++;
      const m = t[k];
      let mag = 1;
      if ((m === 'k' || m === 'w') && !isWordChar(t.charCodeAt(k + 1))) mag = m === 'k' ? 1000 : 10_000;
      else if (m === '万') mag = 10_000;
      else if (m === '千') mag = 1000;
      else if (m === '百') mag = 100;
      else if (isWordChar(t.charCodeAt(j))) continue; // 3pm, 28th, 4g
      const end = mag > 1 ? k + 1 : j;
      const value = v * mag;
      if (value <= best) continue;
      const sign =
        CURRENCY.has(t[start - 1]!) ||
        (t[start - 1] === ' ' && CURRENCY.has(t[start - 2]!)) ||
        CODE_BEFORE.test(t.slice(Math.max(0, start - 5), start));
      const tail = t.slice(end, end + 8);
      const money =
        sign ||
        mag > 1 ||
        UNIT_AFTER.test(tail) ||
        ((MONEY_BEFORE.test(t.slice(Math.max(0, start - 14), start)) || MONEY_AFTER.test(tail)) &&
          !NOT_MONEY_AFTER.test(tail) &&
          !(value >= 1900 && value <= 2100 && !decimals));
      if (money) best = value;
    } else if (c >= 0x4e00 && CN_START.has(c)) {
      // a Chinese numeral starts with a digit (万一 and 千万 are words, not sums)
      let j = i + 1;
      while (j < n && CN_NUMERAL.has(t.charCodeAt(j))) j++;
      const numeral = t.slice(i, j);
      const start = i;
      i = j - 1;
      const magnitude = j - start > 1 && MAGNITUDE_CHAR.test(numeral);
      const unit = t[j] === '块' || t[j] === '元';
      const v = chineseNumeral(numeral);
      // a lone small numeral is a count more often than a sum (借一下, 要两个)
      if (!Number.isFinite(v) || v <= best || (!unit && !magnitude && v < 10)) continue;
      const tail = t.slice(j, j + 4);
      const money =
        unit ||
        ((magnitude || MONEY_BEFORE.test(t.slice(Math.max(0, start - 6), start))) &&
          !NOT_MONEY_AFTER.test(tail));
      if (money) best = v;
    }
  }
  return best;
}

function isDigitAt(t: string, i: number): boolean {
  const d = t.charCodeAt(i);
  return d >= 0x30 && d <= 0x39;
}

/** A comma at `i` that separates thousands: three digits follow, then no digit. */
function isThousands(t: string, i: number): boolean {
  return isDigitAt(t, i + 1) && isDigitAt(t, i + 2) && isDigitAt(t, i + 3) && !isDigitAt(t, i + 4);
}

function isWordChar(d: number): boolean {
  return (d >= 0x61 && d <= 0x7a) || (d >= 0x41 && d <= 0x5a) || (d >= 0x30 && d <= 0x39);
}

const codes = (s: string) => new Set(Array.from(s, (ch) => ch.codePointAt(0)!));
const CN_START = codes('一二两三四五六七八九十壹贰貳叁參肆伍陆陸柒捌玖拾');
const CN_NUMERAL = codes('零〇一二两三四五六七八九十百千万亿壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬');
const MAGNITUDE_CHAR = /[百千万亿佰仟萬]/u;

/** The bucket of an amount, as the models see it: none, under 200, 200–999, 1,000 and more. */
export function amountBucket(v: number): 0 | 1 | 2 | 3 {
  return v <= 0 ? 0 : v < 200 ? 1 : v < 1000 ? 2 : 3;
}
