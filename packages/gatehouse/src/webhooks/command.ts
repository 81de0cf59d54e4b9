import { WEBHOOK_TYPES } from '@gatehouse/sdk';
import type { Command } from 'commander';
import { configFrom, withConfigOptions } from '../cli/config-options.ts';
import { createLogger } from '../log/index.ts';
import { migrate, openStore } from '../store/index.ts';
import { resolveSecretKey, SecretBox, WebhookService } from './index.ts';

type Opts = { config?: string; dataDir?: string; databaseUrl?: string; json?: boolean };

async function withWebhooks<T>(opts: Opts, fn: (w: WebhookService) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
  try {
    await migrate(store);
    const box = new SecretBox(resolveSecretKey(config, createLogger(config.logLevel, process.stderr)));
    return await fn(
      new WebhookService(store.db, box, {
        secretOverlapMs: config.webhookSecretOverlapHours * 3_600_000,
        targets: { allowHttp: config.webhookAllowHttp, allowLoopback: config.webhookAllowLoopback },
      }),
    );
  } finally {
    await store.close();
  }
}

const TYPES_HELP = `comma-separated webhook types, "account.*" = prefix; default all. Types: ${WEBHOOK_TYPES.join(', ')}`;

function typeList(s: string | undefined): string[] | undefined {
  return s
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

const SHOWN_ONCE = 'store the secret now, it is not shown again / 请立即保存签名密钥，它不会再次显示';

export function registerWebhooks(program: Command): void {
  const wh = program
    .command('webhooks')
    .description('Signed webhooks to the platform: endpoints, dead letters, replay / Webhook 推送');
  withConfigOptions(
    wh
      .command('add')
      .description('Add an endpoint (point it at your own platform); prints its signing secret once')
      .requiredOption('-u, --url <url>', 'http(s) URL that receives POSTs')
      .option('-t, --types <list>', TYPES_HELP)
      .option('--description <text>', 'what it is for')
      .option('--json', 'print JSON'),
  ).action(async (opts: Opts & { url: string; types?: string; description?: string }) => {
    const types = typeList(opts.types);
    const r = await withWebhooks(opts, (w) =>
      w.addEndpoint(
        {
          url: opts.url,
          ...(types ? { types } : {}),
          ...(opts.description ? { description: opts.description } : {}),
        },
        'cli',
      ),
    );
    if (opts.json) return console.log(JSON.stringify(r));
    console.log(r.secret);
    console.error(
      `endpoint ${r.endpoint.id} → ${r.endpoint.url} (${r.endpoint.types.join(', ')}) added; ${SHOWN_ONCE}`,
    );
  });
  withConfigOptions(
    wh.command('list').description('List endpoints (never their secrets)').option('--json', 'print JSON'),
  ).action(async (opts: Opts) => {
    const list = await withWebhooks(opts, (w) => w.listEndpoints());
    if (opts.json) return console.log(JSON.stringify(list));
    if (list.length === 0) return console.log('no endpoints');
    for (const e of list)
      console.log(
        `${e.id}\t${e.url}\t${e.types.join(',')}\t${e.previousSecretExpiresAt ? `rotating until ${new Date(e.previousSecretExpiresAt).toISOString()}` : 'one secret'}`,
      );
  });
  withConfigOptions(
    wh
      .command('update')
      .description("Change an endpoint's types or description (its secret and URL stay)")
      .argument('<id>', 'endpoint id')
      .option('-t, --types <list>', TYPES_HELP)
      .option('--description <text>', 'what it is for')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Opts & { types?: string; description?: string }) => {
    const types = typeList(opts.types);
    const e = await withWebhooks(opts, (w) =>
      w.updateEndpoint(
        id,
        {
          ...(types ? { types } : {}),
          ...(opts.description !== undefined ? { description: opts.description } : {}),
        },
        'cli',
      ),
    );
    if (opts.json) return console.log(JSON.stringify(e));
    console.log(`endpoint ${e.id} → ${e.url} (${e.types.join(', ')}) updated`);
  });
  withConfigOptions(
    wh
      .command('rotate')
      .description(
        'New signing secret; the old one also signs until the overlap ends (webhookSecretOverlapHours)',
      )
      .argument('<id>', 'endpoint id')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Opts) => {
    const r = await withWebhooks(opts, (w) => w.rotate(id, 'cli'));
    if (opts.json) return console.log(JSON.stringify(r));
    console.log(r.secret);
    console.error(
      `endpoint ${id}: new secret; the previous one signs too until ${new Date(r.endpoint.previousSecretExpiresAt ?? 0).toISOString()}; ${SHOWN_ONCE}`,
    );
  });
  withConfigOptions(
    wh
      .command('remove')
      .description('Remove an endpoint; its pending deliveries are cancelled')
      .argument('<id>', 'endpoint id'),
  ).action(async (id: string, opts: Opts) => {
    await withWebhooks(opts, (w) => w.remove(id, 'cli'));
    console.log(`endpoint ${id} removed`);
  });
  withConfigOptions(
    wh
      .command('dead')
      .description('List dead letters (deliveries that gave up)')
      .option('-e, --endpoint <id>', 'only this endpoint')
      .option('-n, --limit <n>', 'at most this many', '100')
      .option('--json', 'print JSON'),
  ).action(async (opts: Opts & { endpoint?: string; limit: string }) => {
    const list = await withWebhooks(opts, (w) =>
      w.dead({ limit: Number(opts.limit) || 100, ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) }),
    );
    if (opts.json) return console.log(JSON.stringify(list));
    if (list.length === 0) return console.log('no dead letters');
    for (const d of list)
      console.log(
        `${d.messageId}\t${d.endpointId}\t${d.type}\t${d.account ?? '-'}\t${d.attempts} attempts\t${d.lastError ?? ''}`,
      );
  });
  withConfigOptions(
    wh
      .command('replay')
      .description('Put dead letters back in their queues, in order (--all, or message ids)')
      .argument('[messageIds...]', 'message ids (msg_…)')
      .option('--all', 'every dead letter')
      .option('-e, --endpoint <id>', 'only this endpoint'),
  ).action(async (ids: string[], opts: Opts & { all?: boolean; endpoint?: string }) => {
    if (!opts.all && ids.length === 0) {
      console.error('give message ids or --all');
      process.exitCode = 2;
      return;
    }
    const ep = opts.endpoint ? { endpoint: opts.endpoint } : {};
    const r = await withWebhooks(opts, (w) =>
      w.replay(opts.all ? { all: true, ...ep } : { messageIds: ids, ...ep }, 'cli'),
    );
    console.log(`${r.replayed} dead letter(s) back in their queues; a running server delivers them`);
  });
}
