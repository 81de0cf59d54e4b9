import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { GatehouseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import type { AuditService } from './index.ts';

/**
 * Anchoring the audit chain outside the database. The chain head (seq, hash, count) is signed with an
 * Ed25519 key — from the config (`auditAnchorKey`) or generated once into <dataDir>/audit-anchor.key —
 * and appended, one JSON line per export, to a file the operator names (`auditAnchorFile`), at start, on
 * a schedule and at shutdown. Someone who can rewrite the database (delete the tail and rewrite the
 * checkpoint to match) cannot rewrite what was exported, and cannot forge a new line without the key:
 * `gatehouse audit verify --anchor FILE` finds every exported head gone or changed.
 */

export interface AnchorLine {
  v: 1;
  seq: number;
  hash: string;
  count: number;
  at: number;
  /** The signing key's public half (raw 32 bytes, base64url). */
  key: string;
  /** Ed25519 signature (base64url) over `gatehouse-audit-anchor|v1|seq|hash|count|at`. */
  sig: string;
}

const KEY_FILE = 'audit-anchor.key';
const message = (l: Pick<AnchorLine, 'seq' | 'hash' | 'count' | 'at'>) =>
  Buffer.from(`gatehouse-audit-anchor|v1|${l.seq}|${l.hash}|${l.count}|${l.at}`, 'utf8');

/** The anchor key: the configured one, else the data directory's (generated on first use, mode 0600). */
export function anchorKey(o: { auditAnchorKey: string; dataDir: string }): KeyObject {
  if (o.auditAnchorKey) {
    try {
      const k = createPrivateKey({
        key: Buffer.from(o.auditAnchorKey.replace(/\s+/g, ''), 'base64'),
        format: 'der',
        type: 'pkcs8',
      });
      if (k.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
      return k;
    } catch (e) {
      throw new GatehouseError(
        'CONFIG_INVALID',
        `auditAnchorKey is not a base64 PKCS#8 Ed25519 private key (${(e as Error).message})`,
      );
    }
  }
  const path = join(o.dataDir, KEY_FILE);
  if (!existsSync(path)) {
    mkdirSync(o.dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  }
  return createPrivateKey(readFileSync(path));
}

/** The raw public key (base64url) of a private or public Ed25519 key. */
export function publicKeyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return (pub.export({ format: 'jwk' }) as { x: string }).x;
}

function publicKeyFrom(id: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: id }, format: 'jwk' });
}

export function signHead(
  key: KeyObject,
  head: { seq: number; hash: string; count: number },
  at: number,
): AnchorLine {
  const base = { seq: head.seq, hash: head.hash, count: head.count, at };
  return { v: 1, ...base, key: publicKeyId(key), sig: sign(null, message(base), key).toString('base64url') };
}

/** Appends the signed head to the file (and syncs it); a head already last in the file is not repeated. */
export async function exportAnchor(
  audit: AuditService,
  file: string,
  key: KeyObject,
  at = Date.now(),
): Promise<AnchorLine | undefined> {
  const head = await audit.head();
  const last = existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').at(-1) : undefined;
  if (last) {
    try {
      const l = JSON.parse(last) as AnchorLine;
      if (l.seq === head.seq && l.hash === head.hash) return undefined;
    } catch {
      /* a damaged last line: write a new one after it */
    }
  }
  const line = signHead(key, head, at);
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(line)}\n`, { mode: 0o644 });
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return line;
}

export interface AnchorProblem {
  line: number;
  detail: string;
}

/**
 * Reads an anchor file: the heads whose signature verifies (with `expectedKey`, when given, the only
 * key accepted), and a problem for every line that does not.
 */
export function readAnchors(
  file: string,
  expectedKey?: string,
): { anchors: Array<{ seq: number; hash: string }>; problems: AnchorProblem[] } {
  if (!existsSync(file)) throw new GatehouseError('VALIDATION_FAILED', `anchor file ${file} does not exist`);
  const anchors: Array<{ seq: number; hash: string }> = [];
  const problems: AnchorProblem[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (!text.trim()) return;
      let l: AnchorLine;
      try {
        l = JSON.parse(text) as AnchorLine;
      } catch {
        problems.push({ line: i + 1, detail: 'not JSON' });
        return;
      }
      const shape =
        l.v === 1 &&
        Number.isInteger(l.seq) &&
        /^[0-9a-f]{64}$/.test(l.hash) &&
        Number.isInteger(l.count) &&
        Number.isFinite(l.at) &&
        typeof l.key === 'string' &&
        typeof l.sig === 'string';
      if (!shape) return void problems.push({ line: i + 1, detail: 'not an anchor line' });
      if (expectedKey && l.key !== expectedKey)
        return void problems.push({
          line: i + 1,
          detail: `signed with another key (${l.key.slice(0, 12)}…)`,
        });
      let good: boolean;
      try {
        good = verify(null, message(l), publicKeyFrom(l.key), Buffer.from(l.sig, 'base64url'));
      } catch {
        good = false;
      }
      if (!good)
        return void problems.push({
          line: i + 1,
          detail: 'the signature does not verify (forged or altered)',
        });
      anchors.push({ seq: l.seq, hash: l.hash });
    });
  return { anchors, problems };
}

/** Exports at start, every `intervalMs`, and at stop. */
export class AnchorSchedule {
  private timer: NodeJS.Timeout | undefined;
  private readonly audit: AuditService;
  private readonly o: { file: string; key: KeyObject; intervalMs: number; log?: Logger };

  constructor(audit: AuditService, o: { file: string; key: KeyObject; intervalMs: number; log?: Logger }) {
    this.audit = audit;
    this.o = o;
  }

  private async run(): Promise<void> {
    try {
      await exportAnchor(this.audit, this.o.file, this.o.key);
    } catch (err) {
      this.o.log?.error({ err, file: this.o.file }, 'audit anchor export failed');
    }
  }

  async start(): Promise<void> {
    await this.run();
    this.timer = setInterval(() => void this.run(), this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.run();
  }
}
