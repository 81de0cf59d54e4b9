/**
 * Plays a scenario through a `Platform` (Gatehouse's HTTP API directly, or the reference chat): creates
 * the society's accounts and signs their owners in, reports ~20 hours of ordinary life
 * (`POST /v1/events`), plays the live phase in real time (intruders sign in and blast, owners chat and
 * greet; every message goes through the pre-send check), reads what the response part did from the
 * webhook pull feed, and finally lets the owners of frozen accounts walk the recovery case.
 *
 * Time: the engine rejects events older than 24 h, so the history is laid on the hours before now; the
 * live phase (`live.simulatedMinutes` of the scenario) is compressed into `live.seconds` of real time.
 */
import type { Rng } from './rng.ts';
import { hashSeed, seededRng } from './rng.ts';
import type { Scenario } from './scenario.ts';
import { benignText, buildSociety, inWindow, type Society } from './society.ts';
import type { Acct } from './benign-schedule.ts';
import { pool, SimApi } from './api.ts';
import { GatehouseError } from '../errors/index.ts';
import { computeMetrics, type Metrics, type RunRecord } from './metrics.ts';
import {
  ApiPlatform,
  content,
  type Client,
  type Content,
  type Platform,
  type SendAnswer,
  type Target,
} from './platform.ts';
import { ChatPlatform } from './chat-platform.ts';
import { ownerKeepsCodes, recoverOwner } from './recovery.ts';
import { platformSettled, readFeed, responseSettled, waitForEngine } from './settle.ts';
import { qrOf, sameCityIp } from './qr.ts';
import { localHour, scheduleBenign } from './benign-schedule.ts';

const HOUR = 3_600_000;

