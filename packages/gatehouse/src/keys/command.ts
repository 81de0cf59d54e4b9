import type { Command } from 'commander';
import { configFrom, withConfigOptions } from '../cli/config-options.ts';
import { migrate, openStore } from '../store/index.ts';
import { KeyService, parseScopes, SCOPES } from './index.ts';

async function withKeys<T>(
  opts: { config?: string; dataDir?: string; databaseUrl?: string },
  fn: (k: KeyService) => Promise<T>,
): Promise<T> {
  const config = configFrom(opts);
  const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
  try {
    await migrate(store);
    return await fn(new KeyService(store.db));
  } finally {
    await store.close();
  }
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Operator API keys: create, list, revoke / 运维 API 密钥');
  withConfigOptions(
    keys
      .command('create')
      .description('Create a key; it is printed once and stored only as a hash')
      .requiredOption('-n, --name <name>', 'what the key is for')
      .option('-s, --scopes <list>', `comma-separated scopes: ${SCOPES.join(', ')}`, 'accounts:read')
      .option('--json', 'print JSON'),
  ).action(
    async (opts: {
      name: string;
      scopes: string;
      json?: boolean;
      config?: string;
      dataDir?: string;
      databaseUrl?: string;
    }) => {
      const scopes = parseScopes(opts.scopes);
      const { key, view } = await withKeys(opts, (k) => k.create(opts.name, scopes, 'cli'));
      if (opts.json) console.log(JSON.stringify({ key, ...view }));
      else {
        console.log(key);
        console.error(
          `key ${view.id} (${view.scopes.join(', ')}) created; store it now, it is not shown again / 请立即保存，此密钥不会再次显示`,
        );
      }
    },
  );
  withConfigOptions(
    keys.command('list').description('List keys (never their secrets)').option('--json', 'print JSON'),
  ).action(async (opts: { json?: boolean; config?: string; dataDir?: string; databaseUrl?: string }) => {
    const list = await withKeys(opts, (k) => k.list());
    if (opts.json) return console.log(JSON.stringify(list));
    if (list.length === 0) return console.log('no keys');
    for (const k of list) {
      const state = k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'active';
      console.log(
        `${k.id}\t${k.name}\t${k.scopes.join(',')}\t${state}\tlast used ${k.lastUsedAt ? new Date(k.lastUsedAt).toISOString() : 'never'}`,
      );
    }
  });
  withConfigOptions(
    keys.command('revoke').description('Revoke a key by id').argument('<id>', 'key id (from keys list)'),
  ).action(async (id: string, opts: { config?: string; dataDir?: string; databaseUrl?: string }) => {
    await withKeys(opts, (k) => k.revoke(id, 'cli'));
    console.log(`key ${id} revoked`);
  });
}
