import type { Command } from 'commander';
import { GatehouseError } from '../errors/index.ts';
import { benchmarks, getBenchmark, seriesTable, table, writeResults } from './index.ts';
import './all.ts';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('Run a benchmark (or "all") and print its figures / 运行基准测试')
    .argument('<name>', `benchmark name or "all"`)
    .option('--json', 'print one JSON object of the figures')
    .option('--scale <n>', 'scale factor (1 = full run; smaller = quick)', '1')
    .option('--out <dir>', 'directory for the JSON results', 'bench-results')
    .option('--minutes <n>', 'soak: how long (minutes, default 10)')
    .option('--rate <n>', 'soak, check: requests or events per second (default 5000)')
    .addHelpText(
      'after',
      () =>
        `\nBenchmarks:\n${benchmarks()
          .map((b) => `  ${b.name.padEnd(10)} ${b.description}${b.inAll === false ? ' (not in "all")' : ''}`)
          .join('\n')}`,
    )
    .action(
      async (
        name: string,
        opts: { json?: boolean; scale: string; out: string; minutes?: string; rate?: string },
      ) => {
        const scale = Number(opts.scale);
        if (!(scale > 0 && scale <= 10))
          throw new GatehouseError('BAD_REQUEST', '--scale must be a number in (0, 10]');
        const minutes = opts.minutes === undefined ? undefined : Number(opts.minutes);
        if (minutes !== undefined && !(minutes > 0 && minutes <= 1440))
          throw new GatehouseError('BAD_REQUEST', '--minutes must be a number in (0, 1440]');
        const rate = opts.rate === undefined ? undefined : Number(opts.rate);
        if (rate !== undefined && !(Number.isInteger(rate) && rate > 0 && rate <= 1_000_000))
          throw new GatehouseError('BAD_REQUEST', '--rate must be a whole number in [1, 1000000]');
        const list = name === 'all' ? benchmarks().filter((b) => b.inAll !== false) : [getBenchmark(name)];
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
          const series: Array<Record<string, number>> = [];
          const figures = await b!.run({ scale, log, minutes, rate, series });
          writeResults(opts.out, b!.name, figures, series);
          if (opts.json && name !== 'all') {
            console.log(JSON.stringify(series.length ? { ...figures, series } : figures));
            return;
          }
          if (series.length && !opts.json) console.log(`${b!.name} over time:\n${seriesTable(series)}\n`);
          for (const [figure, value] of Object.entries(figures)) rows.push({ bench: b!.name, figure, value });
        }
        if (opts.json)
          console.log(
            JSON.stringify(
              Object.fromEntries(list.map((b) => [b!.name, rows.filter((r) => r.bench === b!.name)])),
            ),
          );
        else console.log(table(rows));
      },
    );
}
