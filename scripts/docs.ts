// Regenerates the generated parts of README.md (the settings table). `npm run docs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable } from '../packages/gatehouse/src/config/index.ts';

const START = '<!-- settings:start -->';
const END = '<!-- settings:end -->';
const file = new URL('../README.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const a = text.indexOf(START);
const b = text.indexOf(END);
if (a < 0 || b < a) throw new Error('README.md lacks the settings markers');
writeFileSync(file, `${text.slice(0, a + START.length)}\n${settingsTable()}\n${text.slice(b)}`);
console.log('README.md settings table updated');
