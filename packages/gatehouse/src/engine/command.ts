import type { Command } from 'commander';
import { configFrom, withConfigOptions } from '../cli/config-options.ts';
import { InProcessBus } from '../bus/index.ts';
import { createLogger } from '../log/index.ts';
import { migrate, openStore } from '../store/index.ts';
import { EngineService } from './service.ts';

/**
 * `gatehouse replay-events`: rebuilds the engine state from the whole event log and writes a fresh
 * snapshot (decisions are not re-published). Run it while the server is stopped.
 */
export function registerReplay(program: Command): void {
  withConfigOptions(
    program
      .command('replay-events')
      .description(
        'Rebuild the engine state from the event log and write a snapshot / 从事件日志重建引擎状态',
      )
      .option('--json', 'print JSON'),
  ).action(async (opts: { json?: boolean; config?: string; dataDir?: string; databaseUrl?: string }) => {
    const config = configFrom(opts);
    const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
    const log = createLogger('silent');
    try {
      await migrate(store);
      const svc = new EngineService({
        db: store.db,
        bus: new InProcessBus(log),
        log,
        dataDir: config.dataDir,
        snapshotSeconds: 0,
      });
      const started = performance.now();
      const r = await svc.replayAll();
      const snap = await svc.snapshot();
      const stats = svc.engine.getStats();
      const out = {
        events: r.events,
        position: r.position,
        seconds: Math.round(performance.now() - started) / 1000,
        snapshot: svc.snapshotPath,
        snapshotBytes: snap.bytes,
        accounts: stats.accounts,
        campaigns: stats.campaigns,
        decisions: stats.decisions,
      };
      if (opts.json) console.log(JSON.stringify(out));
      else
        console.log(
          `replayed ${out.events} events (log position ${out.position}) in ${out.seconds} s; ` +
            `${out.accounts} accounts, ${out.campaigns} campaigns; snapshot ${out.snapshot} (${out.snapshotBytes} bytes)`,
        );
    } finally {
      await store.close();
    }
  });
}
