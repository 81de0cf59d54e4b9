/**
 * Campaigns: content fingerprints (normalised text, near-duplicate bands, link domains, image
 * hashes) correlated across accounts. `track` looks at one message and returns what it found
 * (campaigns joined or created, a campaign forming, quarantined content); operators change a
 * campaign's status and quarantine fingerprint keys.
 */
import type { Limits } from './config.ts';
import type { CampaignFindings } from './detectors/index.ts';
import { BoundedMap, HashKeyedMap } from './bounded.ts';
import { PriorSenders, inSketch } from './prior-senders.ts';
import type { AccountState } from './state.ts';
import { F_CMP_60, F_DEV_60, F_SEND_10, F_SEND_60, FINGERPRINT_METRICS, FingerprintState } from './state.ts';
import { hash53, nearDuplicateKeysOfLast } from './text.ts';
import type { Campaign, CampaignStatus, FingerprintKind, MessageSentEvent } from './types.ts';
import { W10, W60, WindowCounters, countDistinct, touchLastSeen } from './windows.ts';

export interface CampaignRecord {
  id: string;
  kind: FingerprintKind;
  key: string;
  sample: string;
  members: Set<string>;
  memberCount: number;
  firstSeen: number;
  lastSeen: number;
  status: CampaignStatus;
}

/** A campaign as stored in a snapshot (members as a list). */
export type CampaignJSON = Omit<CampaignRecord, 'members'> & { members: string[] };

/** One message as the tracker sees it. */
export interface TrackedMessage {
  ev: MessageSentEvent;
  acct: AccountState;
  acctHash: number;
  t: number;
  /** normalised-text fingerprint (0: no text) */
  fp: number;
  /** registered domains of the message's links */
  domains: readonly string[];
  /** the sender broke their own habits (profile + session log-odds ≥ deviationThreshold) */
  deviating: boolean;
  /** the sender shows compromise (session + state log-odds ≥ compromisedSender) */
  compromised: boolean;
  /** the content is risky on its own (see pipeline.ts) */
  risky: boolean;
}

/**
 * One sender of a tracked fingerprint, as engine workers share it across partitions (cluster/): the
 * counts a campaign needs (distinct senders, deviating and compromised ones per window) cross accounts,
 * and each partition sees only its own accounts' messages.
 */
export interface Sighting {
  kind: FingerprintKind;
  num: number;
  key: string;
  sample: string;
  account: string;
  acctHash: number;
  t: number;
  deviating: boolean;
  compromised: boolean;
  risky: boolean;
}

/** What `observe` needs of a sender (a local message or another partition's sighting). */
type Observation = Pick<TrackedMessage, 't' | 'acctHash' | 'deviating' | 'compromised' | 'risky'>;

export interface CampaignResult extends CampaignFindings {
  /** campaigns this message completed */
  created: Campaign[] | undefined;
}

const MAX_MEMBER_IDS = 64;
const FP_SENDERS = 256;
const SAMPLE_LEN = 200;

/** The number a fingerprint key is tracked under: the text hash itself, else a hash of the key. */
export function fingerprintNumber(key: string): number {
  return key.startsWith('t:') ? parseInt(key.slice(2), 36) : hash53(key, 3);
}

function isGrowthStep(n: number): boolean {
  if (n < 10) return false;
  const p = 10 ** Math.floor(Math.log10(n));
  return n === p || n === 2 * p || n === 5 * p;
}

/** Per-message accumulator of one `track` call. */
interface Pass {
  m: TrackedMessage;
  campaigns: string[] | undefined;
  created: Campaign[] | undefined;
  forming: number;
  quarantinedKey: string | undefined;
}

