import {
  AppAccessEvent,
  AppAnomalyEvent,
  AppAuthorisedEvent,
  AppSuspendedEvent,
  IdentityEvent,
  Localized,
  RecoveryCaseEvent,
} from '@gatehouse/sdk';
import { z } from 'zod';
import { isSignalName } from '../engine/config.ts';
import type { Campaign, Decision, SignalName } from '../engine/types.ts';
import { GatehouseError } from '../errors/index.ts';

/**
 * The catalogue of bus events: one zod schema per event type. The outbox refuses an event whose shape
 * does not match its schema (so a producer that drifts fails its tests), and `subscribe` hands each
 * handler its type's event. Identity events are the SDK's (`IdentityEvent`), the same schema platforms
 * read; the engine's `Decision` is the one decision type the response and incidents parts consume.
 */

const head = { id: z.string(), time: z.number() };

const Reason = z.object({ en: z.string(), zh: z.string() });
/** One of the engine's signal names (engine/config.ts). */
const Signal = z.custom<SignalName>(
  (v) => typeof v === 'string' && isSignalName(v),
  'an unknown signal name',
);

/** The engine's Decision, checked against its TypeScript definition (engine/types.ts). */
export const DecisionSchema: z.ZodType<Decision> = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.custom<Decision['eventType']>((v) => typeof v === 'string'),
  account: z.string(),
  session: z.string().optional(),
  time: z.number(),
  action: z.enum(['allow', 'challenge', 'hold', 'block', 'contain']),
  logit: z.number(),
  risk: z.number(),
  reasons: z.array(Reason.extend({ signal: Signal })),
  signals: z.array(
    z.object({
      name: Signal,
      value: z.union([z.number(), z.string()]),
      facts: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
      strength: z.number(),
      weight: z.number(),
      logOdds: z.number(),
      reason: Reason,
    }),
  ),
  campaigns: z.array(z.string()).optional(),
  fingerprints: z.array(z.string()).optional(),
  checked: z.boolean().optional(),
  messageId: z.string().optional(),
});

/** The engine's Campaign (engine/types.ts). */
export const CampaignSchema: z.ZodType<Campaign> = z.object({
  id: z.string(),
  kind: z.enum(['text', 'domain', 'image']),
  key: z.string(),
  sample: z.string(),
  members: z.array(z.string()),
  memberCount: z.number(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  status: z.enum(['active', 'quarantined', 'dismissed']),
  senders10m: z.number().optional(),
  senders60m: z.number().optional(),
  deviating60m: z.number().optional(),
});

/** The engine decided about an event (every decision, allow included). */
export const DecisionMadeEvent = z.object({
  ...head,
  type: z.literal('decision.made'),
  account: z.string(),
  decision: DecisionSchema,
});

/** A content fingerprint became a campaign, or a campaign reached 10, 20, 50, 100 … members. */
export const CampaignDetectedEvent = z.object({
  ...head,
  type: z.literal('campaign.detected'),
  campaign: CampaignSchema,
});
export const CampaignGrewEvent = z.object({
  ...head,
  type: z.literal('campaign.grew'),
  campaign: CampaignSchema,
});

/** The response part took (or, in dry-run, planned) one action of the policy. */
export const ActionTakenEvent = z.object({
  ...head,
  type: z.literal('action.taken'),
  account: z.string(),
  action: z.object({
    id: z.string(),
    kind: z.string(),
    mode: z.enum(['enforce', 'dry-run']),
    status: z.enum(['done', 'skipped', 'failed']),
    rule: z.string(),
    decision: z.string(),
    /** What was done; `notify_owner` carries the owner's `text`. */
    detail: z.looseObject({ text: Localized.optional() }),
    /** Decision time → this action committed (how long the harm was allowed to continue). */
    sinceDecisionMs: z.number(),
    ms: z.number(),
  }),
});

/** An account-level recovery event (codes, friends, channels, disputed changes, sanction appeals). */
export const RecoveryAccountEvent = z.looseObject({
  ...head,
  type: z.templateLiteral(['recovery.', z.string()]),
  account: z.string(),
});

const BY_TYPE = {
  'decision.made': DecisionMadeEvent,
  'campaign.detected': CampaignDetectedEvent,
  'campaign.grew': CampaignGrewEvent,
  'action.taken': ActionTakenEvent,
  'app.authorised': AppAuthorisedEvent,
  'app.access': AppAccessEvent,
  'app.suspended': AppSuspendedEvent,
  'app.anomaly': AppAnomalyEvent,
  ...Object.fromEntries(IdentityEvent.options.map((o) => [o.shape.type.value, o])),
} as {
  'decision.made': typeof DecisionMadeEvent;
  'campaign.detected': typeof CampaignDetectedEvent;
  'campaign.grew': typeof CampaignGrewEvent;
  'action.taken': typeof ActionTakenEvent;
  'app.authorised': typeof AppAuthorisedEvent;
  'app.access': typeof AppAccessEvent;
  'app.suspended': typeof AppSuspendedEvent;
  'app.anomaly': typeof AppAnomalyEvent;
} & { [T in IdentityEvent['type']]: z.ZodType<Extract<IdentityEvent, { type: T }>> };

/** Every event type with a schema of its own; `recovery.case.<step>` and `recovery.<…>` are families. */
export type BusEventType = keyof typeof BY_TYPE;
export const BUS_EVENT_TYPES = Object.keys(BY_TYPE) as BusEventType[];

/** The event of one type, as its subscribers receive it. */
export type BusEventOf<T extends BusEventType> = z.output<(typeof BY_TYPE)[T]>;

/** Anything the outbox accepts: an event of the catalogue. */
export type CatalogueEvent =
  | { [T in BusEventType]: BusEventOf<T> }[BusEventType]
  | z.output<typeof RecoveryCaseEvent>
  | z.output<typeof RecoveryAccountEvent>;

export function isBusEventType(t: string): t is BusEventType {
  return Object.hasOwn(BY_TYPE, t);
}

function schemaOf(type: string): z.ZodType | undefined {
  if (isBusEventType(type)) return BY_TYPE[type];
  if (type.startsWith('recovery.case.')) return RecoveryCaseEvent;
  if (type.startsWith('recovery.')) return RecoveryAccountEvent;
  return undefined;
}

/**
 * Checks an event against its type's schema before it enters the outbox. An unknown type or a shape
 * that does not match is a programming error: it throws (BUS_EVENT_INVALID) and the producer's
 * transaction rolls back, so the state change is not recorded without its event.
 */
export function checkBusEvent(e: { type: string }): void {
  const schema = schemaOf(e.type);
  if (!schema) throw new GatehouseError('BUS_EVENT_INVALID', `no bus event type "${e.type.slice(0, 100)}"`);
  const r = schema.safeParse(e);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new GatehouseError(
      'BUS_EVENT_INVALID',
      `${e.type}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    );
  }
}
