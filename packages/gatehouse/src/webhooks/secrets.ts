import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';

/**
 * The key that encrypts secrets at rest: the secretKey setting, or else <dataDir>/secret.key, generated
 * (32 random bytes, mode 0600) at first start. The key itself is never logged.
 */
export function resolveSecretKey(config: Pick<Config, 'secretKey' | 'dataDir'>, log?: Logger): Buffer {
  if (config.secretKey) return Buffer.from(config.secretKey, 'base64');
  const file = join(config.dataDir, 'secret.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32)
      throw new GatehouseError('CONFIG_INVALID', `${file} must hold the base64 of 32 bytes`);
    return key;
  }
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return resolveSecretKey(config, log);
    throw e;
  }
  log?.info(
    { file },
    'generated a secret key for encrypting webhook secrets; back it up, or set GATEHOUSE_SECRET_KEY',
  );
  return key;
}

/** AES-256-GCM sealing: "v1." + base64url(12-byte IV | 16-byte tag | ciphertext), bound to a context. */
export class SecretBox {
  private readonly key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.key = key;
  }
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return `v1.${Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64url')}`;
  }
  open(sealed: string, context: string): string {
    try {
      if (!sealed.startsWith('v1.')) throw new Error('unknown format');
      const raw = Buffer.from(sealed.slice(3), 'base64url');
      const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      d.setAAD(Buffer.from(context, 'utf8'));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
    } catch {
      throw new GatehouseError(
        'SECRET_KEY_INVALID',
        'a stored secret cannot be decrypted: the secret key differs from the one that encrypted it',
      );
    }
  }
}
