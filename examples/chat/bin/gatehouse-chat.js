#!/usr/bin/env node
// Entry point for `npx gatehouse-chat`. The sources are TypeScript run by Node's type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `gatehouse-chat: Node.js >= 22.18 is required (this is ${process.version}). Run \`. scripts/node-env.sh\` first.`,
  );
  process.exit(1);
}
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') console.warn(w);
});
const { main } = await import('../src/main.ts');
main(process.argv.slice(2)).catch((e) => {
  console.error(`gatehouse-chat: ${e.message}`);
  process.exit(1);
});
