import type { Command } from 'commander';
import { loadConfig, type Config, type SettingKey } from '../config/index.ts';

/** Adds the options every command that touches the database shares. */
export function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (JSON or YAML); also GATEHOUSE_CONFIG')
    .option('-d, --data-dir <dir>', 'data directory for the embedded SQLite database (GATEHOUSE_DATA_DIR)')
    .option(
      '--database-url <url>',
      'postgres://… to use PostgreSQL instead of SQLite (GATEHOUSE_DATABASE_URL)',
    );
}

export function configFrom(
  opts: { config?: string; dataDir?: string; databaseUrl?: string },
  extra: Partial<Record<SettingKey, unknown>> = {},
): Config {
  return loadConfig({
    ...(opts.config ? { file: opts.config } : {}),
    overrides: { dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, ...extra },
  });
}