export class CampaignTracker {
  readonly limits: Limits;
  /** fingerprint number → state, for fingerprints sent by deviating accounts */
  readonly fingerprints: HashKeyedMap<FingerprintState>;
  readonly byFingerprint: HashKeyedMap<string>;
  readonly byId: BoundedMap<string, CampaignRecord>;
  readonly quarantined = new Set<string>();
  /** ordinary senders of content not followed yet (prior-senders.ts) */
  private readonly prior = new PriorSenders();
  private readonly quarantinedFp = new Set<number>();
  /** Near-duplicate campaign links and quarantines alive (MinHash is then computed for every message). */
  simhashLive = 0;
  private readonly stats: { campaigns: number };
  private readonly accounts: BoundedMap<string, AccountState>;
  /** campaigns that reached a growth step during the current event */
  private grown: Set<string> | undefined;
  /** Told of every sender this tracker counts for a fingerprint (engine workers share them). */
  onSighting: ((s: Sighting) => void) | undefined;

  constructor(limits: Limits, accounts: BoundedMap<string, AccountState>, stats: { campaigns: number }) {
    this.limits = limits;
    this.accounts = accounts;
    this.stats = stats;
    this.fingerprints = new HashKeyedMap(limits.maxFingerprints);
    this.byId = new BoundedMap(limits.maxCampaigns);
    this.byFingerprint = new HashKeyedMap(limits.maxCampaigns);
  }

  /** The accumulator of `track`, refilled per message (no allocation per message). */
  private readonly pass: Pass = {
    m: undefined as unknown as TrackedMessage,
    campaigns: undefined,
    created: undefined,
    forming: 0,
    quarantinedKey: undefined,
  };

  /**
   * Looks at one message's fingerprints: joins, creates or counts towards campaigns. The result is
   * valid until the next call (it is the tracker's own accumulator).
   */
  track(m: TrackedMessage): CampaignResult {
    const p = this.pass;
    p.m = m;
    p.campaigns = undefined;
    p.created = undefined;
    p.forming = 0;
    p.quarantinedKey = undefined;
    const { fp, deviating } = m;
    if (fp !== 0) this.see(p, 'text', fp, undefined, undefined);
    // near-duplicate text (MinHash bands): tracked for deviating senders; looked up for everyone
    // only while a near-duplicate campaign or quarantine exists (it costs ~1 µs per message)
    const nearKeys = deviating || this.simhashLive > 0 ? nearDuplicateKeysOfLast() : undefined;
    if (nearKeys !== undefined) this.seeNearDuplicates(p, nearKeys);
    for (const d of m.domains) {
      const k = `d:${d}`;
      this.see(p, 'domain', fingerprintNumber(k), k, d);
    }
    for (const at of m.ev.attachments) {
      const h = at.sha256.toLowerCase();
      const k = `i:${h}`;
      this.see(p, 'image', fingerprintNumber(k), k, h);
    }
    let campaigns = p.campaigns as string[] | undefined;
    if (campaigns && campaigns.length > 1) campaigns = [...new Set(campaigns)];
    const acct = m.acct;
    if (acct.pendingCampaigns) {
      for (const id of acct.pendingCampaigns) if (!campaigns?.includes(id)) (campaigns ??= []).push(id);
      acct.pendingCampaigns = undefined;
    }
    p.campaigns = campaigns;
    return p;
  }

  /**
   * One campaign per content: bands join the campaign of the exact text (or of the first band that
   * forms one), so a blast and its variants are one campaign, not five.
   */
  private seeNearDuplicates(p: Pass, nearKeys: string[]): void {
    const before = p.campaigns?.length ?? 0;
    const nums = nearKeys.map(fingerprintNumber);
    let linked = before > 0 ? p.campaigns![0] : undefined;
    if (linked === undefined)
      for (const num of nums) {
        const cid = this.byFingerprint.get(num);
        if (cid !== undefined && this.byId.has(cid)) {
          linked = cid;
          break;
        }
      }
    for (let i = 0; i < nums.length; i++) {
      const num = nums[i]!;
      if (linked !== undefined) {
        const cur = this.byFingerprint.get(num);
        if (cur === linked) {
          if (!p.campaigns?.includes(linked)) this.see(p, 'text', num, nearKeys[i], undefined);
        } else if (cur === undefined || !this.byId.has(cur)) {
          this.byFingerprint.set(num, linked);
          this.simhashLive++;
        }
        continue;
      }
      this.see(p, 'text', num, nearKeys[i], undefined);
      if ((p.campaigns?.length ?? 0) > before) linked = p.campaigns![before];
    }
    const fp = p.m.fp;
    if (linked !== undefined && fp !== 0 && !this.byFingerprint.has(fp)) this.byFingerprint.set(fp, linked);
  }

