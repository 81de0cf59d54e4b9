/**
 * CLI: `gatehouse pdq FILE...` and `gatehouse banks …` (hash banks in a bank file).
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { GatehouseError, isGatehouseError } from '../../errors/index.ts';
import type { BankEntry, HashBank } from './hash-bank.ts';
import { DEFAULT_RADIUS, MAX_RADIUS } from './bank.ts';
import { pdqDihedralImage, pdqHashImage, readImageFile } from './decode.ts';
import type { ExportFormat, ImportFormat } from './format.ts';
import {
  EXPORT_FORMATS,
  IMPORT_FORMATS,
  bankFromText,
  bankToText,
  formatEntries,
  importInto,
} from './format.ts';
import type { PdqDihedral, PdqHash } from './pdq.ts';
import { PDQ_MIN_QUALITY, isPdqHex, pdqFromHex, pdqToHex } from './pdq.ts';
import { bankFromSnapshot, bankToSnapshot, isSnapshot } from './snapshot.ts';

const DIHEDRAL_NAMES: ReadonlyArray<keyof Omit<PdqDihedral, 'quality'>> = [
  'original',
  'rotate90',
  'rotate180',
  'rotate270',
  'flipX',
  'flipY',
  'flipPlus1',
  'flipMinus1',
];

function errorText(e: unknown): { code: string; message: string } {
  if (isGatehouseError(e)) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

export function registerPdq(program: Command): void {
  program
    .command('pdq')
    .description('Print the PDQ perceptual hash and quality of image files / 计算图片的 PDQ 感知哈希')
    .argument('<files...>', 'image files (JPEG, PNG, GIF, WebP, AVIF, TIFF)')
    .option('--json', 'one JSON object per line: {"file","hash","quality","width","height","format"}')
    .addHelpText(
      'after',
      '\nOutput: HASH<TAB>QUALITY<TAB>FILE per file (quality 0..100; below 50 the hash is not trusted).\n' +
        'A file that cannot be hashed prints an error (stderr, or an {"file","error"} JSON line) and\n' +
        'the others go on; the exit code is then 1.',
    )
    .action(async (files: string[], opts: { json?: boolean }) => {
      let failed = 0;
      for (const file of files) {
        try {
          const r = await pdqHashImage(await readImageFile(file));
          const hash = pdqToHex(r.hash);
          if (opts.json) {
            console.log(
              JSON.stringify({
                file,
                hash,
                quality: r.quality,
                width: r.width,
                height: r.height,
                format: r.format,
              }),
            );
          } else console.log(`${hash}\t${r.quality}\t${file}`);
        } catch (e) {
          failed++;
          const err = errorText(e);
          if (opts.json) console.log(JSON.stringify({ file, error: err }));
          else console.error(`gatehouse pdq: ${file}: ${err.code}: ${err.message}`);
        }
      }
      if (failed) process.exitCode = 1;
    });
}

/** Bank files ending in .ghbank are written as binary snapshots; any bank file is read by content. */
export const SNAPSHOT_EXTENSION = '.ghbank';

async function loadBank(path: string, create: boolean): Promise<HashBank> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && create) return bankFromText('');
    throw new GatehouseError('BANK_FILE_INVALID', `cannot read bank file ${path}: ${String(e)}`, {
      cause: e,
    });
  }
  if (isSnapshot(bytes)) return bankFromSnapshot(bytes);
  return bankFromText(bytes.toString('utf8'));
}

async function saveBank(path: string, bank: HashBank): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, path.endsWith(SNAPSHOT_EXTENSION) ? bankToSnapshot(bank) : bankToText(bank));
  await rename(tmp, path);
}

function parseId(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1)
    throw new GatehouseError('BAD_REQUEST', `--id must be a positive integer`);
  return n;
}

function parseRadius(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > MAX_RADIUS) {
    throw new GatehouseError('BAD_REQUEST', `--radius must be an integer in 0..${MAX_RADIUS}`);
  }
  return n;
}

function printEntry(
  e: BankEntry & { distance?: number; transform?: string },
  json: boolean | undefined,
): void {
  if (json) console.log(JSON.stringify(e));
  else {
    const d = e.distance === undefined ? '' : `\t${e.distance}`;
    const t = e.transform === undefined ? '' : `\t${e.transform}`;
    console.log(`${e.id}\t${e.type}\t${e.value}\t${e.label}\t${e.source}${d}${t}`);
  }
}

