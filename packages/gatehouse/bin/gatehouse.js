#!/usr/bin/env node
// Entry point for `npx gatehouse`. The sources are TypeScript run by Node's type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `gatehouse: Node.js >= 22.18 is required (this is ${process.version}).\n` +
      'gatehouse: 需要 Node.js >= 22.18。Run `. scripts/node-env.sh` from the repository root, or install a newer Node.',
  );
  process.exit(1);
}
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') console.warn(w);
});
const { main } = await import('../src/cli/index.ts');
await main(process.argv);
