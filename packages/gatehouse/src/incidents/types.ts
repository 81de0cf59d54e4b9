import type { Campaign, Decision, Signal } from '../engine/types.ts';

/** What incidents read of the engine's Campaign. */
export type CampaignFact = Pick<
  Campaign,
  'id' | 'kind' | 'key' | 'sample' | 'memberCount' | 'firstSeen' | 'lastSeen' | 'status'
> & { members: readonly string[] };

/** What incidents read of the engine's Decision (the one decision type). */
export type DecisionFact = Pick<Decision, 'id' | 'account' | 'time' | 'action'> & {
  signals: ReadonlyArray<Pick<Signal, 'name' | 'value'>>;
  campaigns?: Readonly<NonNullable<Decision['campaigns']>>;
};

export interface ActionFact {
  account: string;
  kind: string;
  mode: string;
  status: string;
  decision: string;
  at: number;
  detail: Record<string, unknown>;
}

export interface IncidentFacts {
  accounts: number;
  decisions: number;
  contained: number;
  frozen: number;
  messagesRetracted: number;
  recipientsWarned: number;
  quarantined: string[];
  samples: string[];
  signals: Record<string, number>;
  dryRunActions: number;
  campaigns: string[];
  /** For incidents about a third-party app (suspended, or behaving anomalously): who read what. */
  app?: AppIncidentFacts;
}

/** What an app incident is about: the app, why, and the fields it read (field → users read). */
export interface AppIncidentFacts {
  client: string;
  name: string;
  reason: string;
  fieldsRead: Record<string, number>;
  accountsRead: number;
}

/** An incident another part opens inside its own transaction (an app suspended, an app anomaly). */
export interface PartIncidentInput {
  /** Unique source key: the same key joins the same incident. */
  key: string;
  kind: string;
  title: string;
  at: number;
  accounts: readonly string[];
  timeline: { kind: string; summary: string; data: Record<string, unknown> };
  app?: AppIncidentFacts;
}

export interface IncidentOptions {
  /** Contain decisions within `massWindowMs` that make a mass-hijack incident. */
  massThreshold: number;
  massWindowMs: number;
  contact: string;
  now?: () => number;
}

export const emptyFacts = (): IncidentFacts => ({
  accounts: 0,
  decisions: 0,
  contained: 0,
  frozen: 0,
  messagesRetracted: 0,
  recipientsWarned: 0,
  quarantined: [],
  samples: [],
  signals: {},
  dryRunActions: 0,
  campaigns: [],
});
