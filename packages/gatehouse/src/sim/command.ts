import { writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { GatehouseError } from '../errors/index.ts';
import { metricsJson, metricsTable } from './metrics.ts';
import { htmlReport } from './report.ts';
import { replay } from './runner.ts';
import { loadScenario } from './scenario.ts';

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
    .option('--html <file>', 'write an HTML report with a chart of the live phase')
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
      }) => {
        const sc = loadScenario(opts.scenario);
        const seed = Number.parseInt(opts.seed, 10);
        if (!Number.isSafeInteger(seed)) throw new GatehouseError('BAD_REQUEST', '--seed must be an integer');
        const accounts = opts.accounts === undefined ? undefined : Number.parseInt(opts.accounts, 10);
        if (accounts !== undefined && !(accounts >= 10))
          throw new GatehouseError('BAD_REQUEST', '--accounts must be an integer ≥ 10');
        if (opts.via !== 'api' && opts.via !== 'chat')
          throw new GatehouseError('BAD_REQUEST', '--via must be api or chat');
        const bar = process.stderr.isTTY
          ? new cliProgress.SingleBar(
              { format: '{phase} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        let phase = '';
        const res = await replay({
          scenario: sc,
          seed,
          ...(accounts !== undefined ? { accounts } : {}),
          ...(opts.url ? { url: opts.url } : {}),
          ...(opts.key ? { key: opts.key } : {}),
          via: opts.via,
          onProgress: (p, done, total) => {
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
        });
        bar?.stop();
        if (opts.html) writeFileSync(opts.html, htmlReport(res.metrics, res.timeline));
        if (opts.json) console.log(JSON.stringify({ ...metricsJson(res.metrics), seconds: res.seconds }));
        else {
          console.log(metricsTable([res.metrics]));
          console.log(`\n${res.metrics.accounts} accounts, seed ${seed}, ${res.seconds.toFixed(1)} s`);
        }
      },
    );
}
