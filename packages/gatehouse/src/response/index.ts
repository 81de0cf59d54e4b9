export { responseMigrations, type ResponseTables } from './schema.ts';
export {
  parsePolicy,
  evaluatePolicy,
  PolicyError,
  ACTION_KINDS,
  KNOWN_SIGNALS,
  type Policy,
  type PlannedStep,
  type PlannedAction,
  type ActionKind,
} from './policy.ts';
export { PolicyManager, DEFAULT_POLICY_FILE, type PolicyStatus } from './policy-manager.ts';
export { enforcesContainment, rehearses } from './policy.ts';
export {
  ResponseService,
  type ResponseDecision,
  type DecisionInput,
  type SentMessage,
  type MessageLog,
  type PlatformDelivery,
  type PlatformMessage,
  type AuditSink,
  type EngineControl,
  type GrantRevoker,
  type Notifier,
  type StepResult,
} from './service.ts';
export { localize, TEXTS, type Localized } from './texts.ts';
export { ResponseQueue, type QueueStats } from './queue.ts';
export { responseRoutes } from './routes.ts';
export { SessionGrantRevoker, LogNotifier } from './adapters.ts';
