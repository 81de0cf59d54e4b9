// Test support for recovery.test.ts (never imported by production code): the service's options for the
// tests, two request contexts, a code sender that captures, an in-memory event log.
import assert from 'node:assert/strict';
import { GatehouseError, type ErrorCode } from '../errors/index.ts';
import type { RequestContext } from '../identity/index.ts';
import type { AccountEventLog, LoggedEvent } from './ports.ts';
import type { RecoveryOptions } from './service.ts';
import type { CodeMessage, CodeSender } from './senders.ts';

export const HOUR = 3_600_000;
export const OPTS: RecoveryOptions = {
  caseTtlMs: 72 * HOUR,
  maxOpenCases: 3,
  appealsPerIp: 100,
  maxWrongAnswers: 5,
  lockoutMs: 15 * 60_000,
  attemptsPerAccount: 100,
  attemptsPerIp: 1000,
  codeTtlMs: 15 * 60_000,
  sendsPerCase: 3,
  friendThreshold: 2,
  friendMax: 3,
  defaultWindowMs: 24 * HOUR,
  // the defences of issue 10 have their own tests (attacks.test.ts); here factors count at once,
  // cases live their whole TTL and friends need no wait
  factorCoolingOffMs: 0,
  unstartedCaseMs: 72 * HOUR,
  friendDelayMs: 0,
  deniedAppealCooldownMs: 7 * 24 * HOUR,
};
export const HOME: RequestContext = {
  ip: '203.0.113.10',
  userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
};
export const INTRUDER: RequestContext = {
  ip: '198.51.100.66',
  userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36',
};
export const NEW_PASSWORD = 'lantern river 2026 tea';

/** Captures codes instead of sending them (test only). */
export class CaptureSender implements CodeSender {
  readonly delivery = 'test-capture';
  readonly kinds = ['email', 'phone'] as const;
  readonly sent: CodeMessage[] = [];
  async send(msg: CodeMessage) {
    this.sent.push(msg);
  }
  last(): string {
    return this.sent[this.sent.length - 1]!.code;
  }
}

/** An in-memory event log for the test (the engine provides the real one). */
export class ListLog implements AccountEventLog {
  events: LoggedEvent[] = [];
  async between(account: string, from: number, to: number, opts: { types?: readonly string[] } = {}) {
    return this.events.filter(
      (e) =>
        e.account === account &&
        e.time >= from &&
        e.time <= to &&
        (!opts.types || opts.types.includes(e.type)),
    );
  }
}

export async function rejects(p: Promise<unknown>, code: ErrorCode): Promise<GatehouseError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GatehouseError, `expected GatehouseError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}
