/**
 * The detection engine (issue 4): per-account behaviour profiles, sliding windows, sessions,
 * content fingerprints and campaigns, detectors with bilingual reasons, log-odds scoring and
 * decisions (allow | challenge | hold | block | contain), the pre-send check and snapshots.
 */
export { Engine } from './engine.ts';
export type {
  EngineOptions,
  EngineSnapshot,
  EngineStats,
  ProcessOptions,
  AccountRiskView,
} from './engine.ts';
export {
  BIAS,
  WEIGHTS,
  SIGNAL_NAMES,
  isSignalName,
  DEFAULT_LIMITS,
  DEFAULT_THRESHOLDS,
  defaultWeights,
} from './config.ts';
export type { Limits, Thresholds, Weights, SignalName, SignalGroup } from './config.ts';
export { decide, toPreSend, sigmoid } from './scoring.ts';
export {
  SIGNAL_EXPLANATIONS,
  DECISION_EXPLANATIONS,
  explainSignal,
  explainDecision,
  joinExplanations,
  type ExplainedDecision,
  type ExplainedSignal,
  type SignalFacts,
} from './explain.ts';
export { hash53, networkOf, textFeatures } from './text.ts';
export { MESSAGE_DETECTORS } from './detectors/index.ts';
export { INTENT_CLASS, type ContentVerdict } from './verdict.ts';
export { fitWeights, type LabelledDecision, type FitOptions } from './learn.ts';
export { createContentAnalyzer, warmContent, type ContentOptions } from './content.ts';
export type * from './types.ts';
export { ACTIONS } from './types.ts';
export { EngineService, MAX_BATCH } from './service.ts';
export { identityFromBus } from './identity-events.ts';
export type { SignInRisk } from './sessions.ts';
export type { EngineServiceOptions, IngestAnswer, CheckAnswer, EventResult } from './service.ts';
export { engineRoutes } from './routes.ts';
export { KnownAccounts, type UnknownAccountWarning } from './known-accounts.ts';
export { engineMigrations, type EngineTables } from './schema.ts';
export { engineStore } from './store.ts';
export { persistDecisions, writeCheckBatch } from './persist.ts';
export { toRow } from './service.ts';
export type { SnapshotRecord } from './snapshot.ts';
export type { Sighting } from './campaigns.ts';