export interface ReplayOptions {
  scenario: Scenario;
  seed?: number;
  accounts?: number;
  /** A running Gatehouse and an operator key (events:write, accounts:read, webhooks:read). */
  url?: string;
  key?: string;
  /**
   * `api` (default): people call Gatehouse's API directly. `chat`: they use the reference chat, started
   * in-process beside the embedded Gatehouse (see chat-stack.ts); not with `url`.
   */
  via?: 'api' | 'chat';
  /**
   * The embedded Gatehouse (no `url`, `via` api) in a child process of its own (embedded-process.ts), as
   * beside a real platform, instead of in this process (the API's default; `gatehouse replay` sets it
   * unless `--in-process`): the simulator's load then does not share Gatehouse's event loop, and the
   * simulator no longer slows down with Gatehouse — as a platform's traffic does not.
   */
  ownProcess?: boolean;
  /** A ready platform (the demo's chat); `url`, `key` and `via` are then ignored. */
  platform?: Platform;
  /** Handle prefix (default: unique per run, so a server can be reused). */
  prefix?: string;
  /** Real seconds of the live phase (default: the scenario's live.seconds). */
  liveSeconds?: number;
  /** The platform's timeout for one pre-send check, ms: answers slower than this are counted (default 100). */
  checkTimeoutMs?: number;
  /** Parallel HTTP calls in the set-up phases (default 8). */
  concurrency?: number;
  /**
   * After the run, the owners of contained accounts walk the recovery case (appeal → restored) and the
   * time it takes is measured (default true). `leaveFrozen` owners stay frozen (the demo shows one).
   */
  recover?: boolean;
  leaveFrozen?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface ReplayResult {
  metrics: Metrics;
  seconds: number;
  timeline: TimelinePoint[];
  /** The hijacked accounts and their friends, with passwords (for the demo to show). */
  cast: Cast;
}

export interface Cast {
  victims: Array<{
    handle: string;
    password: string;
    id: string;
    friends: Array<{ handle: string; password: string; id: string }>;
    /** The owner took the account back after the run (its password is then the new one). */
    recovered?: boolean;
  }>;
  /** Intruder messages the platform accepted (delivered or held), by the id Gatehouse knows. */
  accepted: Array<{ id: string; sender: string; to: Target }>;
}

export interface TimelinePoint {
  /** ms since the live phase started */
  t: number;
  kind: 'benign' | 'intruder' | 'contained';
}

interface LiveAction {
  at: number;
  seq: number;
  /** Actions with one key (an account, an attacker's address) run one after another, in order. */
  key: string;
  run: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function replay(opts: ReplayOptions): Promise<ReplayResult> {
  const started = performance.now();
  const sc = opts.scenario;
  const seed = opts.seed ?? 1;
  const n = opts.accounts ?? sc.society.accounts;
  const r = seededRng(hashSeed(`${sc.name}:${seed}`));
  const conc = opts.concurrency ?? 8;
  const progress = opts.onProgress ?? (() => undefined);
  const run = opts.prefix ?? `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}-`;
  let evn = 0;
  const eid = (k: string) => `${run}${k}${++evn}`;
  let embedded: { close: () => Promise<void> } | undefined;
  let platform: Platform;
  if (opts.platform) platform = opts.platform;
  else if (opts.via === 'chat') {
    if (opts.url)
      throw new GatehouseError('BAD_REQUEST', '--via chat runs an embedded Gatehouse; drop --url');
    const { startChatStack } = await import('./chat-stack.ts');
    const st = await startChatStack({});
    embedded = st;
    platform = new ChatPlatform(st.chatUrl, new SimApi(st.gatehouseUrl, st.key), () =>
      st.chat.rechecksSettled(),
    );
  } else if (opts.url) {
    if (!opts.key) throw new GatehouseError('BAD_REQUEST', '--key is required with --url');
    platform = new ApiPlatform(new SimApi(opts.url, opts.key), () => eid('m'));
  } else if (opts.ownProcess) {
    // Gatehouse in a process of its own, as beside a real platform (embedded-process.ts)
    const { startSimGatehouseProcess } = await import('./embedded-process.ts');
    const e = await startSimGatehouseProcess();
    embedded = e;
    platform = new ApiPlatform(new SimApi(e.url, e.key), () => eid('m'));
  } else {
    const { startSimGatehouse } = await import('./embedded.ts');
    const e = await startSimGatehouse();
    embedded = e;
    platform = new ApiPlatform(new SimApi(e.url, e.key), () => eid('m'));
  }
  try {
    const society = buildSociety(sc, n, seededRng(hashSeed(`society:${seed}`)), run);
    const scn = opts.liveSeconds ? { ...sc, live: { ...sc.live, seconds: opts.liveSeconds } } : sc;
    const recover = opts.recover === false ? false : { leaveFrozen: opts.leaveFrozen ?? 0 };
    const rec = await play(platform, scn, society, r, run, conc, progress, eid, recover);
    rec.checkTimeoutMs = opts.checkTimeoutMs ?? 100;
    const metrics = computeMetrics(sc, rec);
    return {
      metrics,
      seconds: (performance.now() - started) / 1000,
      timeline: rec.timeline,
      cast: rec.cast,
    };
  } finally {
    // the client's kept-alive connections (a platform given by the caller is the caller's to close)
    if (!opts.platform) await platform.gatehouse.close();
    await embedded?.close();
  }
}

async function play(
  platform: Platform,
  sc: Scenario,
  soc: Society,
  r: Rng,
  run: string,
  conc: number,
  progress: (phase: string, done: number, total: number) => void,
  eid: (k: string) => string,
  recover: false | { leaveFrozen: number },
): Promise<RunRecord & { timeline: TimelinePoint[]; cast: Cast }> {
  const api = platform.gatehouse;
  const people = soc.people;
  const accts: Acct[] = new Array(people.length);
  let done = 0;
  await pool(
    people,
    conc,
    async (p, i) => {
      const password = `pw-${run}${i}-spring rain`;
      const id = await platform.createAccount(p, password);
      accts[i] = { p, id, password };
    },
    () => progress('accounts', ++done, people.length),
  );
  // The society's friendships and groups on the platform (the chat keeps its own; the API has none).
  const groupIds = await platform.connect(
    accts.map((a) => ({ p: a.p, id: a.id })),
    soc.groups,
    conc,
    (d, t) => progress('friends', d, t),
  );
  const gid = (g: string) => groupIds.get(g) ?? g;
  if (platform instanceof ChatPlatform)
    for (const g of soc.groups)
      platform.groupMembers.set(
        gid(g.id),
        g.members.map((m) => accts[m]!.id),
      );

  // History: friends, groups, ordinary messages at each person's usual hours. It is the platform's
  // backfill through POST /v1/events (the chat stamps messages now, so the past cannot go through it).
  const now = Date.now();
  const homeHour = sc.live.localHour;
  const histStart = now - sc.history.hours * HOUR;
  const histEnd = now - 2 * 60_000;
  const events: Array<Record<string, unknown>> = [];
  for (const a of accts) {
    for (const f of a.p.friends)
      events.push({
        id: eid('fa'),
        type: 'friend.added',
        time: histStart,
        account: a.id,
        friend: accts[f]!.id,
      });
    for (const g of a.p.groups) {
      const grp = soc.groups[g]!;
      events.push({
        id: eid('gj'),
        type: 'group.joined',
        time: histStart,
        account: a.id,
        group: { id: gid(grp.id), memberCount: grp.members.length },
      });
    }
  }
  const histMsgs: Array<Record<string, unknown>> = [];
  for (const a of accts) {
    const count = Math.round((sc.history.messagesPerDay * sc.history.hours) / 24);
    let made = 0;
    let guard = 0;
    while (made < count && guard++ < count * 30) {
      const t = histStart + Math.floor(r() * (histEnd - histStart));
      if (!inWindow(Math.floor(localHour(a.p, t, now, homeHour)), a.p.hours)) continue;
      made++;
      const inGroup = a.p.groups.length > 0 && r.chance(0.2);
      const text = benignText(a.p, r);
      const urls = text.match(/https?:\/\/\S+/g) ?? [];
      const to = a.p.close.length ? accts[r.pick(a.p.close)]!.id : undefined;
      if (!inGroup && !to) continue;
      const grp = inGroup ? soc.groups[r.pick(a.p.groups)]! : undefined;
      histMsgs.push({
        id: eid('h'),
        type: 'message.sent',
        time: t,
        account: a.id,
        // No session: the owners' sessions are months old in the story (see ApiPlatform.ownerSend).
        ...(grp ? { group: { id: gid(grp.id), memberCount: grp.members.length } } : { recipients: [to] }),
        text,
        urls,
        client: platform.clientOf(a.p),
      });
    }
  }
  histMsgs.sort((x, y) => (x.time as number) - (y.time as number));
  for (const m of histMsgs) events.push(m);
  const sentinel = `${run}sentinel`;
  events.push({ id: eid('s'), type: 'friend.added', time: now, account: sentinel, friend: `${run}nobody` });
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < events.length; i += 1000) batches.push(events.slice(i, i + 1000));
  done = 0;
  for (const b of batches) {
    const res = await api.call<{ rejected: number; results: Array<{ status: string; reason?: string }> }>(
      'POST',
      '/v1/events',
      { events: b },
    );
    if (res.data.rejected > 0) {
      const bad = res.data.results.find((x) => x.status === 'rejected');
      throw new Error(`history events rejected: ${JSON.stringify(bad)}`);
    }
    progress('history', ++done, batches.length);
  }
  await waitForEngine(api, sentinel);

