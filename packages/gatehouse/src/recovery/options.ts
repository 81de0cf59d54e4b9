import type { Config } from '../config/index.ts';
import type { RecoveryOptions } from './service.ts';

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
  };
}
