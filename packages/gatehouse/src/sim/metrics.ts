/** Metrics of one replay, computed from what the simulator saw (check answers) and the webhook feed. */
import { parseWebhook, type WebhookMessage } from '@gatehouse/sdk';
import type { PlatformCheck } from './platform.ts';
import type { Scenario } from './scenario.ts';
import { qrMetrics, type QrMetrics, type QrRunRecord } from './qr.ts';

export interface HijackRecord {
  account: string;
  firstAt: number | undefined;
  /** The intruder's sign-in succeeded (it may be refused: rate limits, risk). */
  signedIn: boolean;
  containedAt: number | undefined;
  messages: Array<{ id: string; t: number; recipients: number; allowed: boolean }>;
}

export interface RunRecord {
  accounts: number;
  hijacked: Map<string, HijackRecord>;
  benignChecks: Map<string, { challenged: boolean; held: boolean; blocked: boolean }>;
  /** Signals behind non-allow answers to benign messages (what caused false positives). */
  benignSignals: Map<string, number>;
  /** Signals behind the answers to intruder messages. */
  intruderSignals: Map<string, number>;
  /** The webhook pull feed (read typed with the SDK's parseWebhook). */
  feed: WebhookMessage[];
  liveStart?: number;
  /** The owners' recovery cases after the run (recovery.ts). */
  recoveries?: Array<{ ms: number | undefined; state: string; error?: string }>;
  /** How late the most delayed live action ran (the simulator or the server could not keep up). */
  liveLagMs?: number;
  /** `api` or `chat`. */
  transport?: 'api' | 'chat';
  /** What the platform itself shows recipients (chat transport). */
  platform?: PlatformCheck;
  /** Every pre-send check of the live phase: when it was asked (ms since the live phase began), its time. */
  checks?: Array<{ at: number; ms: number }>;
  /** When each checked message was sent (epoch ms), by the id Gatehouse knows it by. */
  sentAt?: Map<string, number>;
  /** The platform's timeout for one check, ms (default 100). */
  checkTimeoutMs?: number;
  /** QR sign-ins: relayed approvals and the owners' own (qr.ts). */
  qr?: QrRunRecord;
  /** Owners away from home (`live.away`), by account: a new phone or their own, signed in or refused. */
  away?: Map<string, { newPhone: boolean; signedIn: boolean }>;
}

/** What owners away from home (`live.away`) met: their sign-ins and their messages' answers. */
export interface AwayMetrics {
  people: number;
  newPhone: number;
  signedIn: number;
  /** sign-ins refused or stepped up (a step the owner has to take: counted as challenged) */
  refusedAtSignIn: number;
  challenged: number;
  held: number;
  /** of the held, the owners on a new phone (the rest were on their own phone) */
  heldNewPhone: number;
  frozen: number;
}

/** One second of the live phase: the checks asked in it and the response to the decisions made in it. */
export interface LiveSecond {
  /** seconds since the live phase began */
  s: number;
  checks: number;
  checkP99Ms: number | null;
  checkMaxMs: number | null;
  overTimeout: number;
  /** decisions made in this second that the response part acted on, and how late its webhooks were */
  decisions: number;
  responseLagP99Ms: number | null;
  responseLagMaxMs: number | null;
}

