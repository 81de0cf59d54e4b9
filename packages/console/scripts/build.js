// Builds the console into packages/console/dist (run by the root postinstall, so `npm install && npm
// start` serves it). Plain JavaScript run under Gatehouse's Node (scripts/node.js).
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
  root: `${root}src`,
  logLevel: 'warn',
});
console.error('gatehouse console: built packages/console/dist');