  // Live phase: a schedule of actions started in a fixed order at their real times (see below).
  const liveMs = sc.live.seconds * 1000;
  const actions: LiveAction[] = [];
  let seq = 0;
  const add = (at: number, key: string, f: () => Promise<void>) =>
    actions.push({ at, seq: seq++, key, run: f });
  const rec: RunRecord & { timeline: TimelinePoint[]; cast: Cast } = {
    accounts: accts.length,
    hijacked: new Map(),
    benignChecks: new Map(),
    benignSignals: new Map(),
    intruderSignals: new Map(),
    feed: [],
    timeline: [],
    transport: platform.transport,
    cast: { victims: [], accepted: [] },
    checks: [],
    sentAt: new Map(),
    qr: { relayed: new Map(), legit: [] },
    away: new Map(),
  };
  /** The sessions of owners away from home (`live.away`), once they have signed in there. */
  const awaySessions = new Map<string, unknown>();
  let liveStart = 0;
  /** One pre-send check as the platform feels it: when it was asked, how long the answer took. */
  const timed = async (send: () => Promise<SendAnswer>): Promise<SendAnswer> => {
    const at = Date.now();
    const t0 = performance.now();
    const v = await send();
    rec.checks!.push({ at: at - liveStart, ms: performance.now() - t0 });
    if (v.id) rec.sentAt!.set(v.id, at);
    return v;
  };
  const rel = () => Date.now() - liveStart;
  /** Splits a send into one per friend when the platform sends one message per conversation. */
  const split = (to: Target): Target[] =>
    platform.onePerConversation && 'recipients' in to && to.recipients.length > 1
      ? to.recipients.map((x) => ({ recipients: [x] }))
      : [to];
  const benign = (a: Acct, to: Target, c: Content) => async () => {
    // an owner away from home sends from the session they signed in with there
    const away = awaySessions.get(a.id);
    const client = platform.clientOf(a.p);
    for (const t of split(to)) {
      const v = await timed(() =>
        away !== undefined
          ? platform.intruderSend(away, a.id, t, c, client)
          : platform.ownerSend(a.p.index, a.id, t, c, client),
      );
      rec.timeline.push({ t: rel(), kind: 'benign' });
      const b = rec.benignChecks.get(a.id) ?? { challenged: false, held: false, blocked: false };
      if (v.challenged) b.challenged = true;
      else if (v.verdict === 'hold') b.held = true;
      else if (v.verdict === 'block') b.blocked = true;
      if (v.verdict !== 'allow')
        for (const x of v.reasons) rec.benignSignals.set(x, (rec.benignSignals.get(x) ?? 0) + 1);
      rec.benignChecks.set(a.id, b);
    }
  };