  private see(
    p: Pass,
    kind: FingerprintKind,
    num: number,
    key: string | undefined,
    sample: string | undefined,
  ): void {
    const { m } = p;
    const t = m.t;
    if (this.quarantinedFp.size > 0 && this.quarantinedFp.has(num))
      p.quarantinedKey = key ?? `t:${num.toString(36)}`;
    // most fingerprints are in no campaign and tracked by nobody: a bit says so without a lookup
    const cid = this.byFingerprint.mayHave(num) ? this.byFingerprint.get(num) : undefined;
    const cr = cid !== undefined ? this.byId.get(cid) : undefined;
    if (cr !== undefined) {
      if (cr.status !== 'dismissed') {
        if (cr.status === 'quarantined') p.quarantinedKey = cr.key;
        // the content is recognised as the campaign's; but an organic sender of it (usual
        // session, no compromise) is not a member: forwarding what a campaign sent is not being
        // hijacked (and the pipeline gives it no campaign signal)
        (p.campaigns ??= []).push(cr.id);
        if (m.compromised) this.addMember(cr, m.acct.id, t);
      }
      return;
    }
    // Fingerprints are created only by accounts that break their own habits (COMPA) or show
    // compromise; once one exists, every sender of it is counted (distinct senders per window).
    if (!m.deviating && !m.compromised) {
      const st = this.fingerprints.mayHave(num) ? this.fingerprints.get(num) : undefined;
      if (st !== undefined) {
        this.onSighting?.(sighting(kind, num, st.key, st.sample, m));
        if (t > st.lastSeen) st.lastSeen = t;
        countSender(st, m.acctHash, t);
      } else this.prior.see(num, m.acctHash, t);
      return;
    }
    const fkey = key ?? `t:${num.toString(36)}`;
    const fsample = sample ?? m.ev.text.slice(0, SAMPLE_LEN);
    const st = this.observe(kind, num, fkey, fsample, m, m.acct.id);
    this.onSighting?.(sighting(kind, num, fkey, fsample, m));
    if (!st.risky || !m.compromised) return;
    // a near-duplicate band counts only deviating and compromised senders: the text it was cut from
    // says whether owners pass it along (then it is no campaign, not even forming)
    if (kind === 'text' && key !== undefined && key.startsWith('s:') && this.organicAt(m.fp, t)) return;
    // Hijack spread, not organic spread: k senders with compromise evidence within the hour, and
    // they are a real share of everyone sending it (a greeting card passed along by hundreds of
    // owners on their usual phones dilutes the few who happen to be on a new network).
    const win = st.win!;
    const cmp = win.sum(F_CMP_60, t, W60);
    const all = win.sum(F_SEND_60, t, W60);
    // owners pass it along: a few of them on new phones are no campaign, not even forming
    if (this.organicCounts(all, cmp)) return;
    if (cmp >= this.limits.campaignMinSenders) {
      // another fingerprint of this same message already belongs to a campaign: this one (which
      // reached the threshold on its own) joins it, so one blast is one campaign (text + domain …)
      const same = p.campaigns?.[0];
      const joined = same !== undefined ? this.byId.get(same) : undefined;
      if (joined !== undefined) {
        st.campaign = joined.id;
        this.byFingerprint.set(num, joined.id);
        for (const id of st.compromisedIds ?? []) this.addMember(joined, id, t);
        return;
      }
      const c2 = this.create(st, num, t);
      (p.campaigns ??= []).push(c2.id);
      this.addMember(c2, m.acct.id, t);
      (p.created ??= []).push(this.view(c2));
    } else if (cmp >= 2) p.forming = Math.max(p.forming, cmp);
  }

