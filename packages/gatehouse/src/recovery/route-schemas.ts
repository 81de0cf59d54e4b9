import { Device, Localized } from '@gatehouse/sdk';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatehouseError } from '../errors/index.ts';
import { CASE_STATES } from './schema.ts';
import { VERIFIER_KINDS } from './verifiers.ts';

/** The request and answer schemas the recovery routes share. */

/** The SDK's Localized text (every user-facing text Gatehouse sends). */
export const Bilingual = Localized;

export const NextS = z.object({
  step: z.enum([
    'choose_method',
    'answer',
    'wait_for_friends',
    'wait',
    'pledge',
    'password',
    'review_sessions',
    'finish',
    'done',
  ]),
  en: z.string(),
  zh: z.string(),
});

export const CaseS = z.object({
  id: z.string(),
  state: z.enum(CASE_STATES),
  details: z
    .boolean()
    .describe('false before verification: account, window and what was done are hidden until then'),
  account: z.object({ id: z.string(), handle: z.string() }).nullable(),
  openedBy: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  method: z.string().nullable(),
  verifiedBy: z.string().nullable(),
  verifiedAt: z.number().nullable(),
  readyAt: z.number().nullable(),
  pledge: z.object({ version: z.string(), at: z.number() }).nullable(),
  passwordChanged: z.boolean(),
  sessionsReviewed: z.boolean(),
  lockedUntil: z.number().nullable(),
  window: z.object({ start: z.number(), end: z.number() }).nullable(),
  rejectReason: z.string().nullable(),
  closedAt: z.number().nullable(),
  next: NextS,
});

/** Every step of the appeal answers this shape: the case (with the next step) and the step's own members. */
export const stepAnswer = <T extends z.ZodRawShape>(extra: T) => z.object({ case: CaseS, ...extra });

/** The owner's report (recovery/report.ts OwnerReport). */
export const ReportS = z.object({
  case: z.string(),
  account: z.object({ id: z.string(), handle: z.string() }),
  generatedAt: z.number(),
  window: z.object({ start: z.number(), end: z.number() }),
  entry: z
    .object({
      method: z.string(),
      ip: z.string(),
      device: z.string(),
      at: z.number(),
      source: z.enum(['engine', 'signin-history']),
    })
    .nullable(),
  decision: z
    .object({
      at: z.number(),
      summary: z.string().describe('the signal names (for machines)'),
      why: Bilingual.nullable().describe('why, in plain words with the values'),
    })
    .nullable(),
  messages: z
    .object({
      count: z.number().describe('messages that left the account'),
      stopped: z.number().describe('messages the pre-send check stopped: they reached nobody'),
      recipientsReached: z.number(),
      groupsReached: z.number(),
      sample: z.array(z.object({ at: z.number(), text: z.string(), urls: z.array(z.string()) })),
    })
    .nullable(),
  retracted: z.object({ count: z.number() }).nullable(),
  warned: z.object({ count: z.number() }).nullable(),
  restored: z.unknown().describe('the restore plan sent to the platform (friends, groups, profile), or null'),
  signInFactors: z
    .object({
      passkeysRemoved: z.array(z.string()).describe('passkeys registered during the takeover: removed'),
      passkeysRestored: z.array(z.string()).describe('the owner’s passkeys removed during it: back'),
      totpRemoved: z.boolean().describe('an authenticator app set up during the takeover: removed'),
      totpRestored: z.boolean().describe('the owner’s authenticator app removed during it: back'),
      passkeysLeftRemoved: z
        .array(z.string())
        .describe('passkeys removed during it from a session that began before it: not put back'),
      totpLeftRemoved: z
        .boolean()
        .describe('an authenticator app removed during it from a session that began before it: not put back'),
    })
    .nullable()
    .describe('sign-in factors put right at the restore; null when the window was not known'),
  sessionsRevoked: z.number(),
  verifiedBy: z.string().nullable(),
  restoredAt: z.number().nullable(),
  apps: z
    .array(z.object({ client: z.string(), name: Bilingual, fields: z.array(z.string()), reads: z.number() }))
    .nullable(),
  advice: z.array(Bilingual),
});

export const Methods = z.array(z.object({ kind: z.enum(VERIFIER_KINDS), available: z.boolean() }));

export const ChannelS = z.object({
  id: z.string(),
  kind: z.enum(['email', 'phone']),
  address: z.string(),
  verified: z.boolean(),
  verifiedAt: z.number().nullable(),
  createdAt: z.number(),
  usableFrom: z.number().nullable(),
  removedAt: z.number().nullable(),
});

export const OriginS = z.object({
  network: z.string(),
  country: z.string().nullable(),
  device: z.string(),
});

export const ReviewS = z.object({
  id: z.string(),
  method: z.string(),
  /** The same Device as the SDK's (and identity's session lists). */
  device: Device,
  ip: z.string(),
  createdAt: z.number(),
  live: z.boolean(),
  duringCompromise: z.boolean(),
  revokedReason: z.string().nullable(),
});

export const IdParam = z.strictObject({ id: z.string().min(1).max(100) });
export const Code = z.string().min(1).max(64);
export const ReportQuery = z.strictObject({
  format: z.enum(['json', 'markdown']).default('json'),
  lang: z.enum(['en', 'zh']).default('zh'),
});
export const IdList = z.array(z.string().min(1).max(100)).max(500);

export function caseToken(req: FastifyRequest): string {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
  if (!m)
    throw new GatehouseError('RECOVERY_TOKEN_INVALID', 'Send the appeal token: Authorization: Bearer ghr_…');
  return m[1]!;
}
