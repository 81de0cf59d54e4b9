// `gatehouse operators add|list|role|disable`: the web console's operator accounts from the command
// line (the first admin has no console to be created in).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { configFrom, withConfigOptions } from '../cli/config-options.ts';
import { createLogger } from '../log/index.ts';
import { migrate, openStore } from '../store/index.ts';
import { resolveSecretKey, SecretBox } from '../webhooks/index.ts';
import { OperatorService, parseRole } from './operators.ts';
import { ROLES } from './schema.ts';

type Opts = { config?: string; dataDir?: string; databaseUrl?: string; json?: boolean };

async function withOperators<T>(opts: Opts, fn: (o: OperatorService) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
  try {
    await migrate(store);
    const box = new SecretBox(resolveSecretKey(config, createLogger(config.logLevel, process.stderr)));
    return await fn(
      new OperatorService(store.db, box, {
        argon2: {
          memoryKiB: config.argon2MemoryKib,
          iterations: config.argon2Iterations,
          parallelism: config.argon2Parallelism,
        },
      }),
    );
  } finally {
    await store.close();
  }
}

export function registerOperators(program: Command): void {
  const ops = program
    .command('operators')
    .description(
      'Operator accounts of the web console (/console/): add, list, role, disable / 控制台运营账号',
    );
  withConfigOptions(
    ops
      .command('add')
      .description(
        'Create an operator; prints the password (generated unless --password-file) and the TOTP secret once',
      )
      .requiredOption('--handle <name>', 'operator name (3-32 of a-z, 0-9, ".", "_", "-")')
      .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
      .option(
        '--password-file <file>',
        'read the password from this file (first line) instead of generating one',
      )
      .option('--json', 'print JSON'),
  ).action(async (opts: Opts & { handle: string; role: string; passwordFile?: string }) => {
    const role = parseRole(opts.role);
    const password = opts.passwordFile
      ? readFileSync(opts.passwordFile, 'utf8').split(/\r?\n/)[0]!
      : undefined;
    const r = await withOperators(opts, (o) =>
      o.create({ handle: opts.handle, role, ...(password !== undefined ? { password } : {}) }, 'cli'),
    );
    if (opts.json) return console.log(JSON.stringify(r));
    console.log(`operator  ${r.operator.handle} (${r.operator.role}), id ${r.operator.id}`);
    if (!password) console.log(`password  ${r.password}`);
    console.log(`TOTP      ${r.totp.secret}`);
    console.log(`          ${r.totp.otpauthUri}`);
    console.error(
      'Add the TOTP secret to an authenticator app and keep the password; neither is shown again. Sign in at /console/. / 请将 TOTP 密钥添加到验证器应用并保存密码，它们不会再次显示。',
    );
  });
  withConfigOptions(ops.command('list').description('List operators').option('--json', 'print JSON')).action(
    async (opts: Opts) => {
      const list = await withOperators(opts, (o) => o.list());
      if (opts.json) return console.log(JSON.stringify(list));
      if (list.length === 0) return console.log('no operators');
      for (const o of list)
        console.log(`${o.id}\t${o.handle}\t${o.role}\t${o.disabledAt ? 'disabled' : 'active'}`);
    },
  );
  withConfigOptions(
    ops
      .command('role')
      .description("Change an operator's role")
      .argument('<id>', 'operator id (from operators list)')
      .argument('<role>', ROLES.join(' | ')),
  ).action(async (id: string, role: string, opts: Opts) => {
    const r = await withOperators(opts, (o) => o.setRole(id, parseRole(role), 'cli'));
    console.log(`operator ${r.handle} is now ${r.role}`);
  });
  withConfigOptions(
    ops
      .command('disable')
      .description('Disable an operator and end their console sessions')
      .argument('<id>', 'operator id'),
  ).action(async (id: string, opts: Opts) => {
    await withOperators(opts, (o) => o.disable(id, 'cli'));
    console.log(`operator ${id} disabled`);
  });
}
