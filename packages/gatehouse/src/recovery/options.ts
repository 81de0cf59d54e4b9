import type { Config } from '../config/index.ts';

/** The recovery settings, in the service's units (ms). */
export interface RecoveryOptions {
  caseTtlMs: number;
  /** Open cases per account from one appellant (network and device). */
  maxOpenCases: number;
  appealsPerIp: number;
  maxWrongAnswers: number;
  lockoutMs: number;
  attemptsPerAccount: number;
  attemptsPerIp: number;
  codeTtlMs: number;
  sendsPerCase: number;
  friendThreshold: number;
  friendMax: number;
  defaultWindowMs: number;
  /** A new or changed factor counts for recovery this long after the change. */
  factorCoolingOffMs: number;
  /** A case whose verification is not started within this time expires. */
  unstartedCaseMs: number;
  /** A case verified by trusted friends alone goes on only after this delay. */
  friendDelayMs: number;
  /** After a denied sanction appeal, no new appeal of the same freeze from the appellant for this long. */
  deniedAppealCooldownMs: number;
}

/** The recovery settings of a config, in the service's units. */
export function recoveryOptionsFrom(config: Config): RecoveryOptions {
  return {
    caseTtlMs: config.recoveryCaseTtlHours * 3_600_000,
    maxOpenCases: config.recoveryMaxOpenCases,
    appealsPerIp: config.recoveryAppealsPerIp,
    maxWrongAnswers: config.recoveryMaxWrongAnswers,
    lockoutMs: config.recoveryLockoutMinutes * 60_000,
    attemptsPerAccount: config.recoveryAttemptsPerAccount,
    attemptsPerIp: config.recoveryAttemptsPerIp,
    codeTtlMs: config.recoveryCodeTtlMinutes * 60_000,
    sendsPerCase: config.recoverySendsPerCase,
    friendThreshold: config.recoveryFriendThreshold,
    friendMax: Math.max(config.recoveryFriendMax, config.recoveryFriendThreshold),
    defaultWindowMs: config.recoveryDefaultWindowHours * 3_600_000,
    factorCoolingOffMs: config.recoveryFactorCoolingOffHours * 3_600_000,
    unstartedCaseMs: config.recoveryUnstartedCaseMinutes * 60_000,
    friendDelayMs: config.recoveryFriendDelayHours * 3_600_000,
    deniedAppealCooldownMs: config.recoveryDeniedAppealCooldownDays * 86_400_000,
  };
}
