/**
 * The replay's embedded Gatehouse in a process of its own, as a platform would run it: the society's
 * load (thousands of HTTP clients, the live schedule) and Gatehouse do not share one event loop, so the
 * pre-send check latency the replay measures is Gatehouse's, not the simulator's. The child
 * (embedded-child.ts) starts Gatehouse with the simulation settings (embedded.ts) and reports its URL and
 * operator key over IPC; `close` asks it to stop gracefully (drain, close the database).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SimProcess {
  url: string;
  key: string;
  dataDir: string;
  pid: number;
  close(): Promise<void>;
}

type Msg = { ready: true; url: string; key: string; dataDir: string } | { error: string };

export async function startSimGatehouseProcess(o: { dataDir?: string } = {}): Promise<SimProcess> {
  const child = fork(fileURLToPath(new URL('./embedded-child.ts', import.meta.url)), [], {
    // the parent's flags (type stripping, --cpu-prof when profiling) apply to the child too
    execArgv: [...process.execArgv, '--disable-warning=ExperimentalWarning'],
    env: { ...process.env, GATEHOUSE_SIM_DATA_DIR: o.dataDir ?? '' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<Msg>((resolve) => {
    child.once('message', (m: Msg) => resolve(m));
    child.once('exit', (code) => resolve({ error: `the embedded Gatehouse exited (code ${code})` }));
  });
  if ('error' in ready) {
    child.kill();
    throw new Error(ready.error);
  }
  return {
    url: ready.url,
    key: ready.key,
    dataDir: ready.dataDir,
    pid: child.pid!,
    close: async () => {
      if (child.exitCode === null) child.send({ close: true });
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
