// What each operator role may do, as the API key scopes the existing routes already check. The server
// checks every request against this table; the console only hides what a role cannot do.
import type { Scope } from '../keys/index.ts';
import type { Role } from './schema.ts';

const READ: Scope[] = [
  'accounts:read',
  'response:read',
  'content:read',
  'incidents:read',
  'webhooks:read',
  'audit:read',
  'recovery:read',
  'apps:read',
];

/**
 * - viewer: reads everything an operator can see.
 * - analyst: also labels content, decides reports, writes incident notes and status.
 * - responder: also acts on accounts (freeze, unfreeze, revoke sessions), holds, quarantine, appeals,
 *   apps (suspend, kill switch) and webhook replays.
 * - admin: everything, including API keys, webhook endpoints, policy reload and operators.
 */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  viewer: READ,
  analyst: [...READ, 'content:write', 'incidents:write'],
  responder: [
    ...READ,
    'content:write',
    'incidents:write',
    'accounts:write',
    'response:write',
    'recovery:write',
    'apps:write',
    'webhooks:write',
  ],
  admin: ['admin'],
};

export function roleAllows(role: Role, scope: Scope): boolean {
  const s = ROLE_SCOPES[role];
  return s.includes('admin') || s.includes(scope);
}
