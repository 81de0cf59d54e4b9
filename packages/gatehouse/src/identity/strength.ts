import { createRequire } from 'node:module';
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnEn from '@zxcvbn-ts/language-en';

/**
 * The strength estimate behind every new password (sign-up, change, recovery): zxcvbn-ts with its common
 * and English dictionaries (MIT), scored 0-4. Its feedback comes back as keys (no translations are
 * loaded); the Chinese and English texts below are ours.
 */

export interface Reason {
  code: string;
  en: string;
  zh: string;
}

const WARNINGS: Record<string, { en: string; zh: string }> = {
  straightRow: { en: 'a straight row of keys is easy to guess', zh: '键盘上连成一排的按键很容易被猜到' },
  keyPattern: { en: 'short keyboard patterns are easy to guess', zh: '简短的键盘图案很容易被猜到' },
  simpleRepeat: {
    en: 'repeated characters like "aaa" are easy to guess',
    zh: '像“aaa”这样的重复字符很容易被猜到',
  },
  extendedRepeat: {
    en: 'repeated patterns like "abcabcabc" are easy to guess',
    zh: '像“abcabcabc”这样的重复组合很容易被猜到',
  },
  sequences: {
    en: 'sequences like "abc" or "123" are easy to guess',
    zh: '像“abc”或“123”这样的顺序很容易被猜到',
  },
  recentYears: { en: 'recent years are easy to guess', zh: '最近的年份很容易被猜到' },
  dates: { en: 'dates are easy to guess', zh: '日期很容易被猜到' },
  topTen: { en: 'this is one of the ten most used passwords', zh: '这是最常用的十个密码之一' },
  topHundred: { en: 'this is one of the most used passwords', zh: '这是最常用的密码之一' },
  common: { en: 'this is a commonly used password', zh: '这是常用密码' },
  similarToCommon: { en: 'this is close to a commonly used password', zh: '这与常用密码非常相似' },
  wordByItself: { en: 'a single word is easy to guess', zh: '单个单词很容易被猜到' },
  namesByThemselves: { en: 'names on their own are easy to guess', zh: '单独的姓名很容易被猜到' },
  commonNames: { en: 'common names are easy to guess', zh: '常见的姓名很容易被猜到' },
  userInputs: { en: 'it contains your own details', zh: '包含了您自己的信息' },
  pwned: { en: 'it appeared in a data breach', zh: '它出现在数据泄露中' },
};

const SUGGESTIONS: Record<string, { en: string; zh: string }> = {
  l33t: { en: "avoid predictable swaps like '@' for 'a'", zh: '避免可预测的替换，例如用“@”代替“a”' },
  reverseWords: { en: 'avoid common words spelled backwards', zh: '避免把常见单词倒着拼写' },
  allUppercase: { en: 'capitalise some letters, not all', zh: '部分字母大写即可，不要全部大写' },
  capitalization: { en: 'capitalise more than the first letter', zh: '不要只把首字母大写' },
  dates: { en: 'avoid dates and years linked to you', zh: '避免使用与您相关的日期和年份' },
  recentYears: { en: 'avoid recent years', zh: '避免使用最近的年份' },
  associatedYears: { en: 'avoid years linked to you', zh: '避免使用与您相关的年份' },
  sequences: { en: 'avoid common sequences', zh: '避免常见的字符顺序' },
  repeated: { en: 'avoid repeated words and characters', zh: '避免重复的单词和字符' },
  longerKeyboardPattern: {
    en: 'use longer keyboard patterns that change direction',
    zh: '如用键盘图案，请更长并多次改变方向',
  },
  anotherWord: { en: 'add another, less common word', zh: '再加一个不常见的词' },
  useWords: { en: 'use several words, but not a common phrase', zh: '使用几个词，但不要用常见短语' },
  noNeed: {
    en: 'a few uncommon words are strong without symbols or digits',
    zh: '几个不常见的词组合即可，无需符号或数字',
  },
  pwned: { en: 'change it wherever else you use it', zh: '如在其他地方也用了它，请一并修改' },
};

let factory: ZxcvbnFactory | undefined;

/**
 * Built on first use: loading and ranking the dictionaries takes about half a second, and the modules
 * themselves are loaded here too (not imported at the top), so that a process that never checks a new
 * password (most CLI commands and tests) does not parse them.
 */
function estimator(): ZxcvbnFactory {
  if (factory) return factory;
  const require = createRequire(import.meta.url);
  const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof ZxcvbnCore;
  const zxcvbnCommon = require('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
  const zxcvbnEn = require('@zxcvbn-ts/language-en') as typeof ZxcvbnEn;
  factory = new Factory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    // Few l33t substitutions are tried: the full search costs tens of ms per long passphrase, and the
    // breached list and the dictionaries catch the common substituted passwords anyway.
    l33tMaxSubstitutions: 2,
    maxLength: 128,
  });
  return factory;
}

/**
 * The password's zxcvbn score (0-4) and, when it is below `minScore`, the reason with zxcvbn's warning
 * and suggestions in both languages. `userInputs` (handle, display name) count as guessable.
 */
export function estimateStrength(
  password: string,
  minScore: number,
  userInputs: string[] = [],
): { score: number; reason?: Reason; suggestions: Array<{ en: string; zh: string }> } {
  const r = estimator().check(password, userInputs);
  const suggestions = r.feedback.suggestions.map((k) => SUGGESTIONS[k]).filter((s) => s !== undefined);
  if (r.score >= minScore) return { score: r.score, suggestions };
  const w = (r.feedback.warning && WARNINGS[r.feedback.warning]) || {
    en: 'too easy to guess',
    zh: '太容易被猜到',
  };
  const more = suggestions.length
    ? {
        en: `; ${suggestions.map((s) => s.en).join('; ')}`,
        zh: `；${suggestions.map((s) => s.zh).join('；')}`,
      }
    : { en: '', zh: '' };
  return {
    score: r.score,
    suggestions,
    reason: { code: 'guessable', en: `${w.en}${more.en}`, zh: `${w.zh}${more.zh}` },
  };
}
