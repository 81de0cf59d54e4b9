/**
 * Which account ids Gatehouse has seen. Events and pre-send checks name an account by the id
 * Gatehouse gave it (`acc_…`, from POST /v1/accounts); a platform that sends its own user ids instead
 * gets detection without sign-in history, sessions or containment, and would not know it. Such
 * events are still accepted (nothing acknowledged is lost), but the answer carries a warning per
 * unknown id and a metric counts them.
 *
 * Known ids are cached (an account row is never removed, a deleted account keeps its id); an
 * unknown id is asked again after UNKNOWN_TTL_MS, so a platform that misuses ids costs at most one
 * indexed query per id and interval.
 */
import { Counter, type Registry } from 'prom-client';
import { BoundedMap } from './bounded.ts';

const UNKNOWN_TTL_MS = 10_000;
/** Most warnings in one answer (the metric counts all of them). */
export const MAX_WARNINGS = 50;

export interface UnknownAccountWarning {
  code: 'unknown_account';
  account: string;
  /** For POST /v1/events: the positions of the accepted events that name the account. */
  indexes?: number[];
  en: string;
  zh: string;
}

export interface KnownAccountsOptions {
  /** Of these ids, the ones that exist (the identity part's accounts). */
  lookup: (ids: string[]) => Promise<Set<string>>;
  now?: () => number;
}

export class KnownAccounts {
  private readonly known = new BoundedMap<string, true>(200_000);
  private readonly unknownUntil = new BoundedMap<string, number>(20_000);
  private readonly opts: KnownAccountsOptions;
  private readonly now: () => number;
  private readonly counter = new Counter({
    name: 'gatehouse_unknown_account_events_total',
    help: 'Events and pre-send checks naming an account id Gatehouse has never seen (accepted, with a warning)',
    labelNames: ['route'] as const,
    registers: [],
  });

  constructor(opts: KnownAccountsOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  registerMetrics(registry: Registry): void {
    registry.registerMetric(this.counter);
  }

  /** Of these ids, the ones Gatehouse has no account for (at most one database query). */
  async unknown(ids: Iterable<string>): Promise<Set<string>> {
    const now = this.now();
    const out = new Set<string>();
    const ask: string[] = [];
    for (const id of new Set(ids)) {
      if (this.known.has(id)) continue;
      const until = this.unknownUntil.get(id);
      if (until !== undefined && until > now) out.add(id);
      else ask.push(id);
    }
    if (ask.length > 0) {
      const found = await this.opts.lookup(ask);
      for (const id of ask)
        if (found.has(id)) this.known.set(id, true);
        else {
          this.unknownUntil.set(id, now + UNKNOWN_TTL_MS);
          out.add(id);
        }
    }
    return out;
  }

  /** Warnings for the answer of POST /v1/events: one per unknown account among the accepted events. */
  async forEvents(accounts: Array<string | undefined>): Promise<UnknownAccountWarning[]> {
    const unknown = await this.unknown(accounts.filter((a): a is string => a !== undefined));
    if (unknown.size === 0) return [];
    const at = new Map<string, number[]>();
    accounts.forEach((a, i) => {
      if (a !== undefined && unknown.has(a)) (at.get(a) ?? at.set(a, []).get(a)!).push(i);
    });
    let count = 0;
    for (const idx of at.values()) count += idx.length;
    this.counter.inc({ route: 'events' }, count);
    return [...at].slice(0, MAX_WARNINGS).map(([account, indexes]) => ({ ...warning(account), indexes }));
  }

  /** Warnings for the answer of POST /v1/check/message. */
  async forCheck(account: string): Promise<UnknownAccountWarning[]> {
    if (!(await this.unknown([account])).has(account)) return [];
    this.counter.inc({ route: 'check' });
    return [warning(account)];
  }

  /**
   * forCheck's answer when memory has it (a known id, or an unknown one asked within UNKNOWN_TTL_MS),
   * without waiting; undefined when the database must be asked (call forCheck).
   */
  forCheckNow(account: string): UnknownAccountWarning[] | undefined {
    if (this.known.has(account)) return [];
    const until = this.unknownUntil.get(account);
    if (until === undefined || until <= this.now()) return undefined;
    this.counter.inc({ route: 'check' });
    return [warning(account)];
  }
}

function warning(account: string): UnknownAccountWarning {
  return {
    code: 'unknown_account',
    account,
    en:
      `Gatehouse has no account "${account}". Send the id Gatehouse gave the account when it was created ` +
      '(POST /v1/accounts), not your own user id: the event is kept, but without the sign-in history, ' +
      'sessions and containment of a known account its detection is weaker.',
    zh:
      `Gatehouse 没有账号 "${account}"。请发送创建账号时（POST /v1/accounts）Gatehouse 返回的账号 id，` +
      '而不是贵平台自己的用户 id：事件已保存，但没有已知账号的登录历史、会话与控制措施，检测会变弱。',
  };
}