  /**
   * Counts another partition's sender of a fingerprint like a local one (campaigns are still created
   * and joined by local messages, which then see the whole deployment's counts). The earliest sighting
   * dates the fingerprint, so every partition names a campaign alike.
   */
  observeRemote(s: Sighting): void {
    if (!s.deviating && !s.compromised) {
      const st = this.fingerprints.get(s.num);
      if (st === undefined) return;
      if (s.t > st.lastSeen) st.lastSeen = s.t;
      countSender(st, s.acctHash, s.t);
      return;
    }
    const st = this.observe(s.kind, s.num, s.key, s.sample, s, s.account);
    if (s.t < st.firstSeen) st.firstSeen = s.t;
    const cid = this.byFingerprint.get(s.num);
    const cr = cid !== undefined ? this.byId.get(cid) : undefined;
    if (cr !== undefined && cr.status !== 'dismissed' && s.compromised) this.addMember(cr, s.account, s.t);
  }

  private observe(
    kind: FingerprintKind,
    num: number,
    key: string,
    sample: string,
    m: Observation,
    account: string,
  ): FingerprintState {
    const t = m.t;
    let st = this.fingerprints.get(num);
    if (st === undefined) {
      st = new FingerprintState(kind, key, sample, t, m.acctHash);
      st.win = new WindowCounters(FINGERPRINT_METRICS);
      st.senders = new Map();
      st.deviating = new Map();
      st.compromised = new Map();
      st.compromisedIds = [];
      // the owners who sent it before anyone deviating did are its senders too
      const pr = this.prior.take(num, t);
      if (pr !== undefined) {
        st.priorBits = pr.bits;
        st.priorLast = pr.last;
        st.win.add(F_SEND_60, pr.last, pr.count);
      }
      this.fingerprints.set(num, st);
    } else if (t > st.lastSeen) st.lastSeen = t;
    if (m.risky) st.risky = true;
    const win = st.win!;
    countSender(st, m.acctHash, t);
    if (m.deviating) {
      const pd = touchLastSeen(st.deviating!, FP_SENDERS, m.acctHash, t);
      countDistinct(win, t, pd, -1, -1, F_DEV_60);
    }
    if (m.compromised) {
      const pc = touchLastSeen(st.compromised!, FP_SENDERS, m.acctHash, t);
      countDistinct(win, t, pc, -1, -1, F_CMP_60);
      const ids = st.compromisedIds!;
      if (!ids.includes(account)) {
        ids.push(account);
        if (ids.length > MAX_MEMBER_IDS) ids.shift();
      }
    }
    return st;
  }

  private create(st: FingerprintState, num: number, t: number): CampaignRecord {
    const id = `cmp_${hash53(st.key).toString(36)}${Math.floor(st.firstSeen / 1000).toString(36)}`;
    const cr: CampaignRecord = {
      id,
      kind: st.kind,
      key: st.key,
      sample: st.sample,
      members: new Set(),
      memberCount: 0,
      firstSeen: st.firstSeen,
      lastSeen: t,
      status: 'active',
    };
    this.byId.set(id, cr);
    this.byFingerprint.set(num, id);
    if (st.key.startsWith('s:')) this.simhashLive++;
    this.stats.campaigns++;
    st.campaign = id;
    for (const m of st.compromisedIds ?? []) {
      this.addMember(cr, m, t);
      const a = this.accounts.get(m);
      if (a) (a.pendingCampaigns ??= []).push(id);
    }
    return cr;
  }

  private addMember(cr: CampaignRecord, account: string, t: number): void {
    if (t > cr.lastSeen) cr.lastSeen = t;
    if (cr.members.has(account)) return;
    cr.memberCount++;
    if (cr.members.size < this.limits.campaignMembers) cr.members.add(account);
    // growth is reported at 10, 20, 50, 100, 200, 500, 1000 … members (not on every member)
    if (isGrowthStep(cr.memberCount)) (this.grown ??= new Set()).add(cr.id);
  }

