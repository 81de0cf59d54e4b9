import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { settingsTable } from './index.ts';

test('the README shows the current settings table (regenerate with npm run docs)', () => {
  const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes(settingsTable()), 'README.md settings table is stale: run `npm run docs`');
  assert.match(readme, /npm install && npm start/);
  assert.match(readme, /npm test/);
});
