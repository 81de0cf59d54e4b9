/**
 * `gatehouse train` and `gatehouse eval`: train a text model from labelled files, evaluate one.
 * The text modules (and their tables) load only when one of these commands runs, so other commands
 * start fast.
 */
import type { Command } from 'commander';
import { DEFAULT_EPOCHS, DEFAULT_SEED, DEFAULT_THRESHOLD } from './defaults.ts';
import type { TrainCliOptions } from './train-cli.ts';

export type { TrainCliOptions } from './train-cli.ts';

export function registerTextCommands(program: Command): void {
  program
    .command('train')
    .description('Train a text spam/scam model from label<TAB>text files / 训练文本垃圾信息模型')
    .requiredOption(
      '--data <files...>',
      'training files, one label<TAB>text a line (each file is a source, named after the file or its folder)',
    )
    .requiredOption('--out <file>', 'where to write the model')
    .option('--epochs <n>', 'passes over the data', String(DEFAULT_EPOCHS))
    .option('--seed <n>', 'shuffle seed', String(DEFAULT_SEED))
    .option('--bits <n>', 'feature space is 2^bits', '20')
    .option('--threshold <p>', 'decision threshold stored in the model', String(DEFAULT_THRESHOLD))
    .option('--strict', 'fail on any bad line instead of skipping it')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: TrainCliOptions) => {
      const { runTrain } = await import('./train-cli.ts');
      runTrain(opts);
    });
  program
    .command('eval')
    .description('Evaluate a text model on a label<TAB>text file / 评估文本模型')
    .requiredOption('--data <file>', 'labelled file')
    .option('--model <file>', 'model file (default: the shipped model)')
    .option('--source <name>', 'score as coming from this source (one the model was trained with)')
    .option('--json', 'print one JSON object')
    .action(async (opts: { data: string; model?: string; source?: string; json?: boolean }) => {
      const { runEval } = await import('./train-cli.ts');
      const m = runEval(opts, (s) => process.stderr.write(`${s}\n`));
      if (opts.json) console.log(JSON.stringify(m));
      else
        console.log(
          Object.entries(m)
            .map(([k, v]) => `${k.padEnd(10)} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
            .join('\n'),
        );
    });
}
