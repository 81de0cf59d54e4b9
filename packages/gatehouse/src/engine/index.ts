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
export { BIAS, WEIGHTS, DEFAULT_LIMITS, DEFAULT_THRESHOLDS, defaultWeights } from './config.ts';
export type { Limits, Thresholds, Weights, SignalName, SignalGroup } from './config.ts';
export { decide, toPreSend, sigmoid } from './scoring.ts';
export { hash53, networkOf, textFeatures } from './text.ts';
export { MESSAGE_DETECTORS } from './detectors.ts';
export { fitWeights, type LabelledDecision, type FitOptions } from './learn.ts';
export { LexiconContentAnalyzer } from './test-content.ts';
export { createContentAnalyzer, type ContentOptions } from './content.ts';
export type * from './types.ts';
export { ACTIONS } from './types.ts';
export { EngineService, identityFromBus, MAX_BATCH } from './service.ts';
export type { EngineServiceOptions, IngestAnswer, CheckAnswer, EventResult } from './service.ts';
export { engineRoutes } from './routes.ts';
export { engineMigrations, type EngineTables } from './schema.ts';