export interface Metrics {
  scenario: string;
  /** `api`: straight against Gatehouse; `chat`: through the reference chat. */
  transport: 'api' | 'chat';
  /**
   * Chat transport: intruder messages the chat accepted (delivered or held), how many recipients now
   * see as retracted by the platform, and how many are still visible; null for the API transport.
   */
  chat: PlatformCheck | null;
  /** QR sign-ins (relayed approvals, the owners' own), null when the scenario has none. */
  qr: QrMetrics | null;
  /** Owners away from home (`live.away`), null when the scenario has none. */
  away: AwayMetrics | null;
  accounts: number;
  /** Accounts the intruders signed into (attempts refused at sign-in are in `hijackAttempts`). */
  hijacked: number;
  hijackAttempts: number;
  detected: number;
  recall: number;
  timeToContainMs: { median: number | null; p90: number | null };
  recipientsReachedBeforeContainment: { median: number | null; p90: number | null; max: number | null };
  intruderMessages: number;
  intruderMessagesAllowed: number;
  retracted: number;
  recipientsWarned: number;
  benignAccounts: number;
  benignChallenged: number;
  benignHeld: number;
  benignFrozen: number;
  /** benign challenged / held / frozen per 100,000 accounts per simulated day */
  per100kPerDay: { challenged: number; held: number; frozen: number };
  simulatedDays: number;
  /** How late the most delayed live action ran, ms (large: the live phase was stretched). */
  liveLagMs: number;
  /** The pre-send check as the platform felt it during the live phase (round trip, ms). */
  checkLatencyMs: {
    checks: number;
    p50: number | null;
    p99: number | null;
    max: number | null;
    /** the platform's timeout and how many answers took longer */
    timeoutMs: number;
    overTimeout: number;
  };
  /**
   * How far the response work lagged: from a decision on a live message (its check) to the last webhook
   * the response part enqueued for it (the action applied and the platform told), ms.
   */
  responseLagMs: { decisions: number; p50: number | null; p99: number | null; max: number | null };
  /** Per second of the live phase: checks, their p99 and timeouts, and the response lag. */
  perSecond: LiveSecond[];
  /**
   * Webhooks Gatehouse enqueued for the society from the live phase on: how many, how many a second, and
   * per type (owners' notices per kind: one enqueued before the live phase and sent after counts too).
   */
  webhooks: { count: number; perSecond: number; byType: Record<string, number> };
  /** Most frequent signals behind non-allow answers to benign messages. */
  benignSignals: Record<string, number>;
  /** Most frequent reasons in `message.hold` webhooks for benign accounts (live and history phases). */
  benignHoldReasons: Record<string, number>;
  /** Owners of frozen accounts who walked the recovery case, how many got the account back, and how long
   * the case took from appeal to restored (no human delay: what Gatehouse adds); null when none ran. */
  recovery: {
    attempted: number;
    restored: number;
    medianMs: number | null;
    p90Ms: number | null;
    failures: string[];
  };
  /** Intruder messages the check allowed (delivered) that were never retracted. */
  intruderMessagesLeftDelivered: number;
  intruderSignals: Record<string, number>;
}

