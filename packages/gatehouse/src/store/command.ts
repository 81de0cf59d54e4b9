import type { Command } from 'commander';
import { configFrom, withConfigOptions } from '../cli/config-options.ts';
import { migrate, openStore } from './index.ts';

export function registerMigrate(program: Command): void {
  withConfigOptions(
    program.command('migrate').description('Apply pending database migrations / 执行数据库迁移'),
  ).action(async (opts: { config?: string; dataDir?: string; databaseUrl?: string }) => {
    const config = configFrom(opts);
    const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
    try {
      const r = await migrate(store);
      console.log(
        r.applied.length
          ? `applied ${r.applied.length} migration(s): ${r.applied.join(', ')}`
          : `database is up to date (${r.total} migrations)`,
      );
    } finally {
      await store.close();
    }
  });
}
