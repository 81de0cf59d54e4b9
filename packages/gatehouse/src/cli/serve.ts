import type { Command } from 'commander';
import { configFrom, withConfigOptions } from './config-options.ts';
import { createGatehouse } from '../gatehouse.ts';
import { warmContent } from '../engine/index.ts';

export function registerServe(program: Command): void {
  withConfigOptions(
    program
      .command('serve')
      .description('Start the Gatehouse server / 启动 Gatehouse 服务')
      .option('-p, --port <port>', 'HTTP port (GATEHOUSE_PORT, default 8080; 0 = any free port)')
      .option('-H, --host <host>', 'address to bind (GATEHOUSE_HOST, default 127.0.0.1)')
      .option(
        '--role <role>',
        'all (default: the embedded shape) or api|engine|dispatcher of the scale-out shape (GATEHOUSE_ROLE; docs/scale-out.md)',
      ),
  ).action(
    async (opts: {
      port?: string;
      host?: string;
      role?: string;
      config?: string;
      dataDir?: string;
      databaseUrl?: string;
    }) => {
      const config = configFrom(opts, { port: opts.port, host: opts.host, role: opts.role });
      const gh = await createGatehouse(config);
      warmContent(gh.engine.content);
      const url = await gh.listen();
      const where =
        (config.database.kind === 'sqlite' ? `SQLite ${config.database.path}` : 'PostgreSQL') +
        (config.role === 'all' ? '' : `, role ${config.role}, NATS ${config.natsUrl}`);
      console.log(`Gatehouse listening on ${url} (${where}) — API document: ${url}/openapi.json`);
      console.log(`Gatehouse 已启动：${url}`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        gh.log.info({ signal }, 'shutting down');
        const force = setTimeout(() => {
          gh.log.error('shutdown took over 10 s; exiting');
          process.exit(1);
        }, 10_000);
        force.unref();
        gh.close().then(
          () => {
            console.log('Gatehouse stopped / 已停止');
            process.exitCode = 0;
          },
          (err: unknown) => {
            gh.log.error({ err }, 'shutdown failed');
            process.exitCode = 1;
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    },
  );
}
