import type { Command } from 'commander';
import { configFrom, withConfigOptions } from '../cli/config-options.ts';
import { createLogger } from '../log/index.ts';
import type { Locale } from './catalogue.ts';
import { sendTestMessage } from './testmessage.ts';

type Opts = {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  to: string;
  locale?: string;
  json?: boolean;
};

export function registerNotify(program: Command): void {
  const n = program.command('notify').description('Notifications to owners: email, SMS, in-app / 号主通知');
  withConfigOptions(
    n
      .command('test')
      .description(
        'Send a test message now through the configured channel (email for an address, SMS for +digits)',
      )
      .requiredOption(
        '--to <address>',
        'an email address or a phone number in international form (+8613800138000)',
      )
      .option('--locale <locale>', 'zh-CN or en (default: notifyDefaultLocale)')
      .option('--json', 'print JSON'),
  ).action(async (opts: Opts) => {
    const config = configFrom(opts);
    const locale = opts.locale === 'en' || opts.locale === 'zh-CN' ? (opts.locale as Locale) : undefined;
    if (opts.locale !== undefined && !locale) {
      console.error('--locale must be zh-CN or en');
      process.exitCode = 2;
      return;
    }
    const r = await sendTestMessage(config, opts.to, {
      ...(locale ? { locale } : {}),
      log: createLogger(config.logLevel, process.stderr),
    });
    if (opts.json) return console.log(JSON.stringify(r));
    console.log(`sent: ${r.channel} to ${r.to} via ${r.delivery}${r.ref ? ` (${r.ref})` : ''}`);
  });
}
