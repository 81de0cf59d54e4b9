// The child process of embedded-process.ts: Gatehouse with the simulation settings, until asked to close.
import { startSimGatehouse } from './embedded.ts';

const dir = process.env.GATEHOUSE_SIM_DATA_DIR;
try {
  const sim = await startSimGatehouse(dir ? { dataDir: dir } : {});
  process.on('message', (m: { close?: boolean }) => {
    if (!m.close) return;
    void sim.close().finally(() => process.exit(0));
  });
  // the parent died: stop too
  process.on('disconnect', () => void sim.close().finally(() => process.exit(0)));
  process.send!({ ready: true, url: sim.url, key: sim.key, dataDir: sim.dataDir });
} catch (err) {
  process.send!({ error: (err as Error).message });
  process.exit(1);
}
