import { z } from 'zod';

/** Response bodies of the OAuth part's JSON routes (the API document and the serializer use them). */
const Names = z.object({ en: z.string(), zh: z.string() });

export const AppOut = z.object({
  id: z.string(),
  name: Names,
  kind: z.enum(['confidential', 'public']),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  grantTypes: z.array(z.string()),
  scopes: z.array(z.string()).describe('the ceiling as registered'),
  reviewedScopes: z.array(z.string()),
  allowedScopes: z
    .array(z.string())
    .describe('what the app may ask for (ceiling less unreviewed sensitive scopes)'),
  verified: z.boolean(),
  backchannelLogoutUri: z.string().nullable(),
  jwksUri: z.string().nullable(),
  rateLimitPerMinute: z.number(),
  status: z.enum(['active', 'suspended']),
  statusReason: z.string().nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});

export const AppCreated = z.object({
  app: AppOut,
  clientSecret: z.string().nullable().describe('shown once; null for a public app'),
});

export const Suspended = z.object({
  app: AppOut,
  grants: z.number(),
  revoked: z.unknown().describe('tokens and sessions revoked, by kind'),
  users: z.number(),
  incident: z.string(),
});

export const AccessEntryOut = z.object({
  seq: z.number(),
  client: z.string(),
  resource: z.string(),
  fields: z.array(z.string()),
  ip: z.string(),
  network: z.string(),
  at: z.number(),
});

export const AuthorisedAppOut = z.object({
  client: z.string(),
  name: Names,
  verified: z.boolean(),
  status: z.enum(['active', 'suspended']),
  grants: z.array(z.string()),
  scopes: z.array(z.string()),
  authorisedAt: z.number(),
  lastAccessAt: z.number().nullable(),
});

export const KeyOut = z.object({
  kid: z.string(),
  alg: z.string(),
  createdAt: z.number(),
  retiredAt: z.number().nullable(),
  expiresAt: z.number().nullable(),
  state: z.enum(['signing', 'published']),
});

export const ProfileOut = z.object({
  sub: z.string().describe("the user's pairwise id for this app"),
  fields: z.record(z.string(), z.union([z.string(), z.number()])).describe('only the granted fields'),
});

export const FriendsOut = z.object({ sub: z.string(), friends: z.array(z.string()) });
