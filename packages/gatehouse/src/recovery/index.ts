export {
  recoveryMigrations,
  type RecoveryTables,
  type CaseState,
  OPEN_STATES,
  CASE_STATES,
} from './schema.ts';
export {
  RecoveryService,
  summariseMessages,
  type RecoveryDeps,
  type RecoveryOptions,
  type CaseView,
  type NextStep,
  type CaseEventView,
  type ChannelView,
  type ReviewSession,
  type StepAnswer,
} from './service.ts';
export { changeCounts, usableCodes, usableChannels, countingFriendSet, type FactorScope } from './factors.ts';
export {
  VerifierRegistry,
  RecoveryCodeVerifier,
  ChannelCodeVerifier,
  TrustedFriendsVerifier,
  VERIFIER_KINDS,
  type Verifier,
  type VerifierKind,
  type CaseRef,
  type StartOptions,
  type StartResult,
  type Answer,
  type CheckResult,
} from './verifiers.ts';
export {
  DevelopmentLogSender,
  codeText,
  maskAddress,
  type CodeSender,
  type CodeMessage,
  type AlertMessage,
  type ChannelKind,
} from './senders.ts';
export type { FactorChange } from './context.ts';
export type {
  AccountEventLog,
  LoggedEvent,
  CompromiseFacts,
  EnqueueWebhook,
  AppendAudit,
  GrantsPort,
} from './ports.ts';
export { planRestore, RESTORE_EVENT_TYPES, type RestorePlan } from './restore.ts';
export { reportMarkdown, ADVICE, type OwnerReport } from './report.ts';
export { PLEDGES, CURRENT_PLEDGE, pledgeByVersion, type Pledge } from './pledge.ts';
export { recoveryOptionsFrom } from './options.ts';
export { recoveryRoutes } from './routes.ts';
export { factsFromResponseActions, longStandingFromEventLog, type ResponseActionRow } from './facts.ts';