  /** Campaigns that grew during the event just processed (other than those it created). */
  takeGrown(created: readonly Campaign[] | undefined): Campaign[] | undefined {
    if (this.grown === undefined) return undefined;
    let out: Campaign[] | undefined;
    for (const id of this.grown) {
      const c = this.byId.get(id);
      if (c && !created?.some((x) => x.id === id)) (out ??= []).push(this.view(c));
    }
    this.grown = undefined;
    return out;
  }

  // ------------------------------------------------------------------ operator actions

  /** Quarantines a fingerprint key ("t:<base36>", "d:<registered domain>", "i:<sha256>"). */
  quarantine(fingerprintKey: string): void {
    if (fingerprintKey.startsWith('s:') && !this.quarantined.has(fingerprintKey)) this.simhashLive++;
    this.quarantined.add(fingerprintKey);
    this.quarantinedFp.add(fingerprintNumber(fingerprintKey));
  }

  unquarantine(fingerprintKey: string): void {
    if (fingerprintKey.startsWith('s:') && this.quarantined.has(fingerprintKey)) this.simhashLive--;
    this.quarantined.delete(fingerprintKey);
    this.quarantinedFp.delete(fingerprintNumber(fingerprintKey));
  }

  setStatus(id: string, status: CampaignStatus): Campaign | undefined {
    const c = this.byId.get(id);
    if (!c) return undefined;
    c.status = status;
    if (status === 'quarantined') this.quarantine(c.key);
    else this.unquarantine(c.key);
    return this.view(c);
  }

  // ------------------------------------------------------------------ views and snapshots

  list(): Campaign[] {
    return [...this.byId.values()].map((c) => this.view(c)).sort((x, y) => y.lastSeen - x.lastSeen);
  }

  /**
   * Whether a decision may hand this content key (as in `Decision.fingerprints`) to the response part
   * to quarantine, judged by who sends it: yes when it belongs to a campaign; no when it is passed along
   * organically (sent within the hour by at least `campaignMinSenders` distinct accounts, fewer than
   * `campaignCompromisedShare` of them showing compromise); else yes when it is `bad` in itself (a link
   * the URL part does not find clean, an image the bank knows) or a second sender showing compromise
   * sent it within the hour. One contained sender alone quarantines nothing by its sending: its account
   * is stopped anyway, and what it sent may be what hundreds of owners send — a greeting card, a
   * settling-up ask — before the engine has counted them.
   */
  quarantinable(key: string, t: number, bad: boolean): boolean {
    const num = fingerprintNumber(key);
    if (this.campaignHolds(num)) return true;
    const w = this.fingerprints.mayHave(num) ? this.fingerprints.get(num)?.win : undefined;
    if (w === undefined) return bad;
    return !this.organicAt(num, t) && (bad || w.sum(F_CMP_60, t, W60) >= 2);
  }

  /**
   * Whether an automatic quarantine of `key` may give way at `t`: its content belongs to no campaign (a
   * dismissed one aside) and is passed along organically (organicAt) — owners sent a card that two
   * compromised sessions had sent first.
   */
  organicKey(key: string, t: number): boolean {
    return this.organicFree(fingerprintNumber(key), t);
  }

  /**
   * Whether everything a message carries — text fingerprint `fp` (0: none), links to `domains`, images —
   * belongs to no campaign and is passed along organically at `t` (organicAt); false for an empty message.
   */
  organicMessage(
    fp: number,
    domains: readonly string[],
    images: readonly { sha256: string }[],
    t: number,
  ): boolean {
    if (fp === 0 && domains.length === 0 && images.length === 0) return false;
    if (fp !== 0 && !this.organicFree(fp, t)) return false;
    for (const d of domains) if (!this.organicKey(`d:${d}`, t)) return false;
    for (const im of images) if (!this.organicKey(`i:${im.sha256.toLowerCase()}`, t)) return false;
    return true;
  }

