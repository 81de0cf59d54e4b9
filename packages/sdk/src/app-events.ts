import { z } from 'zod';
import { Localized } from './localized.ts';

/**
 * Third-party apps (Gatehouse's OpenID Connect provider): the bus events Gatehouse publishes about apps
 * and the `app.suspended` webhook the platform receives for each affected user.
 */

/** Bus: a user authorised an app, or changed what it may read (scopes granted, field by field). */
export const AppAuthorisedEvent = z.object({
  id: z.string(),
  type: z.literal('app.authorised'),
  time: z.number().int(),
  account: z.string(),
  client: z.string(),
  app: Localized,
  verified: z.boolean(),
  grant: z.string(),
  scopes: z.array(z.string()),
  /** Scopes asked for that the user declined. */
  declined: z.array(z.string()),
});
export type AppAuthorisedEvent = z.infer<typeof AppAuthorisedEvent>;

/** Bus: an app read a user's data (one event per app and user per access-log batch). */
export const AppAccessEvent = z.object({
  id: z.string(),
  type: z.literal('app.access'),
  time: z.number().int(),
  account: z.string(),
  client: z.string(),
  /** Resources and fields read in the batch ("userinfo", "profile", "friends", "nickname", …). */
  fields: z.array(z.string()),
  reads: z.number().int(),
});
export type AppAccessEvent = z.infer<typeof AppAccessEvent>;

/** Payload of the `app.suspended` webhook (one per affected user) and of the bus event of that name. */
export const AppSuspended = z.object({
  account: z.string(),
  client: z.string(),
  app: Localized,
  reason: z.string(),
  incident: z.string(),
  /** Fields the app had read from this user (empty: it never read any). */
  fieldsRead: z.array(z.string()),
  /** What to tell the user, in both languages. */
  notice: Localized,
});
export type AppSuspended = z.infer<typeof AppSuspended>;

export const AppSuspendedEvent = AppSuspended.extend({
  id: z.string(),
  type: z.literal('app.suspended'),
  time: z.number().int(),
});
export type AppSuspendedEvent = z.infer<typeof AppSuspendedEvent>;

/** Bus: an app behaved anomalously (named signals with values and weights); an incident was opened. */
export const AppAnomalyEvent = z.object({
  id: z.string(),
  type: z.literal('app.anomaly'),
  time: z.number().int(),
  client: z.string(),
  kind: z.enum(['app_reading_breadth', 'app_token_networks']),
  incident: z.string(),
  score: z.number(),
  signals: z.array(
    z.object({
      name: z.string(),
      value: z.number(),
      weight: z.number(),
      threshold: z.number(),
      /** The signal in plain words (events stored before it was added carry none). */
      explanation: Localized.optional(),
    }),
  ),
});
export type AppAnomalyEvent = z.infer<typeof AppAnomalyEvent>;
