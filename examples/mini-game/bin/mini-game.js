#!/usr/bin/env node
// Entry point for `npx gatehouse-mini-game`. TypeScript run by Node's type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`gatehouse-mini-game: Node.js >= 22.18 is required (this is ${process.version}).`);
  process.exit(1);
}
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') console.warn(w);
});
const { main } = await import('../src/main.ts');
main(process.argv.slice(2)).catch((e) => {
  console.error(`gatehouse-mini-game: ${e.message}`);
  process.exit(1);
});
