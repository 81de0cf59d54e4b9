import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SDK_VERSION } from './index.ts';

test('sdk exports a version', () => {
  assert.match(SDK_VERSION, /^\d+\.\d+\.\d+$/);
});
