import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyStep, normalize, toOriginalSpan } from './normalize.ts';

describe('normalisation steps, one by one', () => {
  it('nfkc: compatibility forms', () => {
    assert.equal(applyStep('nfkc', '𝐀𝐆 ℨ ﬁ'), 'AG Z fi');
    assert.equal(applyStep('nfkc', '①②③'), '123');
    assert.equal(applyStep('nfkc', 'plain 中文'), 'plain 中文');
  });

  it('halfwidth: full-width ASCII, ideographic space, CJK punctuation', () => {
    assert.equal(applyStep('halfwidth', 'ＱＱ：１２３'), 'QQ:123');
    assert.equal(applyStep('halfwidth', '你好\u3000世界。【广告】'), '你好 世界.[广告]');
  });

  it('invisible: zero-width, BOM, combining marks dropped; decorations become one separator', () => {
    assert.equal(applyStep('invisible', 'h\u200be\u200dl\ufeffl\u2060o'), 'hello');
    assert.equal(applyStep('invisible', '加꯭微꯭信꯭'), '加微信');
    assert.equal(applyStep('invisible', 'z̷a̰l͟g͇o'), 'zalgo');
    assert.equal(applyStep('invisible', '约❤❤❤炮'), '约•炮');
    assert.equal(applyStep('invisible', '  a \t\n b  '), 'a b');
    assert.equal(applyStep('invisible', '🎉赢🎉'), '赢');
  });

  it('confusables: TR39 skeleton to ASCII and lower case, CJK untouched', () => {
    assert.equal(applyStep('confusables', 'СΕХ'), 'cex'); // Cyrillic С, Greek Ε, Cyrillic Х
    assert.equal(applyStep('confusables', 'Ρаура\u04c0'), 'paypal'); // Greek Ρ, Cyrillic а/у/р/Ӏ
    assert.equal(applyStep('confusables', 'ł'), 'l');
    assert.equal(applyStep('confusables', '一二三 ABC'), '一二三 abc');
  });

  it('t2s: traditional to simplified', () => {
    assert.equal(applyStep('t2s', '麥當勞發號碼，請聯繫'), '麦当劳发号码，请联系');
    assert.equal(applyStep('t2s', '简体不变'), '简体不变');
  });

  it('numerals: circled digits always, Chinese numerals only in runs of five or more', () => {
    assert.equal(applyStep('numerals', '❶❸❽⓵⓶'), '13812');
    assert.equal(applyStep('numerals', '扣扣一二三四五六七'), '扣扣1234567');
    assert.equal(applyStep('numerals', '壹叁捌 幺贰叁肆伍'), '138 12345');
    assert.equal(applyStep('numerals', '一个人三五成群'), '一个人三五成群');
    assert.equal(applyStep('numerals', '电话13八一二三四五六七八'), '电话13812345678');
  });

  it('collapse: spaced-out letters, characters and phone groups', () => {
    assert.equal(applyStep('collapse', '加 薇 信'), '加薇信');
    assert.equal(applyStep('collapse', 'v•x'), 'vx');
    assert.equal(applyStep('collapse', 'q.q'), 'qq');
    assert.equal(applyStep('collapse', '138-1234-5678'), '13812345678');
    assert.equal(applyStep('collapse', 'i am a boy'), 'i am a boy');
    assert.equal(applyStep('collapse', '好，我来'), '好，我来');
    assert.equal(applyStep('collapse', 'h k x594 卖'), 'hkx594 卖');
    assert.equal(applyStep('collapse', 'i am a b2b seller'), 'i am a b2b seller');
  });
});

describe('normalize pipeline', () => {
  it('unmasks the evasions seen in the data', () => {
    assert.equal(normalize('加 薇 信').text, '加薇信');
    assert.equal(normalize('V❤X').text, 'vx');
    assert.equal(normalize('q.q').text, 'qq');
    assert.equal(normalize('扣扣：①②③④⑤⑥').text, '扣扣:123456');
    assert.equal(normalize('ＡＧ真人視訊，彩金免費送').text, 'ag真人视讯,彩金免费送');
    assert.equal(normalize('𝘈𝘎 官網 ⑴⑶⑻').text, 'ag 官网 (138)');
    assert.equal(normalize('\ufeff染 FTA678 买').text, '染 fta678 买');
    assert.equal(normalize('巧-麦饼-喂心  C₳D571').text, '巧-麦饼-喂心 cad571');
    assert.equal(normalize('篇加企鹅 2048 7832ᚰ').text, '篇加企鹅 20487832');
    assert.equal(normalize('价格 ¥100 $5').text, '价格 ¥100 $5');
  });

  it('counts what it changed', () => {
    const n = normalize('加\u200b薇❤信 СΕХ 麥');
    assert.equal(n.stats.invisible, 1);
    assert.equal(n.stats.decorative, 1);
    assert.equal(n.stats.confusables, 3);
    assert.equal(n.stats.t2s, 1);
  });

  it('keeps a map back to the original offsets', () => {
    const original = 'hi 加 ❤ 薇 ❤ 信 ok';
    const n = normalize(original);
    assert.equal(n.text, 'hi 加薇信 ok');
    const at = n.text.indexOf('加薇信');
    const o = toOriginalSpan(n, at, at + 3);
    assert.equal(original.slice(o.start, o.end), '加 ❤ 薇 ❤ 信');
    assert.equal(n.starts.length, n.text.length);
  });

  it('maps astral characters and expansions', () => {
    const original = 'x𝐕𝐗y';
    const n = normalize(original);
    assert.equal(n.text, 'xvxy');
    const o = toOriginalSpan(n, 1, 3);
    assert.equal(original.slice(o.start, o.end), '𝐕𝐗');
  });

  it('handles empty, lone surrogates and control characters', () => {
    assert.equal(normalize('').text, '');
    assert.equal(normalize('a\ud800b').text, 'ab'); // U+FFFD is a symbol: a separator
    assert.equal(normalize('\u0000\u0001').text, '');
  });
});
