/**
 * The benign side of a live phase: owners' background chat to close friends while they are awake, the
 * scenario's greetings and viral link, their own QR logins, and sign-ins away from home (`live.away`,
 * on their own phone or a new one; what they send after it goes from there). Adds timed actions to the
 * replay's schedule (runner.ts); sends go through its `benign` sender, which records the verdicts.
 */
import type { Rng } from './rng.ts';
import type { Scenario } from './scenario.ts';
import { benignText, inWindow, type Person, type Society } from './society.ts';
import type { RunRecord } from './metrics.ts';
import { awayOf, content, type Content, type Platform, type SendAnswer, type Target } from './platform.ts';
import { ownQrLogin, qrOf } from './qr.ts';

const HOUR = 3_600_000;

export interface Acct {
  p: Person;
  id: string;
  password: string;
}

/** Local hour of a person at real time t, given the home hour at `now`. */
export function localHour(p: Person, t: number, now: number, homeHourAtNow: number): number {
  return (((homeHourAtNow + p.tzShift + (t - now) / HOUR) % 24) + 24) % 24;
}

export interface BenignPlan {
  accts: readonly Acct[];
  /** indexes of hijacked accounts (their owners are not scheduled) */
  victims: ReadonlySet<number>;
  sc: Scenario;
  r: Rng;
  now: number;
  homeHour: number;
  liveMs: number;
  soc: Society;
  gid: (g: string) => string;
  platform: Platform;
  rec: RunRecord;
  /** owners' sessions away from home, filled as they sign in there */
  awaySessions: Map<string, unknown>;
  add: (at: number, key: string, f: () => Promise<void>) => void;
  /** the owner's send of `c` to `to`, recording its verdict */
  benign: (a: Acct, to: Target, c: Content) => () => Promise<void>;
  /** a send timed as the platform feels it (the replay's check latency) */
  timed: (send: () => Promise<SendAnswer>) => Promise<SendAnswer>;
}

/**
 * `{sender}` in a greeting's link stands for a page of the sender's own (a couple's wedding invitation, a
 * shop's own poster): a token per account, the same in every message of theirs.
 */
export function ownPage(c: Content, i: number): Content {
  if (!c.text.includes(SENDER)) return c;
  const token = `p${(i * 7919 + 104_729).toString(36)}`;
  return {
    ...c,
    text: c.text.replaceAll(SENDER, token),
    urls: c.urls.map((u) => u.replaceAll(SENDER, token)),
  };
}
const SENDER = '{sender}';

export function scheduleBenign(o: BenignPlan): void {
  const {
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
  } = o;
  const text = (t: string): Content => ({ text: t, urls: t.match(/https?:\/\/\S+/g) ?? [], attachments: [] });
  const awayPlatform = sc.live.away.share > 0 ? awayOf(platform) : undefined;
  for (const [i, a] of accts.entries()) {
    if (victims.has(i)) continue;
    const awake = inWindow(Math.floor(localHour(a.p, now, now, homeHour)), a.p.hours);
    const g = sc.greetings;
    if (g && r.chance(g.share)) {
      const t = r.pick(g.texts);
      const at = Math.floor(r() * liveMs * g.within);
      const c = ownPage(typeof t === 'string' ? { text: t, urls: [], attachments: [] } : content(t), i);
      if (g.to === 'group') {
        const grp = a.p.groups.length > 0 ? soc.groups[r.pick(a.p.groups)]! : undefined;
        if (grp) add(at, a.id, benign(a, { group: { id: gid(grp.id), memberCount: grp.members.length } }, c));
      } else {
        const to = (g.to === 'close' ? a.p.close.slice(0, 3) : a.p.friends).map((f) => accts[f]!.id);
        if (to.length) add(at, a.id, benign(a, { recipients: to }, c));
      }
    }
    if (g?.viralLink && r.chance(g.viralLink.share) && a.p.close.length) {
      const at = Math.floor(r() * liveMs);
      add(
        at,
        a.id,
        benign(
          a,
          { recipients: a.p.close.slice(0, 3).map((f) => accts[f]!.id) },
          { text: `${g.viralLink.text} ${g.viralLink.url}`, urls: [g.viralLink.url], attachments: [] },
        ),
      );
    }
    if (sc.live.qrLogins > 0 && r.chance(sc.live.qrLogins) && a.p.close.length) {
      const at = Math.floor(r() * liveMs);
      const friend = accts[r.pick(a.p.close)]!.id;
      add(at, a.id, ownQrLogin(qrOf(platform), a.p, a.id, friend, rec.qr!, timed));
    }
    if (awayPlatform && r.chance(sc.live.away.share)) {
      // away from home: signs in on another network early in the live phase (what they send before
      // that went from home), on their own phone or a new one
      const newPhone = r.chance(sc.live.away.newPhone);
      // a network of their own (one /24 each), another /16 than home
      const ip = `45.${60 + ((i >> 8) & 63)}.${i & 255}.${1 + (i % 200)}`;
      const w = { newPhone, signedIn: false };
      rec.away!.set(a.id, w);
      add(Math.floor(r() * liveMs * 0.25), a.id, async () => {
        const session = await awayPlatform.ownerSignInAway(a.p, a.password, ip, newPhone ? i : false);
        w.signedIn = session !== undefined;
        if (session !== undefined) awaySessions.set(a.id, session);
      });
    }
    if (!awake) continue;
    let k = sc.live.backgroundMessages;
    while (k > 0) {
      if (k >= 1 || r.chance(k)) {
        const at = Math.floor(r() * liveMs);
        const t = benignText(a.p, r);
        const to = a.p.close.length ? accts[r.pick(a.p.close)]!.id : undefined;
        if (to) add(at, a.id, benign(a, { recipients: [to] }, text(t)));
      }
      k -= 1;
    }
  }
}
