import type { Command } from 'commander';
import { configFrom, withConfigOptions } from '../cli/config-options.ts';
import { GatehouseError } from '../errors/index.ts';
import { migrate, openStore } from '../store/index.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { anchorKey, AuditService, exportAnchor, publicKeyId, readAnchors } from './index.ts';

type Opts = { config?: string; dataDir?: string; databaseUrl?: string };

async function withAudit<T>(opts: Opts, fn: (a: AuditService) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
  try {
    await migrate(store);
    return await fn(new AuditService(store.db));
  } finally {
    await store.close();
  }
}

export function registerAudit(program: Command): void {
  const audit = program
    .command('audit')
    .description('The tamper-evident audit log: verify, list / 防篡改审计日志');
  withConfigOptions(
    audit
      .command('verify')
      .description('Recompute the hash chain; exit code 1 and the place of every break when tampered')
      .option('--json', 'print the report as JSON')
      .option(
        '--anchor <seq:hash|file...>',
        'heads recorded outside the database earlier: SEQ:HASH (audit head), or an anchor file (auditAnchorFile); each must still be in the chain',
      )
      .option(
        '--anchor-key <key>',
        'the anchor key (base64url public key) that must have signed an anchor file',
      ),
  ).action(async (opts: Opts & { json?: boolean; anchor?: string[]; anchorKey?: string }) => {
    const config = configFrom(opts);
    const anchors: Array<{ seq: number; hash: string }> = [];
    const anchorProblems: Array<{ file: string; line: number; detail: string }> = [];
    for (const a of opts.anchor ?? []) {
      const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(a);
      if (m) {
        anchors.push({ seq: Number(m[1]), hash: m[2]! });
        continue;
      }
      if (!existsSync(a))
        throw new GatehouseError(
          'VALIDATION_FAILED',
          `--anchor must be SEQ:HASH (64 hex) or an anchor file, not "${a.slice(0, 100)}"`,
        );
      // the key that must have signed it: given, configured, or the data directory's (never created here)
      const expected =
        opts.anchorKey ??
        (config.auditAnchorKey || existsSync(join(config.dataDir, 'audit-anchor.key'))
          ? publicKeyId(anchorKey(config))
          : undefined);
      const r = readAnchors(a, expected);
      anchors.push(...r.anchors);
      anchorProblems.push(...r.problems.map((p) => ({ file: a, ...p })));
    }
    const r = await withAudit(opts, (a) => a.verify({ anchors, anchorProblems }));
    if (opts.json) console.log(JSON.stringify(r));
    else if (r.ok) {
      console.log(`audit log intact: ${r.count} entries, head seq ${r.head.seq} hash ${r.head.hash}`);
      console.log(`审计日志完整：${r.count} 条`);
    } else {
      console.log(
        `AUDIT LOG TAMPERED: ${r.problems.length} problem(s) in ${r.count} entries / 审计日志已被篡改`,
      );
      for (const p of r.problems) {
        console.log(`  seq ${p.seq}\t${p.kind}\t${p.detail}`);
        console.log(`    expected ${p.expected}`);
        console.log(`    found    ${p.found}`);
      }
    }
    if (!r.ok) process.exitCode = 1;
  });
  withConfigOptions(
    audit
      .command('anchor')
      .description(
        'Sign the head with the anchor key and append it to a file (what the server does on a schedule)',
      )
      .requiredOption('--out <file>', 'the anchor file (auditAnchorFile)'),
  ).action(async (opts: Opts & { out: string }) => {
    const config = configFrom(opts);
    const line = await withAudit(opts, (a) => exportAnchor(a, opts.out, anchorKey(config)));
    console.log(
      line ? `anchored seq ${line.seq} hash ${line.hash} (key ${line.key})` : 'the head is already anchored',
    );
  });
  withConfigOptions(
    audit
      .command('head')
      .description(
        'Print the head (seq:hash) to record outside the database; pass it to verify --anchor later',
      ),
  ).action(async (opts: Opts) => {
    const h = await withAudit(opts, (a) => a.head());
    console.log(`${h.seq}:${h.hash}`);
  });
  withConfigOptions(
    audit
      .command('list')
      .description('Print entries in order')
      .option('-s, --subject <subject>', 'only entries about this subject (account id, key id, …)')
      .option('-n, --limit <n>', 'at most this many entries', '100')
      .option('--after <seq>', 'entries after this seq')
      .option('--json', 'print JSON'),
  ).action(async (opts: Opts & { subject?: string; limit: string; after?: string; json?: boolean }) => {
    const limit = Number(opts.limit);
    const after = opts.after === undefined ? undefined : Number(opts.after);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new GatehouseError('VALIDATION_FAILED', '--limit must be an integer 1-1000');
    if (after !== undefined && !(Number.isInteger(after) && after >= 0))
      throw new GatehouseError('VALIDATION_FAILED', '--after must be a non-negative integer');
    const list = await withAudit(opts, (a) =>
      a.list({
        limit,
        ...(opts.subject ? { subject: opts.subject } : {}),
        ...(after !== undefined ? { after } : {}),
      }),
    );
    if (opts.json) return console.log(JSON.stringify(list));
    if (list.length === 0) return console.log('no entries');
    for (const e of list)
      console.log(
        `${e.seq}\t${new Date(e.at).toISOString()}\t${e.actor}\t${e.action}\t${e.subject}\t${JSON.stringify(e.data)}`,
      );
  });
}
