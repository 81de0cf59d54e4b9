/**
 * A small simulator used by the engine tests and the engine benchmark: accounts with a month of
 * ordinary history (usual device, client, hours and friends) and helpers to play hijacks on them.
 * Event time doubles as the receive time.
 */
import type { MessageSentEvent } from '@gatehouse/sdk';
import type { EngineOptions } from './engine.ts';
import { Engine } from './engine.ts';
import { LexiconContentAnalyzer } from './test-content.ts';
import type { Decision, EngineEvent, ProcessResult, SignInMethod } from './types.ts';

export const DAY = 24 * 3600_000;
export const HOUR = 3600_000;
export const MIN = 60_000;
/** 2026-01-01T00:00:00Z */
export const T0 = Date.UTC(2026, 0, 1);

const BENIGN = [
  '今天晚上一起吃饭吗',
  '好的，明天见',
  '你看到那个新闻了吗，太离谱了',
  '周末去爬山吧，天气不错',
  '收到，我晚点回复你',
  'are we still on for lunch tomorrow',
  '哈哈哈 笑死我了',
  '妈妈说让你早点回家',
  '会议改到下午三点了',
  'thanks, see you at the office',
  '这个周末有空吗，一起打球',
  '我到楼下了，你下来吧',
];

/** Deterministic PRNG (xorshift32). */
export function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export interface HistoryOptions {
  days?: number;
  perDay?: number;
  friends?: string[];
  device?: string;
  ip?: string;
  country?: string;
  hours?: [number, number];
  links?: boolean;
  seed?: number;
}

export class Sim {
  readonly engine: Engine;
  t = T0;
  private n = 0;

  constructor(opts: Partial<EngineOptions> = {}) {
    this.engine = new Engine({ content: new LexiconContentAnalyzer(), now: () => this.t, ...opts });
  }

  id(prefix = 'ev'): string {
    return `${prefix}-${++this.n}`;
  }

  process(ev: EngineEvent): ProcessResult {
    if (ev.time > this.t) this.t = ev.time;
    return this.engine.process(ev, { receivedAt: ev.time });
  }

  decide(ev: EngineEvent): Decision {
    const r = this.process(ev);
    if (r.status !== 'accepted' || !r.decision) throw new Error(`no decision: ${JSON.stringify(r)}`);
    return r.decision;
  }

  login(
    account: string,
    o: {
      session: string;
      method?: SignInMethod;
      device: string;
      ip: string;
      country?: string;
      t?: number;
      fingerprint?: string;
    },
  ): Decision {
    return this.decide({
      id: this.id('login'),
      type: 'identity.login.succeeded',
      time: o.t ?? this.t,
      account,
      session: o.session,
      method: o.method ?? 'password',
      device: { id: o.device, ...(o.fingerprint ? { fingerprint: o.fingerprint } : {}) },
      ip: o.ip,
      ...(o.country ? { country: o.country } : {}),
    });
  }

  message(
    account: string,
    o: {
      to?: string[];
      group?: { id: string; memberCount?: number };
      text: string;
      urls?: string[];
      session?: string;
      t?: number;
      client?: MessageSentEvent['client'];
      attachments?: MessageSentEvent['attachments'];
    },
  ): MessageSentEvent {
    const ev: MessageSentEvent = {
      id: this.id('msg'),
      type: 'message.sent',
      time: o.t ?? this.t,
      account,
      text: o.text,
      urls: o.urls ?? [],
      attachments: o.attachments ?? [],
      client: o.client ?? { kind: 'mobile', name: 'QQ', version: '9.0' },
    };
    if (o.to) ev.recipients = o.to;
    if (o.group) ev.group = o.group;
    if (o.session) ev.session = o.session;
    return ev;
  }

  send(account: string, o: Parameters<Sim['message']>[1]): Decision {
    return this.decide(this.message(account, o));
  }

  /**
   * A month (default) of ordinary life for `account`: one sign-in on its usual device, friends
   * added, a few messages a day to usual friends at usual hours. Ends at T0 + days; sets the clock.
   */
  history(account: string, o: HistoryOptions = {}): { session: string; friends: string[] } {
    const days = o.days ?? 30;
    const perDay = o.perDay ?? 4;
    const friends = o.friends ?? Array.from({ length: 10 }, (_, i) => `${account}-f${i}`);
    const [h0, h1] = o.hours ?? [9, 22];
    const r = rng(o.seed ?? hashSeed(account));
    const session = `${account}-s0`;
    const start = T0;
    this.t = Math.max(this.t, start);
    this.login(account, {
      session,
      device: o.device ?? `${account}-phone`,
      ip: o.ip ?? '10.1.2.3',
      country: o.country ?? 'CN',
      t: start,
    });
    for (const f of friends)
      this.process({ id: this.id('fr'), type: 'friend.added', time: start, account, friend: f });
    const usual = friends.slice(0, Math.min(6, friends.length));
    for (let d = 0; d < days; d++) {
      for (let k = 0; k < perDay; k++) {
        const t =
          start + d * DAY + (h0 + Math.floor(r() * (h1 - h0))) * HOUR + Math.floor(r() * 59) * MIN + k;
        const to = usual[Math.floor(r() * usual.length)]!;
        const base = BENIGN[Math.floor(r() * BENIGN.length)]!;
        const link = o.links && r() < 0.2;
        this.send(account, {
          to: [to],
          text: link ? `${base} https://news.example.com/a/${d}` : base,
          session,
          t,
        });
      }
    }
    this.t = Math.max(this.t, start + days * DAY);
    return { session, friends };
  }
}

function hashSeed(s: string): number {
  let h = 7;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
