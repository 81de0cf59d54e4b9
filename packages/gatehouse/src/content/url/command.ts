/** CLI: `gatehouse domains check --brands FILE [--json]` reads domains (one a line) on stdin. */
import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { GatehouseError } from '../../errors/index.ts';
import type { ErrorCode } from '../../errors/index.ts';
import { analyzeUrl } from './analyze.ts';
import type { UrlContext } from './analyze.ts';
import type { Reason } from './messages.ts';
import { loadBrands, loadDomainList } from './loader.ts';

export interface DomainCheck {
  domain: string;
  verdict: 'blocked' | 'lookalike' | 'suspicious' | 'clean';
  brand?: string;
  reasons: Reason[];
}

export function checkDomain(domain: string, ctx: UrlContext): DomainCheck {
  const a = analyzeUrl(domain, ctx);
  return a.brand !== undefined
    ? { domain, verdict: a.verdict, brand: a.brand, reasons: a.reasons }
    : { domain, verdict: a.verdict, reasons: a.reasons };
}

function detail(r: Reason): string {
  if (r.code === 'url.lookalike') return `${String(r.rule)}(${String(r.label)}→${String(r.target)})`;
  return r.code.replace(/^url\./, '');
}

/** Formats results as an aligned text table. */
export function formatTable(rows: DomainCheck[]): string {
  const cells = [
    ['domain', 'verdict', 'brand', 'reasons'],
    ...rows.map((r) => [r.domain, r.verdict, r.brand ?? '', r.reasons.map(detail).join(', ')]),
  ];
  const w = [0, 1, 2].map((i) => Math.min(60, Math.max(...cells.map((c) => c[i]!.length))));
  return cells
    .map((c) => `${c[0]!.padEnd(w[0]!)}  ${c[1]!.padEnd(w[1]!)}  ${c[2]!.padEnd(w[2]!)}  ${c[3]}`.trimEnd())
    .join('\n');
}

function load<T>(what: string, code: ErrorCode, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof GatehouseError) throw e;
    throw new GatehouseError(code, `cannot read ${what}: ${(e as Error).message}`);
  }
}

export function registerDomains(program: Command): void {
  const domains = program.command('domains').description('Domain and URL tools / 域名与链接工具');
  domains
    .command('check')
    .description(
      'Check domains or URLs (one a line on stdin) against protected brands / 检查域名是否仿冒受保护品牌',
    )
    .requiredOption('--brands <file>', 'protected brands JSON file')
    .option('--allow <file>', 'allowlist file')
    .option('--block <file>', 'blocklist file')
    .option('--json', 'print one JSON object a line')
    .action(async (opts: { brands: string; allow?: string; block?: string; json?: boolean }) => {
      const ctx: UrlContext = {
        brands: load(opts.brands, 'BRANDS_INVALID', () => loadBrands(opts.brands)),
        allow: opts.allow ? load(opts.allow, 'DOMAIN_LIST_INVALID', () => loadDomainList(opts.allow!)) : null,
        block: opts.block ? load(opts.block, 'DOMAIN_LIST_INVALID', () => loadDomainList(opts.block!)) : null,
      };
      const rows: DomainCheck[] = [];
      const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
      for await (const raw of rl) {
        const line = raw.trim();
        if (line === '' || line.startsWith('#')) continue;
        const r = checkDomain(line, ctx);
        if (opts.json) {
          if (!process.stdout.write(`${JSON.stringify(r)}\n`))
            await new Promise((res) => process.stdout.once('drain', res));
        } else rows.push(r);
      }
      if (!opts.json) console.log(formatTable(rows));
    });
}
