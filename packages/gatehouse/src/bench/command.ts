import type { Command } from 'commander';
import { GatehouseError } from '../errors/index.ts';
import { benchmarks, getBenchmark, table, writeResults } from './index.ts';
import './all.ts';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Run a benchmark (or "all") and print its figures / 运行基准测试')
    .argument('<name>', `benchmark name or "all"`)
    .option('--json', 'print one JSON object of the figures')
    .option('--scale <n>', 'scale factor (1 = full run; smaller = quick)', '1')
    .option('--out <dir>', 'directory for the JSON results', 'bench-results')
    .addHelpText(
      'after',
      () =>
        `\nBenchmarks:\n${benchmarks()
          .map((b) => `  ${b.name.padEnd(10)} ${b.description}`)
          .join('\n')}`,
    )
    .action(async (name: string, opts: { json?: boolean; scale: string; out: string }) => {
      const scale = Number(opts.scale);
      if (!(scale > 0 && scale <= 10))
        throw new GatehouseError('BAD_REQUEST', '--scale must be a number in (0, 10]');
      const list = name === 'all' ? benchmarks() : [getBenchmark(name)];
      if (list.some((b) => !b)) {
        throw new GatehouseError(
          'NOT_FOUND',
          `unknown benchmark "${name}"; known: ${benchmarks()
            .map((b) => b.name)
            .join(', ')}, all`,
        );
      }
      const log = opts.json ? (l: string) => process.stderr.write(`${l}\n`) : (l: string) => console.log(l);
      const rows: Array<{ bench: string; figure: string; value: number }> = [];
      for (const b of list) {
        log(`running ${b!.name}…`);
        const figures = await b!.run({ scale, log });
        writeResults(opts.out, b!.name, figures);
        if (opts.json && name !== 'all') {
          console.log(JSON.stringify(figures));
          return;
        }
        for (const [figure, value] of Object.entries(figures)) rows.push({ bench: b!.name, figure, value });
      }
      if (opts.json)
        console.log(
          JSON.stringify(
            Object.fromEntries(list.map((b) => [b!.name, rows.filter((r) => r.bench === b!.name)])),
          ),
        );
      else console.log(table(rows));
    });
}