export function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function computeMetrics(sc: Scenario, rec: RunRecord): Metrics {
  const frozenAt = new Map<string, number>();
  const challenged = new Set<string>();
  const held = new Set<string>();
  let retracted = 0;
  const retractedIds = new Set<string>();
  const holdReasons = new Map<string, number>();
  const warned = new Set<string>();
  const intruderIds = new Set<string>();
  for (const h of rec.hijacked.values()) for (const m of h.messages) intruderIds.add(m.id);
  for (const raw of rec.feed) {
    // typed by the SDK's webhook schemas: the same payloads a platform receives
    const m = parseWebhook(raw);
    const acc = m.account ?? ('account' in m.data ? m.data.account : undefined);
    if (!acc) continue;
    const t = Date.parse(m.timestamp);
    if (m.type === 'account.frozen' && !frozenAt.has(acc)) frozenAt.set(acc, t);
    else if (m.type === 'owner.challenge') challenged.add(acc);
    else if (m.type === 'message.hold') {
      held.add(acc);
      if (!rec.hijacked.has(acc))
        for (const r of m.data.reasons) holdReasons.set(r.signal, (holdReasons.get(r.signal) ?? 0) + 1);
    } else if (m.type === 'message.retract') {
      for (const id of [m.data.message, ...(m.data.messages ?? []).map((x) => x.id)])
        if (intruderIds.has(id) && !retractedIds.has(id)) {
          retracted++;
          retractedIds.add(id);
        }
    } else if (m.type === 'recipients.warn') {
      for (const x of m.data.recipients) warned.add(`${acc}|${x}`);
    }
  }
  const ttc: number[] = [];
  const reached: number[] = [];
  let detected = 0;
  let intruderMessages = 0;
  let allowedMessages = 0;
  let leftDelivered = 0;
  let attacking = 0;
  for (const h of rec.hijacked.values()) {
    intruderMessages += h.messages.length;
    for (const m of h.messages)
      if (m.allowed) {
        allowedMessages++;
        if (!retractedIds.has(m.id)) leftDelivered++;
      }
    if (h.firstAt === undefined) continue;
    attacking++;
    const times = [h.containedAt, frozenAt.get(h.account)].filter((x): x is number => x !== undefined);
    const contained = times.length ? Math.min(...times) : undefined;
    if (contained !== undefined) {
      detected++;
      ttc.push(Math.max(0, contained - h.firstAt));
    }
    reached.push(
      h.messages
        .filter((m) => m.allowed && (contained === undefined || m.t < contained))
        .reduce((s, m) => s + m.recipients, 0),
    );
  }
  const benignAccounts = rec.accounts - rec.hijacked.size;
  const bChallenged = new Set<string>();
  const bHeld = new Set<string>();
  let bFrozen = 0;
  for (const [acc, b] of rec.benignChecks) {
    if (b.challenged) bChallenged.add(acc);
    if (b.held || b.blocked) bHeld.add(acc);
  }
  for (const acc of challenged) if (!rec.hijacked.has(acc)) bChallenged.add(acc);
  for (const acc of held) if (!rec.hijacked.has(acc)) bHeld.add(acc);
  for (const acc of frozenAt.keys()) if (!rec.hijacked.has(acc)) bFrozen++;
  // an owner away from home whose sign-in was refused or stepped up has a step to take
  for (const [acc, w] of rec.away ?? []) if (!w.signedIn) bChallenged.add(acc);
  const awayOf = (xs: Iterable<string>) => [...xs].filter((acc) => rec.away!.has(acc)).length;
  const ways = [...(rec.away?.values() ?? [])];
  const away: AwayMetrics | null =
    ways.length > 0
      ? {
          people: ways.length,
          newPhone: ways.filter((w) => w.newPhone).length,
          signedIn: ways.filter((w) => w.signedIn).length,
          refusedAtSignIn: ways.filter((w) => !w.signedIn).length,
          challenged: awayOf(bChallenged),
          held: awayOf(bHeld),
          heldNewPhone: [...bHeld].filter((acc) => rec.away!.get(acc)?.newPhone).length,
          frozen: awayOf([...frozenAt.keys()].filter((acc) => !rec.hijacked.has(acc))),
        }
      : null;
  const simulatedDays = (sc.history.hours + sc.live.simulatedMinutes / 60) / 24;
  const per = (x: number) =>
    benignAccounts ? Math.round(((x / benignAccounts) * 100_000 * 10) / simulatedDays) / 10 : 0;
  return {
    scenario: sc.name,
    transport: rec.transport ?? 'api',
    chat: rec.platform ?? null,
    qr: qrMetrics(rec.qr, rec.hijacked, (h) => {
      const ts = [h.containedAt, frozenAt.get(h.account)].filter((x): x is number => x !== undefined);
      return ts.length ? Math.min(...ts) : undefined;
    }),
    away,
    accounts: rec.accounts,
    hijacked: [...rec.hijacked.values()].filter((h) => h.signedIn).length,
    hijackAttempts: rec.hijacked.size,
    detected,
    recall: attacking ? Math.round((detected / attacking) * 1000) / 1000 : 0,
    timeToContainMs: { median: quantile(ttc, 0.5), p90: quantile(ttc, 0.9) },
    recipientsReachedBeforeContainment: {
      median: quantile(reached, 0.5),
      p90: quantile(reached, 0.9),
      max: reached.length ? reached.reduce((m, v) => Math.max(m, v), 0) : null,
    },
    intruderMessages,
    intruderMessagesAllowed: allowedMessages,
    retracted,
    recipientsWarned: warned.size,
    benignAccounts,
    benignChallenged: bChallenged.size,
    benignHeld: bHeld.size,
    benignFrozen: bFrozen,
    per100kPerDay: { challenged: per(bChallenged.size), held: per(bHeld.size), frozen: per(bFrozen) },
    simulatedDays: Math.round(simulatedDays * 100) / 100,
    liveLagMs: Math.round(rec.liveLagMs ?? 0),
    benignSignals: Object.fromEntries([...rec.benignSignals].sort((a, b) => b[1] - a[1]).slice(0, 8)),
    benignHoldReasons: Object.fromEntries([...holdReasons].sort((a, b) => b[1] - a[1]).slice(0, 8)),
    intruderMessagesLeftDelivered: leftDelivered,
    recovery: recoverySummary(rec.recoveries ?? []),
    intruderSignals: Object.fromEntries([...rec.intruderSignals].sort((a, b) => b[1] - a[1]).slice(0, 8)),
    ...liveLatency(rec),
  };
}

/** The ids a `message.retract` names: `message`, and every entry of `messages` (a batch). */
const round = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);

