import { createHash } from 'node:crypto';
import { GatehouseError } from '../errors/index.ts';
import type { AuditLogTable } from './schema.ts';

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, no undefined members. The same value
 * always serialises to the same bytes, so a hash over it is stable across databases and versions.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new GatehouseError('AUDIT_ENTRY_INVALID', 'numbers must be finite');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
    }
    default:
      throw new GatehouseError('AUDIT_ENTRY_INVALID', `cannot serialise a ${typeof value}`);
  }
}

/** hash = SHA-256(prev_hash || canonical row), hex. The row is every column except the hashes. */
export function entryHash(prevHash: string, row: Omit<AuditLogTable, 'prev_hash' | 'hash'>): string {
  const canonical = canonicalJson({
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    data: row.data,
  });
  return createHash('sha256').update(prevHash, 'utf8').update(canonical, 'utf8').digest('hex');
}