  // Victims.
  const victims = new Set<number>();
  if (sc.attack && (sc.attack.share > 0 || sc.attack.count !== undefined)) {
    const want = Math.min(
      accts.length,
      sc.attack.count ?? Math.max(1, Math.round(sc.attack.share * accts.length)),
    );
    const order = accts.map((_, i) => i);
    while (victims.size < want) {
      const prev = [...victims];
      let pick: number;
      if (sc.attack.spreadsToContacts && prev.length >= 3 && r.chance(0.6)) {
        const fs = accts[r.pick(prev)]!.p.friends.filter((f) => !victims.has(f));
        pick = fs.length ? r.pick(fs) : order[r.int(order.length)]!;
      } else pick = order[r.int(order.length)]!;
      victims.add(pick);
    }
  }
  const atk = sc.attack;
  const victimList = [...victims];
  const accepted = rec.cast.accepted;
  let refused = 0;
  victimList.forEach((vi, k) => {
    if (!atk) return;
    const a = accts[vi]!;
    rec.cast.victims.push({
      handle: a.p.handle,
      password: a.password,
      id: a.id,
      friends: a.p.friends.map((f) => ({
        handle: accts[f]!.p.handle,
        password: accts[f]!.password,
        id: accts[f]!.id,
      })),
    });
    const signAt = Math.floor((k / victimList.length) * liveMs * 0.5);
    const viaQr = atk.signIn.method === 'qr';
    const sameCity = viaQr && r.chance(atk.signIn.sameCity);
    const ip = sameCity
      ? sameCityIp(a.p.ip, k)
      : atk.signIn.network === 'shared'
        ? `203.0.113.${1 + (k % 250)}`
        : `198.${18 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
    const ua = atk.mimicOwner ? a.p.userAgent : atk.signIn.userAgent;
    const h = {
      messages: [] as Array<{ id: string; t: number; recipients: number; allowed: boolean }>,
      containedAt: undefined as number | undefined,
      firstAt: undefined as number | undefined,
      account: a.id,
      signedIn: false,
    };
    rec.hijacked.set(a.id, h);
    let session: unknown;
    for (let g = 0; g < atk.signIn.failedGuesses; g++) {
      const other = accts[r.int(accts.length)]!;
      add(signAt, ip, () => platform.failedGuess(other.p.handle, ua, ip));
    }
    add(signAt, a.id, async () => {
      if (viaQr) {
        // the relayed approval: the victim's phone approves the intruder's QR login
        const q = await qrOf(platform).qrSignIn!(a.p.handle, { ua, ip });
        session = q?.session;
        rec.qr!.relayed.set(a.id, { probation: q?.probation ?? false, sameCity });
      } else session = await platform.intruderSignIn(a.p.handle, a.password, ua, ip);
      h.signedIn = session !== undefined;
    });
    // Targets.
    const friendIds = (atk.targets === 'close' ? a.p.close.slice(0, atk.closeFriends) : a.p.friends).map(
      (f) => accts[f]!.id,
    );
    const sends: Array<{ to: Target; c: Content }> = [];
    for (let i = 0; i < friendIds.length; i += atk.recipientsPerMessage) {
      const m = r.pick(atk.messages);
      sends.push({ to: { recipients: friendIds.slice(i, i + atk.recipientsPerMessage) }, c: content(m) });
    }
    if (atk.groups && atk.targets === 'all')
      for (const g of a.p.groups) {
        const grp = soc.groups[g]!;
        sends.push({
          to: { group: { id: gid(grp.id), memberCount: grp.members.length } },
          c: content(r.pick(atk.messages)),
        });
      }
    if (atk.maxMessages > 0) sends.length = Math.min(sends.length, atk.maxMessages);
    const firstAt = signAt + 300; // a moment to judge the account (3 minutes, compressed)
    // Through the chat every message carries the chat's own client; directly, the intruder's QQ-PC.
    const client: Client =
      atk.mimicOwner || platform.transport === 'chat'
        ? platform.clientOf(a.p)
        : { kind: 'desktop', name: 'QQ-PC', version: '9.7' };
    sends.forEach((s, j) => {
      const at = atk.pace === 'burst' ? firstAt : firstAt + j * atk.intervalSeconds * 1000;
      add(at, a.id, async () => {
        if (session === undefined) return;
        for (const to of split(s.to)) {
          const recipients = 'recipients' in to ? to.recipients.length : to.group.memberCount - 1;
          const t = Date.now();
          const v = await timed(() => platform.intruderSend(session, a.id, to, s.c, client));
          h.firstAt ??= t;
          for (const x of v.reasons) rec.intruderSignals.set(x, (rec.intruderSignals.get(x) ?? 0) + 1);
          const id = v.id ?? `${run}refused${++refused}`;
          h.messages.push({ id, t, recipients, allowed: v.verdict === 'allow' });
          if (v.id && v.verdict !== 'block') accepted.push({ id: v.id, sender: a.id, to });
          rec.timeline.push({ t: rel(), kind: v.verdict === 'allow' ? 'intruder' : 'contained' });
          if (v.contained && h.containedAt === undefined) h.containedAt = Date.now();
        }
      });
    });
  });

  // Benign background and greetings, from awake people on their own sessions (benign-schedule.ts).
  scheduleBenign({
    accts,
    victims,
    sc,
    r,
    now,
    homeHour,
    liveMs,
    soc,
    gid,
    platform,
    rec,
    awaySessions,
    add,
    benign,
    timed,
  });

  // Before the attack, each victim's owner keeps recovery codes (signed in to Gatehouse on their own
  // device and network, as on its account page).
  const codes = new Map<number, string[]>();
  if (recover && victimList.length > 0) {
    done = 0;
    await pool(
      victimList,
      conc,
      async (vi) => {
        const { p, password } = accts[vi]!;
        const owner = { handle: p.handle, password, ua: p.userAgent, ip: p.ip };
        codes.set(vi, await ownerKeepsCodes(api, owner, platform.ownerDeviceToken?.(p.handle)));
      },
      () => progress('codes', ++done, victimList.length),
    );
  }

  actions.sort((x, y) => x.at - y.at || x.seq - y.seq);
  liveStart = Date.now();
  done = 0;
  // Many people act at once: actions start at their times with up to `conc` accounts (or attacker
  // addresses) acting together, while each one's own actions stay in order, one after another.
  const chains = new Map<string, Promise<void>>();
  let failed: { error: unknown } | undefined;
  for (const act of actions) {
    if (!chains.has(act.key)) while (chains.size >= conc) await Promise.race(chains.values());
    if (failed) break;
    const wait = liveStart + act.at - Date.now();
    if (wait > 0) await sleep(wait);
    else rec.liveLagMs = Math.max(rec.liveLagMs ?? 0, -wait);
    const p: Promise<void> = (chains.get(act.key) ?? Promise.resolve())
      .then(() => (failed ? undefined : act.run()))
      .then(
        () => progress('live', ++done, actions.length),
        (error: unknown) => {
          failed ??= { error };
        },
      )
      .finally(() => {
        if (chains.get(act.key) === p) chains.delete(act.key);
      });
    chains.set(act.key, p);
  }
  await Promise.all(chains.values());
  if (failed) throw failed.error;
  const wait = liveStart + liveMs - Date.now();
  if (wait > 0) await sleep(wait);

  // The platform's late reports in and applied, the response part done (its queue empty), then the feed.
  if (platform.settle) await platformSettled(api, () => platform.settle!(), `${run}settled`);
  await responseSettled(api, progress);
  rec.feed = await readFeed(api, new Set(accts.map((a) => a.id)), progress);
  rec.liveStart = liveStart;
  // The platform's side: did recipients really lose the intruder messages?
  if (platform.verify)
    rec.platform = {
      ...(await platform.verify(accepted, (d, t) => progress('verify', d, t))),
      refusedByPlatform: refused,
    };

  // The owners of frozen accounts take them back; the demo leaves `leaveFrozen` of them (those whose
  // intruder messages the platform accepted first) frozen to show.
  if (recover) {
    const frozen = new Set<string>();
    for (const m of rec.feed) if (m.type === 'account.frozen' && m.account) frozen.add(m.account);
    const shown = new Set(accepted.map((m) => m.sender));
    const order = [...victimList].sort(
      (x, y) => Number(shown.has(accts[y]!.id)) - Number(shown.has(accts[x]!.id)),
    );
    const owners = order.filter((vi) => frozen.has(accts[vi]!.id)).slice(recover.leaveFrozen);
    rec.recoveries = [];
    done = 0;
    await pool(
      owners,
      conc,
      async (vi) => {
        const a = accts[vi]!;
        const newPassword = `${a.password} renewed`;
        const out = await recoverOwner(
          api,
          { handle: a.p.handle, ua: a.p.userAgent, ip: a.p.ip, codes: codes.get(vi) ?? [] },
          newPassword,
        );
        rec.recoveries!.push(out);
        const c = rec.cast.victims.find((v) => v.id === a.id);
        if (c && out.state === 'restored') {
          c.password = newPassword;
          c.recovered = true;
        }
      },
      () => progress('recovery', ++done, owners.length),
    );
  }
  return rec;
}