  /** Content under fingerprint number `num`: in no campaign (a dismissed one aside) and organic at `t`. */
  private organicFree(num: number, t: number): boolean {
    return !this.campaignHolds(num) && this.organicAt(num, t);
  }

  /** Whether the content under fingerprint number `num` belongs to a campaign not dismissed. */
  private campaignHolds(num: number): boolean {
    const cid = this.byFingerprint.mayHave(num) ? this.byFingerprint.get(num) : undefined;
    const cr = cid !== undefined ? this.byId.get(cid) : undefined;
    return cr !== undefined && cr.status !== 'dismissed';
  }

  /** Whether links to registered domain `d` are being passed along organically at `t` (organicAt). */
  organicDomain(d: string, t: number): boolean {
    return this.organicAt(fingerprintNumber(`d:${d}`), t);
  }

  /**
   * Whether the content under fingerprint number `num` is passed along organically at `t`: sent within
   * the hour by at least `campaignMinSenders` distinct accounts, fewer than `campaignCompromisedShare`
   * of them showing compromise.
   */
  private organicAt(num: number, t: number): boolean {
    if (num === 0) return false;
    const w = this.fingerprints.mayHave(num) ? this.fingerprints.get(num)?.win : undefined;
    // not followed yet: only ordinary senders sent it (prior-senders.ts)
    if (w === undefined) return this.organicCounts(this.prior.count(num, t), 0);
    return this.organicCounts(w.sum(F_SEND_60, t, W60), w.sum(F_CMP_60, t, W60));
  }

  /** The one rule: at least `campaignMinSenders` senders within the hour, under the compromised share. */
  private organicCounts(all: number, compromised: number): boolean {
    return all >= this.limits.campaignMinSenders && compromised < this.limits.campaignCompromisedShare * all;
  }

  get(id: string): Campaign | undefined {
    const c = this.byId.get(id);
    return c ? this.view(c) : undefined;
  }

  view(c: CampaignRecord): Campaign {
    const st = this.fingerprints.get(fingerprintNumber(c.key));
    const w = st?.win;
    return {
      ...(w
        ? {
            senders10m: w.sum(F_SEND_10, st.lastSeen, W10),
            senders60m: w.sum(F_SEND_60, st.lastSeen, W60),
            deviating60m: w.sum(F_DEV_60, st.lastSeen, W60),
            compromised60m: w.sum(F_CMP_60, st.lastSeen, W60),
          }
        : {}),
      id: c.id,
      kind: c.kind,
      key: c.key,
      sample: c.sample,
      members: [...c.members],
      memberCount: c.memberCount,
      firstSeen: c.firstSeen,
      lastSeen: c.lastSeen,
      status: c.status,
    };
  }

  restoreCampaign(c: CampaignJSON): void {
    this.byId.set(c.id, { ...c, members: new Set(c.members) });
    this.byFingerprint.set(fingerprintNumber(c.key), c.id);
  }
}

/**
 * Counts a sender of a followed fingerprint once per window; one the prior sketch holds was counted when
 * the tracker took the fingerprint over (prior-senders.ts), up to that sketch's last sending.
 */
function countSender(st: FingerprintState, acctHash: number, t: number): void {
  let prev = touchLastSeen(st.senders!, FP_SENDERS, acctHash, t);
  if (prev === -Infinity && st.priorBits !== undefined && inSketch(st.priorBits, acctHash))
    prev = st.priorLast;
  countDistinct(st.win!, t, prev, -1, F_SEND_10, F_SEND_60);
}

function sighting(
  kind: FingerprintKind,
  num: number,
  key: string,
  sample: string,
  m: TrackedMessage,
): Sighting {
  return {
    kind,
    num,
    key,
    sample,
    account: m.acct.id,
    acctHash: m.acctHash,
    t: m.t,
    deviating: m.deviating,
    compromised: m.compromised,
    risky: m.risky,
  };
}
