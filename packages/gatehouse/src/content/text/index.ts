/**
 * Text scoring (scam/spam, Chinese and English): normalisation against evasion, hashed n-gram and
 * structure features, an FTRL-trained logistic model with online updates, lexicon intents with
 * original-text spans, and explainable scores. Pure functions; file access only in loader.ts.
 */
export { scoreForEngine, scoreText, scoreProbability } from './score.ts';
export type { EngineTextScore, ScoreOptions, TextScore, TopFeature } from './score.ts';
export { balanceSources, createModel, learn, train, MAX_TEXT_LENGTH } from './model.ts';
export type { Example, FtrlParams, TextModel, TrainOptions } from './model.ts';
export { loadModel, saveModel } from './serialize.ts';
export { detectIntents } from './intents.ts';
export type { IntentHit } from './intents.ts';
export { INTENTS } from './lexicon.ts';
export type { IntentDef, IntentName } from './lexicon.ts';
export { applyStep, normalize, toOriginalSpan, STEP_NAMES } from './normalize.ts';
export type { Normalized, NormalizeStats, StepName } from './normalize.ts';
export { metrics, parseLabelled, split, isValidation } from './data.ts';
export type { Metrics, ParsedData } from './data.ts';
export { DEFAULT_MODEL_PATH, loadDefaultTextModel, readModelFile, writeModelFile } from './loader.ts';
export { benchText } from './bench.ts';
export { registerTextCommands } from './command.ts';
