import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractUrls } from '../url/parse.ts';
import { mayHoldLink, maskLinks } from './links.ts';
import { loadDefaultTextModel, scoreText } from './index.ts';

test('every link the URL part finds is blanked for the text model, at the same offsets', () => {
  const texts = [
    '看看 https://news.example.com/a/1 吧',
    'free stuff at qq-login[.]com/x now',
    'promo-drop(dot)net',
    'go to gift-box dot com today',
    'ｑｑ．ｃｏｍ 快',
    'discord-gift点com 领',
    'steam·com and steam‥ru',
    'card-bonus . c o m',
    'prize-hub%2Ecom',
    'hxxps://evil.example/x',
    'mail me at a@b.com or see 1.2.3.4:8080/x',
  ];
  for (const t of texts) {
    const m = maskLinks(t);
    assert.equal(m.length, t.length, t);
    const urls = extractUrls(t).urls;
    assert.ok(urls.length > 0, t);
    for (const u of urls) assert.equal(m.slice(u.start, u.end).trim(), '', `${t} → ${m}`);
  }
  for (const t of ['我们3点半见', 'Hi. See you at 5.30', '哈哈，好的。明天见！'])
    assert.equal(maskLinks(t), t);
});

test('a link alone never turns ordinary chat into spam (text API)', () => {
  const model = loadDefaultTextModel();
  const chats = [
    '晚上一起吃饭吗',
    'see you at the station at 7',
    '这个视频笑死我了',
    'happy birthday mate',
    '明天开会别迟到',
    'did you finish the report',
  ];
  const links = [
    'https://v.example.com/watch/91',
    'www.example.org/news/2',
    'http://t.cn/A6x9',
    'shop-sale.example.cn/p/1',
  ];
  for (const c of chats)
    for (const l of links) {
      const plain = scoreText(model, c).probability;
      const withLink = scoreText(model, `${c} ${l}`).probability;
      assert.ok(Math.abs(withLink - plain) < 1e-9, `${c} + ${l}: ${plain} → ${withLink}`);
    }
});

test('", word" alone skips the link scan; a link elsewhere in such a text is still found and blanked', () => {
  // a comma and a space before a word is how sentences go on: no scan (the cost of chat text)
  for (const t of ['Sorry, I will call you later', 'ok, see you soon', '好的, thanks', 'hey, how are you?'])
    assert.equal(mayHoldLink(t), false, t);
  // links the other quick tests do not see, in a text with ", word": the scan still runs
  const withLink = [
    'hi, javascript:alert(1)',
    'hey, ftp：//files',
    'ok, see abc . 中国',
    'ok, see 中国·com',
    'so, visit gift-box . COM',
    'well, go gift-box dot com',
  ];
  for (const t of withLink) {
    assert.equal(mayHoldLink(t), true, t);
    const urls = extractUrls(t).urls;
    const m = maskLinks(t);
    for (const u of urls) assert.equal(m.slice(u.start, u.end).trim(), '', `${t} → ${m}`);
  }
  // the narrowing never hides a link the scan finds
  const sample = ['see, abc.com', 'yes, prize-hub,xyz', 'ok, qq-safe[点]cn', 'no, a%2ecom', 'k, x。com'];
  for (const t of sample) if (extractUrls(t).urls.length > 0) assert.equal(mayHoldLink(t), true, t);
});
