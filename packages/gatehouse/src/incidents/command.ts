import type { Command } from 'commander';
import { configFrom, withConfigOptions } from '../cli/config-options.ts';
import { migrate, openStore } from '../store/index.ts';
import { IncidentService } from './service.ts';

type Opts = { config?: string; dataDir?: string; databaseUrl?: string };

async function withIncidents<T>(opts: Opts, fn: (s: IncidentService) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
  try {
    await migrate(store);
    return await fn(
      new IncidentService(store.db, {
        massThreshold: config.incidentMassThreshold,
        massWindowMs: config.incidentMassWindowMinutes * 60_000,
        contact: config.incidentContact,
      }),
    );
  } finally {
    await store.close();
  }
}

export function registerIncidents(program: Command): void {
  const cmd = program.command('incidents').description('Incidents: list, show, export / 安全事件');
  withConfigOptions(
    cmd
      .command('list')
      .description('List incidents')
      .option('--status <s>', 'open, contained or closed')
      .option('--json', 'print JSON'),
  ).action(async (opts: Opts & { status?: string; json?: boolean }) => {
    const list = await withIncidents(opts, (s) => s.list(opts.status ? { status: opts.status } : {}));
    if (opts.json) return console.log(JSON.stringify(list));
    if (list.length === 0) return console.log('no incidents');
    for (const i of list)
      console.log(
        `${i.id}\t${i.status}\t${i.kind}\t${i.facts.accounts} accounts\t${new Date(i.updatedAt).toISOString()}\t${i.title}`,
      );
  });
  withConfigOptions(
    cmd.command('show').description('Show an incident with its timeline').argument('<id>'),
  ).action(async (id: string, opts: Opts) => {
    console.log(JSON.stringify(await withIncidents(opts, (s) => s.get(id)), null, 2));
  });
  withConfigOptions(
    cmd
      .command('export')
      .description('Export an incident notice')
      .argument('<id>')
      .option('-f, --format <format>', 'json or md', 'md'),
  ).action(async (id: string, opts: Opts & { format: string }) => {
    const e = await withIncidents(opts, (s) => s.export(id));
    console.log(opts.format === 'json' ? JSON.stringify(e.json, null, 2) : e.markdown);
  });
}