export function registerBanks(program: Command): void {
  const banks = program
    .command('banks')
    .description('Manage hash banks (PDQ and SHA-256) kept in a bank file / 管理哈希库')
    .addHelpText(
      'after',
      '\nA bank file is CSV: signal_type,signal_value,label,source,id,quality (see content/image/README.md),\n' +
        'or a compact binary snapshot when its name ends in .ghbank. It is created by the first `add` or `import`.',
    );

  banks
    .command('add')
    .description('Add a PDQ hash, an image (hashed with PDQ) or a SHA-256 digest')
    .requiredOption('--bank <file>', 'bank file')
    .option('--hash <pdq>', 'PDQ hash (64 hex digits)')
    .option('--image <file>', 'image to hash with PDQ (refused if quality < 50)')
    .option('--sha256 <digest>', 'SHA-256 digest for exact matching')
    .option('--file <file>', 'any file: its SHA-256 digest is banked for exact matching')
    .option('--label <label>', 'label (e.g. the category or case)', '')
    .option('--source <source>', 'where the hash came from', '')
    .option('--quality <n>', 'PDQ quality of --hash, if known (below 50 is refused)')
    .action(
      async (o: {
        bank: string;
        hash?: string;
        image?: string;
        sha256?: string;
        file?: string;
        label: string;
        source: string;
        quality?: string;
      }) => {
        const given = [o.hash, o.image, o.sha256, o.file].filter((x) => x !== undefined).length;
        if (given !== 1)
          throw new GatehouseError('BAD_REQUEST', 'give exactly one of --hash, --image, --sha256, --file');
        const bank = await loadBank(o.bank, true);
        let id: number;
        const meta = { label: o.label, source: o.source };
        if (o.hash !== undefined) {
          const quality = o.quality === undefined ? undefined : Number(o.quality);
          id = bank.add({ type: 'pdq', value: o.hash.toLowerCase(), quality, ...meta });
        } else if (o.image !== undefined) {
          const r = await pdqHashImage(await readImageFile(o.image));
          id = bank.add({ type: 'pdq', value: pdqToHex(r.hash), quality: r.quality, ...meta });
        } else if (o.sha256 !== undefined) {
          id = bank.add({ type: 'sha256', value: o.sha256, ...meta });
        } else {
          const digest = createHash('sha256')
            .update(await readFile(o.file!))
            .digest('hex');
          id = bank.add({ type: 'sha256', value: digest, ...meta });
        }
        await saveBank(o.bank, bank);
        printEntry(bank.get(id)!, false);
      },
    );

  banks
    .command('remove')
    .description('Remove entries by id, or every entry with a given hash value')
    .requiredOption('--bank <file>', 'bank file')
    .option('--id <id>', 'entry id')
    .option('--hash <value>', 'PDQ hash or SHA-256 digest (every entry with this exact value)')
    .action(async (o: { bank: string; id?: string; hash?: string }) => {
      if ((o.id === undefined) === (o.hash === undefined)) {
        throw new GatehouseError('BAD_REQUEST', 'give exactly one of --id, --hash');
      }
      const bank = await loadBank(o.bank, false);
      let ids: number[];
      if (o.id !== undefined) ids = [parseId(o.id)];
      else {
        const v = o.hash!.trim().toLowerCase();
        ids = bank
          .list()
          .filter((e) => e.value === v)
          .map((e) => e.id);
      }
      const removed = ids.filter((id) => bank.remove(id));
      if (removed.length === 0)
        throw new GatehouseError('BANK_ENTRY_NOT_FOUND', `no entry ${o.id ?? o.hash}`);
      await saveBank(o.bank, bank);
      console.log(`removed ${removed.length}: ${removed.join(', ')}`);
    });

  banks
    .command('list')
    .description('List entries: ID<TAB>TYPE<TAB>VALUE<TAB>LABEL<TAB>SOURCE')
    .requiredOption('--bank <file>', 'bank file')
    .option('--json', 'one JSON object per line')
    .option('--label <label>', 'only entries with this label')
    .action(async (o: { bank: string; json?: boolean; label?: string }) => {
      const bank = await loadBank(o.bank, false);
      for (const e of bank.list()) if (o.label === undefined || e.label === o.label) printEntry(e, o.json);
    });

  banks
    .command('import')
    .description('Import a ThreatExchange / HMA hash list (or a Gatehouse bank CSV) into the bank')
    .requiredOption('--bank <file>', 'bank file (created if missing)')
    .option('--format <format>', `input format: ${IMPORT_FORMATS.join(', ')}`, 'hma')
    .option('--label <label>', 'label for lines that carry none', '')
    .option('--source <source>', 'source for lines that carry none (default: the file name)')
    .argument('<file>', 'hash list to import')
    .addHelpText(
      'after',
      '\nhma lines: "pdq <hash>", "pdq,<hash>[,label[,source]]" (a header row is skipped), or a bare\n' +
        '"<hash>[<TAB>label]" (PDQ). Other signal types are counted and skipped; bad lines are reported.',
    )
    .action(async (file: string, o: { bank: string; format: string; label: string; source?: string }) => {
      if (!IMPORT_FORMATS.includes(o.format as ImportFormat)) {
        throw new GatehouseError('BAD_REQUEST', `--format must be one of ${IMPORT_FORMATS.join(', ')}`);
      }
      const bank = await loadBank(o.bank, true);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new GatehouseError('BAD_REQUEST', `cannot read ${file}: ${String(e)}`, { cause: e });
      }
      const sum = importInto(bank, text, {
        format: o.format as ImportFormat,
        label: o.label,
        source: o.source ?? file,
      });
      await saveBank(o.bank, bank);
      for (const e of sum.errors.slice(0, 50))
        console.error(`gatehouse banks import: ${file}:${e.line}: ${e.message}`);
      const skipped = Object.entries(sum.skipped).map(([t, n]) => `${t}=${n}`);
      console.log(
        `added ${sum.added}, duplicates ${sum.duplicates}, errors ${sum.errors.length}` +
          (skipped.length ? `, skipped types: ${skipped.join(' ')}` : ''),
      );
      if (sum.errors.length) process.exitCode = 1;
    });

  banks
    .command('export')
    .description(
      'Export the bank (hma: "pdq <hash>" lines; csv: the full bank file; tsv: hash<TAB>label; ' +
        'snapshot: compact binary, needs --out)',
    )
    .requiredOption('--bank <file>', 'bank file')
    .option('--format <format>', `output format: ${EXPORT_FORMATS.join(', ')}, snapshot`, 'hma')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (o: { bank: string; format: string; out?: string }) => {
      if (o.format === 'snapshot') {
        if (!o.out) throw new GatehouseError('BAD_REQUEST', '--format snapshot needs --out FILE');
        await writeFile(o.out, bankToSnapshot(await loadBank(o.bank, false)));
        return;
      }
      if (!EXPORT_FORMATS.includes(o.format as ExportFormat)) {
        throw new GatehouseError(
          'BAD_REQUEST',
          `--format must be one of ${EXPORT_FORMATS.join(', ')}, snapshot`,
        );
      }
      const bank = await loadBank(o.bank, false);
      const text = formatEntries(bank.list(), o.format as ExportFormat);
      if (o.out) await writeFile(o.out, text);
      else if (text) console.log(text.replace(/\n$/, ''));
    });

  banks
    .command('match')
    .description('Match an image file or a hash against the bank (PDQ within the radius, SHA-256 exact)')
    .requiredOption('--bank <file>', 'bank file')
    .option('--radius <n>', `PDQ Hamming radius (0..${MAX_RADIUS})`, String(DEFAULT_RADIUS))
    .option('--json', 'one JSON object per match')
    .option('--dihedral', 'for an image, also match its rotations and mirror images (8 PDQ hashes)')
    .argument('<imageOrHash>', 'an image file, a PDQ hash or a SHA-256 digest (64 hex digits)')
    .addHelpText(
      'after',
      '\nOutput: ID<TAB>TYPE<TAB>VALUE<TAB>LABEL<TAB>SOURCE<TAB>DISTANCE per match, nearest first\n' +
        '(with --dihedral a last column, or "transform" in JSON, names the rotation/flip that matched).\n' +
        'For an image, its PDQ hash is matched and its SHA-256 digest looked up. Exit code: 0 when\n' +
        'something matched, 1 when nothing did, 2 on an error.',
    )
    .action(async (arg: string, o: { bank: string; radius: string; json?: boolean; dihedral?: boolean }) => {
      const radius = parseRadius(o.radius);
      const bank = await loadBank(o.bank, false);
      let pdq: string | undefined;
      let queries: PdqHash[] = [];
      let sha: string;
      if (isPdqHex(arg.trim())) {
        pdq = arg.trim().toLowerCase();
        sha = pdq;
      } else {
        const bytes = await readImageFile(arg);
        sha = createHash('sha256').update(bytes).digest('hex');
        try {
          const r = o.dihedral ? await pdqDihedralImage(bytes) : await pdqHashImage(bytes);
          pdq = pdqToHex('hash' in r ? r.hash : r.original);
          if (!('hash' in r)) {
            queries = DIHEDRAL_NAMES.map((k) => r[k]);
          }
          if (r.quality < PDQ_MIN_QUALITY) {
            console.error(
              `gatehouse banks match: ${arg}: PDQ quality ${r.quality} < ${PDQ_MIN_QUALITY}; not matched`,
            );
            pdq = undefined;
          }
        } catch (e) {
          // not an image: the SHA-256 lookup still answers
          console.error(`gatehouse banks match: ${arg}: ${errorText(e).code}: ${errorText(e).message}`);
        }
      }
      const out: Array<BankEntry & { distance: number }> = [];
      for (const s of bank.sha256.match(sha)) {
        out.push({
          id: s.id,
          type: 'sha256',
          value: s.sha256,
          label: s.label,
          source: s.source,
          distance: 0,
        });
      }
      if (pdq) {
        if (queries.length === 0) queries = [pdqFromHex(pdq)!];
        for (const m of bank.pdq.matchAny(queries, radius)) {
          const e: BankEntry & { distance: number; transform?: string } = {
            id: m.id,
            type: 'pdq',
            value: m.hash,
            label: m.label,
            source: m.source,
            distance: m.distance,
          };
          if (m.quality !== undefined) e.quality = m.quality;
          if (queries.length > 1) e.transform = DIHEDRAL_NAMES[m.query];
          out.push(e);
        }
      }
      for (const e of out) printEntry(e, o.json);
      process.exitCode = out.length ? 0 : 1;
    });
}
