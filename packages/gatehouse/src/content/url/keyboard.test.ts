import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyboardAdjacent } from './keyboard.ts';
import { skeleton, scriptsOf, isMixedScript } from './confusables.ts';

test('qwerty adjacency', () => {
  assert.ok(keyboardAdjacent('s', 'd'));
  assert.ok(keyboardAdjacent('q', 'a'));
  assert.ok(keyboardAdjacent('a', 'q'));
  assert.ok(keyboardAdjacent('g', 'b'));
  assert.ok(!keyboardAdjacent('a', 'p'));
});

test('skeletons fold confusables', () => {
  assert.equal(skeleton('paypal'), skeleton('paypa1'));
  assert.equal(skeleton('discord'), skeleton('dіscord')); // Cyrillic і
  assert.equal(skeleton('discord'), skeleton('díscord'));
  assert.equal(skeleton('modern'), skeleton('rnodern'));
  assert.equal(skeleton('steam'), skeleton('ѕteam'));
  assert.equal(skeleton('google'), skeleton('g00gle'));
  assert.notEqual(skeleton('discord'), skeleton('discard'));
});

test('scripts', () => {
  assert.deepEqual(scriptsOf('paypal'), ['latin']);
  assert.ok(isMixedScript(scriptsOf('pаypal')));
  assert.ok(!isMixedScript(scriptsOf('qq中文')));
  assert.ok(!isMixedScript(scriptsOf('中文')));
});