function liveLatency(
  rec: RunRecord,
): Pick<Metrics, 'checkLatencyMs' | 'responseLagMs' | 'perSecond' | 'webhooks'> {
  const timeoutMs = rec.checkTimeoutMs ?? 100;
  const checks = rec.checks ?? [];
  const sentAt = rec.sentAt ?? new Map<string, number>();
  const liveStart = rec.liveStart ?? 0;
  // decision → its last webhook (the decision id is "dec:" + the checked message's id)
  const lastHook = new Map<string, number>();
  let hooks = 0;
  const byType: Record<string, number> = {};
  let lastAt = liveStart;
  for (const m of rec.feed) {
    const t = Date.parse(m.timestamp);
    if (!Number.isFinite(t)) continue;
    if (t >= liveStart) {
      hooks++;
      // an owner's notice by its kind (a containment's own notice, which has none: `decision`)
      const k =
        m.type === 'owner.notify'
          ? `owner.notify:${(m.data as { notice?: { kind: string } | null }).notice?.kind ?? 'decision'}`
          : m.type;
      byType[k] = (byType[k] ?? 0) + 1;
      lastAt = Math.max(lastAt, t);
    }
    const ids = [m.data.decision, ...(Array.isArray(m.data.decisions) ? m.data.decisions : [])];
    for (const d of ids) {
      if (typeof d !== 'string' || !d.startsWith('dec:')) continue;
      const id = d.slice(4);
      if (sentAt.has(id)) lastHook.set(id, Math.max(lastHook.get(id) ?? 0, t));
    }
  }
  const lags: Array<{ s: number; ms: number }> = [];
  for (const [id, t] of lastHook) {
    const sent = sentAt.get(id)!;
    lags.push({ s: Math.max(0, Math.floor((sent - liveStart) / 1000)), ms: Math.max(0, t - sent) });
  }
  let seconds = 0;
  for (const c of checks) seconds = Math.max(seconds, Math.floor(c.at / 1000) + 1);
  for (const l of lags) seconds = Math.max(seconds, l.s + 1);
  const perSecond: LiveSecond[] = [];
  for (let s = 0; s < seconds; s++) {
    const cs = checks.filter((c) => Math.floor(c.at / 1000) === s).map((c) => c.ms);
    const ls = lags.filter((l) => l.s === s).map((l) => l.ms);
    perSecond.push({
      s,
      checks: cs.length,
      checkP99Ms: round(quantile(cs, 0.99)),
      checkMaxMs: round(cs.length ? Math.max(...cs) : null),
      overTimeout: cs.filter((x) => x > timeoutMs).length,
      decisions: ls.length,
      responseLagP99Ms: round(quantile(ls, 0.99)),
      responseLagMaxMs: ls.length ? Math.max(...ls) : null,
    });
  }
  const ms = checks.map((c) => c.ms);
  const lagMs = lags.map((l) => l.ms);
  return {
    checkLatencyMs: {
      checks: ms.length,
      p50: round(quantile(ms, 0.5)),
      p99: round(quantile(ms, 0.99)),
      max: round(ms.length ? ms.reduce((a, b) => Math.max(a, b), 0) : null),
      timeoutMs,
      overTimeout: ms.filter((x) => x > timeoutMs).length,
    },
    responseLagMs: {
      decisions: lagMs.length,
      p50: quantile(lagMs, 0.5),
      p99: quantile(lagMs, 0.99),
      max: lagMs.length ? lagMs.reduce((a, b) => Math.max(a, b), 0) : null,
    },
    perSecond,
    webhooks: {
      count: hooks,
      perSecond: lastAt > liveStart ? Math.round((hooks / ((lastAt - liveStart) / 1000)) * 10) / 10 : 0,
      byType,
    },
  };
}

function recoverySummary(rs: NonNullable<RunRecord['recoveries']>): Metrics['recovery'] {
  const ms = rs.map((r) => r.ms).filter((x): x is number => x !== undefined);
  return {
    attempted: rs.length,
    restored: rs.filter((r) => r.state === 'restored').length,
    medianMs: ms.length ? Math.round(quantile(ms, 0.5)!) : null,
    p90Ms: ms.length ? Math.round(quantile(ms, 0.9)!) : null,
    failures: [...new Set(rs.map((r) => r.error).filter((e): e is string => !!e))].slice(0, 3),
  };
}

const fmt = (x: number | null) => (x === null ? '—' : String(x));

