import type { Command } from 'commander';
import { configFrom, withConfigOptions } from './config-options.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { reportMarkdown, type CaseState, type RecoveryService } from '../recovery/index.ts';

type Opts = { config?: string; dataDir?: string; databaseUrl?: string };

async function withRecovery<T>(opts: Opts, fn: (r: RecoveryService) => Promise<T>): Promise<T> {
  const gh = await createGatehouse(configFrom(opts), { log: createLogger('silent') });
  try {
    return await fn(gh.recovery);
  } finally {
    await gh.close();
  }
}

const STATES = ['opened', 'verifying', 'verified', 'pledged', 'restored', 'rejected', 'expired'];

export function registerRecovery(program: Command): void {
  const cmd = program
    .command('recovery')
    .description('Appeal cases of frozen accounts: list, show, report, approve, reject / 账号申诉');
  withConfigOptions(
    cmd
      .command('list')
      .description('List appeal cases, newest first')
      .option('--state <state>', STATES.join(', '))
      .option('--account <id>', 'only this account')
      .option('--limit <n>', 'how many', '50')
      .option('--json', 'print JSON'),
  ).action(async (opts: Opts & { state?: string; account?: string; limit: string; json?: boolean }) => {
    if (opts.state && !STATES.includes(opts.state))
      throw new Error(`--state must be one of ${STATES.join(', ')}`);
    const limit = Math.min(Math.max(Number.parseInt(opts.limit, 10) || 50, 1), 500);
    const list = await withRecovery(opts, (r) =>
      r.listCases({
        limit,
        ...(opts.state ? { state: opts.state as CaseState } : {}),
        ...(opts.account ? { account: opts.account } : {}),
      }),
    );
    if (opts.json) return console.log(JSON.stringify(list));
    if (list.length === 0) return console.log('no cases');
    for (const c of list)
      console.log(
        `${c.id}\t${c.state}\t${c.account?.handle ?? '-'}\t${c.verifiedBy ?? '-'}\t${new Date(c.createdAt).toISOString()}`,
      );
  });
  withConfigOptions(
    cmd.command('show').description('Show a case with its full history').argument('<id>'),
  ).action(async (id: string, opts: Opts) => {
    const out = await withRecovery(opts, async (r) => ({
      case: await r.caseView(id),
      history: await r.history(id),
    }));
    console.log(JSON.stringify(out, null, 2));
  });
  withConfigOptions(
    cmd
      .command('report')
      .description("The owner's report of a case")
      .argument('<id>')
      .option('-f, --format <format>', 'json or md', 'md')
      .option('-l, --lang <lang>', 'zh or en', 'zh'),
  ).action(async (id: string, opts: Opts & { format: string; lang: string }) => {
    const rep = await withRecovery(opts, (r) => r.reportFor(id));
    console.log(
      opts.format === 'json'
        ? JSON.stringify(rep, null, 2)
        : reportMarkdown(rep, opts.lang === 'en' ? 'en' : 'zh'),
    );
  });
  withConfigOptions(
    cmd
      .command('approve')
      .description('Approve a manual verification (the owner goes on to the pledge)')
      .argument('<id>')
      .requiredOption('--note <text>', 'how the owner was verified'),
  ).action(async (id: string, opts: Opts & { note: string }) => {
    const c = await withRecovery(opts, (r) => r.approveManual(id, 'cli', opts.note));
    console.log(`${c.id} ${c.state}`);
  });
  withConfigOptions(
    cmd
      .command('reject')
      .description('Reject an appeal (the account stays frozen)')
      .argument('<id>')
      .requiredOption('--reason <text>', 'why'),
  ).action(async (id: string, opts: Opts & { reason: string }) => {
    const c = await withRecovery(opts, (r) => r.reject(id, 'cli', opts.reason));
    console.log(`${c.id} ${c.state}`);
  });
}
