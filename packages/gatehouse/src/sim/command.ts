import { writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { GatehouseError } from '../errors/index.ts';
import { metricsJson, metricsTable } from './metrics.ts';
import { htmlReport } from './report.ts';
import { DEFAULT_SCENARIO, loadScenario } from './scenario.ts';

/**
 * `gatehouse replay --scenario FILE`: plays a simulated society through Gatehouse's HTTP API (an
 * embedded Gatehouse by default, or a running one with --url and --key) and prints the metrics.
 */
export function registerSim(program: Command): void {
  program
    .command('replay')
    .description('Play a simulated society and an attack scenario against Gatehouse / 模拟社交网络与攻击场景')
    .requiredOption('--scenario <file>', 'scenario YAML file (see docs/scenarios.md)')
    .option('--seed <n>', 'seed (same seed, same society and schedule)', '1')
    .option('--accounts <n>', 'number of accounts (default: the scenario’s society.accounts)')
    .option('--url <url>', 'a running Gatehouse (default: an embedded one in a temporary directory)')
    .option('--key <key>', 'operator key for --url (events:write, accounts:read, webhooks:read)')
    .option(
      '--via <transport>',
      'api: people call Gatehouse directly; chat: they use the reference chat (embedded beside Gatehouse)',
      'api',
    )
    .option(
      '--html <file>',
      'HTML report with a chart of the live phase (default without --json: gatehouse-replay-<scenario>-<seed>.html)',
    )
    .option(
      '--check-timeout <ms>',
      'the platform’s timeout for one pre-send check: slower answers are counted',
      '100',
    )
    .option(
      '--in-process',
      'run the embedded Gatehouse in the replay’s own process (default: a process of its own, as beside a platform)',
    )
    .option('--json', 'print one JSON object')
    .action(
      async (opts: {
        scenario: string;
        seed: string;
        accounts?: string;
        url?: string;
        key?: string;
        via: string;
        html?: string;
        json?: boolean;
        checkTimeout: string;
        inProcess?: boolean;
      }) => {
        const sc = loadScenario(opts.scenario);
        const checkTimeoutMs = Number(opts.checkTimeout);
        if (!(Number.isInteger(checkTimeoutMs) && checkTimeoutMs >= 1 && checkTimeoutMs <= 60_000))
          throw new GatehouseError('BAD_REQUEST', '--check-timeout must be an integer from 1 to 60000 (ms)');
        const seed = Number.parseInt(opts.seed, 10);
        if (!Number.isSafeInteger(seed)) throw new GatehouseError('BAD_REQUEST', '--seed must be an integer');
        const accounts = opts.accounts === undefined ? undefined : Number.parseInt(opts.accounts, 10);
        if (accounts !== undefined && !(accounts >= 10))
          throw new GatehouseError('BAD_REQUEST', '--accounts must be an integer ≥ 10');
        if (opts.via !== 'api' && opts.via !== 'chat')
          throw new GatehouseError('BAD_REQUEST', '--via must be api or chat');
        const progress = progressOnStderr();
        // the simulator (its HTTP client, the society) is loaded for the command that runs it
        const { replay } = await import('./runner.ts');
        const res = await replay({
          scenario: sc,
          seed,
          ...(accounts !== undefined ? { accounts } : {}),
          ...(opts.url ? { url: opts.url } : {}),
          ...(opts.key ? { key: opts.key } : {}),
          via: opts.via,
          checkTimeoutMs,
          // Gatehouse beside the simulator, not under it: the check latency measured is Gatehouse's, not
          // that of the simulator's own HTTP clients sharing its event loop (docs/scenarios.md)
          ...(opts.inProcess ? {} : { ownProcess: true }),
          onProgress: progress.update,
        });
        progress.stop();
        const html = opts.html ?? (opts.json ? undefined : `gatehouse-replay-${sc.name}-${seed}.html`);
        if (html) writeFileSync(html, htmlReport(res.metrics, res.timeline));
        if (opts.json) console.log(JSON.stringify({ ...metricsJson(res.metrics), seconds: res.seconds }));
        else {
          console.log(metricsTable([res.metrics]));
          console.log(`\n${res.metrics.accounts} accounts, seed ${seed}, ${res.seconds.toFixed(1)} s`);
          console.log(`HTML report / 报告: ${html}`);
        }
      },
    );
}

/** Progress on stderr: a bar on a terminal, one line per phase otherwise. */
function progressOnStderr(): {
  update: (phase: string, done: number, total: number) => void;
  stop: () => void;
} {
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: '{phase} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let phase = '';
  return {
    update: (p, done, total) => {
      if (!bar) {
        if (p !== phase) process.stderr.write(`${p}…\n`);
        phase = p;
        return;
      }
      if (p !== phase) {
        if (phase) bar.stop();
        bar.start(total, done, { phase: p.padEnd(8) });
        phase = p;
      } else bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

function int(v: string, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new GatehouseError('BAD_REQUEST', `${name} must be an integer from ${min} to ${max}`);
  return n;
}

/**
 * `gatehouse demo`: Gatehouse and the reference chat in one process, a seeded society played through the
 * chat, the summary and the URLs to open. Keeps both servers running until Ctrl-C, or exits with --once.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Start Gatehouse and the reference chat, play the QQ incident through the chat, print what to open / 一键演示',
    )
    .option(
      '-d, --data-dir <dir>',
      'data directory (Gatehouse database, chat database in chat/)',
      './gatehouse-demo',
    )
    .option('--port <n>', "Gatehouse's port (0: a free one)", '8080')
    .option('--chat-port <n>', "the chat's port (0: a free one)", '3000')
    .option('--accounts <n>', 'accounts in the society', '300')
    .option('--seed <n>', 'seed (same seed, same society and schedule)', '1')
    .option('--scenario <file>', 'scenario YAML file', DEFAULT_SCENARIO)
    .option('--once', 'exit after the summary instead of keeping the servers running')
    .action(
      async (opts: {
        dataDir: string;
        port: string;
        chatPort: string;
        accounts: string;
        seed: string;
        scenario: string;
        once?: boolean;
      }) => {
        const progress = progressOnStderr();
        process.stderr.write(
          'Starting Gatehouse and the reference chat… / 正在启动 Gatehouse 和参考聊天平台…\n',
        );
        const { runDemo } = await import('./demo.ts');
        const demo = await runDemo({
          dataDir: opts.dataDir,
          port: int(opts.port, '--port', 0, 65535),
          chatPort: int(opts.chatPort, '--chat-port', 0, 65535),
          accounts: int(opts.accounts, '--accounts', 10),
          seed: int(opts.seed, '--seed', 0),
          scenario: opts.scenario,
          onProgress: progress.update,
        });
        progress.stop();
        console.log(demo.text);
        if (opts.once) {
          await demo.close();
          return;
        }
        console.log('\nBoth servers keep running; Ctrl-C stops them. / 两个服务保持运行；按 Ctrl-C 停止。');
        await new Promise<void>((done) => {
          const stop = () => {
            process.stderr.write('Stopping… / 正在停止…\n');
            demo.close().then(done, (e: unknown) => {
              console.error(e);
              done();
            });
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    );
}