/** A plain table of metrics (one column per scenario). */
export function metricsTable(ms: Metrics[]): string {
  const rows: Array<[string, (m: Metrics) => string]> = [
    ['accounts', (m) => String(m.accounts)],
    ['hijack attempts', (m) => String(m.hijackAttempts)],
    ['hijacked (intruder signed in)', (m) => String(m.hijacked)],
    ['detected (contained)', (m) => String(m.detected)],
    ['recall', (m) => String(m.recall)],
    ['time to containment median ms', (m) => fmt(m.timeToContainMs.median)],
    ['time to containment p90 ms', (m) => fmt(m.timeToContainMs.p90)],
    ['recipients reached median', (m) => fmt(m.recipientsReachedBeforeContainment.median)],
    ['recipients reached p90', (m) => fmt(m.recipientsReachedBeforeContainment.p90)],
    ['recipients reached max', (m) => fmt(m.recipientsReachedBeforeContainment.max)],
    ['intruder messages sent', (m) => String(m.intruderMessages)],
    ['intruder messages allowed', (m) => String(m.intruderMessagesAllowed)],
    ['intruder messages retracted', (m) => String(m.retracted)],
    ['intruder messages delivered, not retracted', (m) => String(m.intruderMessagesLeftDelivered)],
    ['recipients warned', (m) => String(m.recipientsWarned)],
    [
      'check latency p50 / p99 / max ms',
      (m) => `${fmt(m.checkLatencyMs.p50)} / ${fmt(m.checkLatencyMs.p99)} / ${fmt(m.checkLatencyMs.max)}`,
    ],
    [
      'checks over the timeout',
      (m) => `${m.checkLatencyMs.overTimeout} (> ${m.checkLatencyMs.timeoutMs} ms)`,
    ],
    [
      'response lag p50 / p99 / max ms',
      (m) => `${fmt(m.responseLagMs.p50)} / ${fmt(m.responseLagMs.p99)} / ${fmt(m.responseLagMs.max)}`,
    ],
    ['live phase lag ms', (m) => String(m.liveLagMs)],
    ['benign accounts', (m) => String(m.benignAccounts)],
    ['benign challenged (/100k/day)', (m) => `${m.benignChallenged} (${m.per100kPerDay.challenged})`],
    ['benign held (/100k/day)', (m) => `${m.benignHeld} (${m.per100kPerDay.held})`],
    ['benign frozen (/100k/day)', (m) => `${m.benignFrozen} (${m.per100kPerDay.frozen})`],
    ['owners recovered / attempted', (m) => `${m.recovery.restored} / ${m.recovery.attempted}`],
    ['recovery time median / p90 ms', (m) => `${fmt(m.recovery.medianMs)} / ${fmt(m.recovery.p90Ms)}`],
  ];
  if (ms.some((m) => m.qr)) {
    const q = (f: (x: QrMetrics) => string) => (m: Metrics) => (m.qr ? f(m.qr) : '—');
    rows.push(
      ['QR: relayed approvals (same city)', q((x) => `${x.relayedApprovals} (${x.relayedSameCity})`)],
      ['QR: relayed sessions / on probation', q((x) => `${x.relayedSessions} / ${x.relayedOnProbation}`)],
      ['QR: relayed contained', q((x) => String(x.relayedContained))],
      ['QR: relayed recipients reached', q((x) => String(x.relayedRecipientsReached))],
      ['QR: relayed stopped, 0 reached (share)', q((x) => `${x.relayedStopped} (${x.relayedStoppedShare})`)],
      ['QR: own logins / signed in', q((x) => `${x.legitLogins} / ${x.legitSignedIn}`)],
      [
        'QR: own logins with an extra step (share)',
        q((x) => `${x.legitExtraStep} (${x.legitExtraStepShare})`),
      ],
    );
  }
  if (ms.some((m) => m.away)) {
    const w = (f: (x: AwayMetrics) => string) => (m: Metrics) => (m.away ? f(m.away) : '—');
    rows.push(
      ['away: owners / on a new phone', w((x) => `${x.people} / ${x.newPhone}`)],
      ['away: signed in / refused at sign-in', w((x) => `${x.signedIn} / ${x.refusedAtSignIn}`)],
      ['away: challenged / held / frozen', w((x) => `${x.challenged} / ${x.held} / ${x.frozen}`)],
      [
        'away: held on a new phone / on their own',
        w((x) => `${x.heldNewPhone} / ${x.held - x.heldNewPhone}`),
      ],
    );
  }
  if (ms.some((m) => m.chat))
    rows.push(
      [
        'chat: intruder attempts refused by the chat',
        (m) => (m.chat ? String(m.chat.refusedByPlatform) : '—'),
      ],
      ['chat: intruder messages accepted', (m) => (m.chat ? String(m.chat.intruderMessagesAccepted) : '—')],
      ['chat: retracted for recipients', (m) => (m.chat ? String(m.chat.retractedForRecipients) : '—')],
      ['chat: still visible', (m) => (m.chat ? String(m.chat.stillVisible) : '—')],
    );
  const head = ['metric', ...ms.map((m) => (m.transport === 'chat' ? `${m.scenario} (chat)` : m.scenario))];
  const body = rows.map(([k, f]) => [k, ...ms.map(f)]);
  const w = head.map((_, i) => Math.max(...[head, ...body].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((x) => '-'.repeat(x)).join('  '), ...body.map(line)].join('\n');
}

/** The --json object: the fields the issue names, plus recall and rates. */
export function metricsJson(m: Metrics): Record<string, unknown> {
  return { ...m };
}
