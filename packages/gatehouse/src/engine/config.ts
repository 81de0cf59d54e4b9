/**
 * The engine's tunables in one place: the weights table (log-odds per signal at full strength),
 * the decision thresholds and the memory/time limits.
 *
 * Scoring is a logistic model: logit = BIAS + Σ weight(signal) × strength(signal), strength in
 * [0, 1]; risk = sigmoid(logit). Because every signal is a (weight, strength) pair, the weights can
 * later be learned from labelled decisions (logistic regression over the strengths) and dropped in
 * here without touching the detectors.
 */

/**
 * `app`: a third-party app's reads through the resource API (oauth/anomaly.ts weighs them per app, with
 * its own prior); no detector of an account's events emits them.
 */
export type SignalGroup = 'profile' | 'session' | 'velocity' | 'content' | 'crowd' | 'state' | 'app';

export interface WeightDef {
  /** log-odds at full strength */
  w: number;
  group: SignalGroup;
  doc: string;
}

/** Prior log-odds of an event being abusive before any signal (base rate ≈ 0.7 %). */
export const BIAS = -5;

export const WEIGHTS = {
  // profile deviation (COMPA-style: the account breaks its own habits)
  new_hour: { w: 0.7, group: 'profile', doc: 'message at an hour of day the account (almost) never uses' },
  new_client: {
    w: 1.2,
    group: 'session',
    doc: 'client kind/name never used by the account (a device signature, so compromise evidence)',
  },
  new_script: { w: 1.0, group: 'profile', doc: 'writing system (language) the account never uses' },
  first_link: { w: 1.5, group: 'profile', doc: 'first link ever from an account with a mature profile' },
  new_link_domain: {
    w: 0.8,
    group: 'profile',
    doc: 'link to a site the account never sent (a registered domain; a page, group, short link or tenant on a shared service)',
  },
  new_recipients: { w: 1.5, group: 'profile', doc: 'most recipients were never messaged before' },
  // velocity and fan-out against the account's own history
  velocity: { w: 1.5, group: 'velocity', doc: 'messages in 10 min far above the account’s own peak' },
  rate_1m: { w: 1.0, group: 'velocity', doc: 'more than 20 messages in one minute' },
  fanout: { w: 1.5, group: 'velocity', doc: 'distinct recipients in 10 min far above own peak' },
  first_contact_burst: { w: 2.0, group: 'velocity', doc: '≥ 5 never-messaged recipients in 10 min' },
  group_blast: { w: 1.5, group: 'velocity', doc: 'distinct groups in 10 min far above own peak' },
  repeated_content: { w: 1.0, group: 'velocity', doc: 'the same text sent ≥ 5 times in 10 min' },
  friend_removal_burst: { w: 1.5, group: 'velocity', doc: '≥ 5 friends removed in 10 min' },
  // session / sign-in
  session_new: {
    w: 0.8,
    group: 'session',
    doc: 'session younger than 24 h (full strength at 0, linear; a quarter on a known device, network and country)',
  },
  session_unknown: { w: 0.3, group: 'session', doc: 'session id never seen in a sign-in event' },
  signin_qr: {
    w: 0.8,
    group: 'session',
    doc: 'session signed in by QR code (relay risk); a quarter when the approving phone was on the same network',
  },
  signin_qr_relay: {
    w: 1.5,
    group: 'session',
    doc: "QR sign-in approved by a phone far from the requester (identity's qr_network_mismatch, qr_hosting_asn, qr_mint_burst: the session is on probation); with any risky content the session's messages are held",
  },
  session_confirmed: {
    w: -3.0,
    group: 'session',
    doc: 'the owner confirmed the session from an older session of theirs (POST /v1/me/sessions/:id/confirm)',
  },
  signin_device_code: { w: 1.0, group: 'session', doc: 'session signed in by device code' },
  signin_passkey: { w: -1.0, group: 'session', doc: 'session signed in with a passkey (phishing-resistant)' },
  familiar_context: {
    w: -8.0,
    group: 'session',
    doc: 'organic: usual client, no sign-in risk, no crowd or state signal — the account’s own habit-breaking (profile, velocity) is taken back, up to this much; content is judged on its own',
  },
  organic_content: {
    w: -6.0,
    group: 'crowd',
    doc: 'organic: the text, links and images are being passed along by many accounts that show no compromise and nothing in them is risky — the habit-breaking that comes with them is taken back, up to this much; the session’s own evidence stays',
  },
  device_new: { w: 1.0, group: 'session', doc: 'device never used by the account' },
  network_new: { w: 0.6, group: 'session', doc: 'network (/24, /48) never used by the account' },
  country_new: { w: 1.2, group: 'session', doc: 'country never used by the account' },
  signin_risk: { w: 2.0, group: 'session', doc: 'sign-in risk reported by identity (× risk)' },
  new_session_money: {
    w: 9.0,
    group: 'session',
    doc: 'asks for money, or makes a scam’s ask about money (or, having asked, pushes the talk to another channel), from a session that is not the owner’s usual one (< 72 h; a new device or country, or a new network without a known device): half strength for the first recipient, full from the second (a share of a split cost — AA, 一人三百二, "your half" — stays at half)',
  },
  new_session_code_ask: {
    w: 9.0,
    group: 'session',
    doc: 'asks for the one-time code that reached the reader’s phone, a password or a friend-assisted verification (no money named), from a session that is not the owner’s usual one (as new_session_money): half strength for the first recipient, full from the second',
  },
  session_link_spread: {
    w: 9.0,
    group: 'session',
    doc: 'links to domains the account never sent, from a session < 24 h on a new device or country, or a new network without a known device: half strength for the first recipient, 0.6 for two, full from three (a group counts as many)',
  },
  new_session_burst: {
    w: 1.5,
    group: 'session',
    doc: 'new session (< 1 h) on a new device or country, or a new network without a known device, immediately bursting',
  },
  login_wave: { w: 4.0, group: 'crowd', doc: 'many accounts signed in on new devices from one network' },
  password_changed_new_session: { w: 1.5, group: 'session', doc: 'password changed from a new session' },
  profile_changed_new_session: { w: 0.8, group: 'session', doc: 'profile changed from a new session' },
  // content
  text_score: { w: 2.0, group: 'content', doc: 'text scam/spam probability above 0.5 (scaled)' },
  intent_money: { w: 1.5, group: 'content', doc: 'asks for money, a transfer or top-up' },
  repeated_ask: {
    w: 6.5,
    group: 'content',
    doc: 'asked 3 or more people for money, a code or a scam’s favour within 10 minutes, message after message (one message to many does not count), from any session (a phone taken unlocked, a stolen session): two thirds at 3, full from 4; a share of a split cost does not count',
  },
  intent_abuse: { w: 1.5, group: 'content', doc: 'gambling, porn, phishing or giveaway wording' },
  // an operator's blocklist is an instruction: with the bias of -5 it reaches the block threshold alone
  url_blocked: {
    w: 9.0,
    group: 'content',
    doc: 'link to a domain on the operator blocklist (blocks on its own)',
  },
  url_lookalike: { w: 4.0, group: 'content', doc: 'link to a lookalike of a protected brand' },
  url_suspicious: { w: 1.5, group: 'content', doc: 'link with suspicious traits' },
  image_bank: { w: 4.0, group: 'content', doc: 'image matches a hash bank' },
  // a platform QR login passed around in chat is the relay of the 2022 QQ hijack: whoever scans and
  // approves it signs the sender in. Alone it challenges (logit 0.5); wording alone is half strength
  login_qr_shared: {
    w: 5.5,
    group: 'content',
    doc: 'the platform\'s own QR-login link in a message\'s image (decoded QR), text or links; half strength for "scan to log in / free skins" wording',
  },
  content_quarantined: { w: 6.0, group: 'content', doc: 'content fingerprint quarantined by an operator' },
  // crowd / campaign
  campaign_member: { w: 3.5, group: 'crowd', doc: 'content belongs to a detected campaign' },
  campaign_forming: { w: 1.0, group: 'crowd', doc: 'same content from several deviating accounts' },
  campaign_quarantined: {
    w: 3.5,
    group: 'crowd',
    doc: "content quarantined as a hijack campaign's, sent from a session that shows compromise",
  },
  reports: { w: 2.5, group: 'crowd', doc: 'recipients reported the account (distinct, 60 min)' },
  blocked_by_contacts: { w: 1.0, group: 'crowd', doc: 'contacts blocked the account (distinct, 60 min)' },
  victim_contact: { w: 1.5, group: 'crowd', doc: 'a friend of a confirmed hijack victim' },
  // account state
  owner_denied: {
    w: 11,
    group: 'state',
    doc: 'the owner said the activity was not them ("this wasn\'t me"): set by response and notify, never by a detector',
  },
  account_contained: {
    w: 11,
    group: 'state',
    doc: 'account already contained: every later event is judged contain (the response does only what is new)',
  },
  // third-party apps (oauth/anomaly.ts): one app's reads in a sliding window, against the app's usual
  app_friends_breadth: {
    w: 2.0,
    group: 'app',
    doc: "an app read the friend lists of many users in 10 min (≥ 30: scraping, or its back end's tokens replayed)",
  },
  app_profile_breadth: {
    w: 1.0,
    group: 'app',
    doc: 'an app read the profiles of many users in 10 min (≥ 200); opens an incident only with app_rate_jump',
  },
  app_rate_jump: {
    w: 1.5,
    group: 'app',
    doc: "an app's reach in 10 min is ≥ 5× its usual (EWMA of its past windows, floor 5 users)",
  },
  grant_many_networks: {
    w: 3.0,
    group: 'app',
    doc: "one user's grant to an app was used from ≥ 4 networks in 10 min (the grant's tokens leaked)",
  },
  app_networks_jump: {
    w: 2.5,
    group: 'app',
    doc: "an app's tokens came from ≥ 15 networks in 10 min and ≥ 5× its usual (tokens leaked from the app)",
  },
} as const satisfies Record<string, WeightDef>;

/**
 * Every signal the engine can emit: the one union detectors emit and policy files are checked
 * against (a typo in a policy would otherwise load and silently never fire).
 */
export type SignalName = keyof typeof WEIGHTS;
/** Every signal a detector may emit (each has a weight): the names a response policy may name. */
export const SIGNAL_NAMES: readonly SignalName[] = Object.keys(WEIGHTS) as SignalName[];
export type Weights = Record<SignalName, number>;

export function isSignalName(name: string): name is SignalName {
  return Object.hasOwn(WEIGHTS, name);
}

export function defaultWeights(): Weights {
  const out = {} as Weights;
  for (const k of Object.keys(WEIGHTS) as SignalName[]) out[k] = WEIGHTS[k].w;
  return out;
}

/**
 * Decision thresholds on the logit (log-odds):
 *  logit < challenge → allow; < hold → challenge; < block → hold; < contain → block;
 *  ≥ contain → contain, but only with compromise evidence (session + state signals ≥
 *  `compromiseEvidence`); otherwise block. A message is never contained on content, habit-breaking
 *  or a crowd alone: the account must show compromise (README, "Organic or hijack").
 *
 * With BIAS = -5: challenge ≈ risk 0.50, hold ≈ 0.88, block ≈ 0.98, contain ≈ 0.998.
 */
export interface Thresholds {
  challenge: number;
  hold: number;
  block: number;
  contain: number;
  compromiseEvidence: number;
}
export const DEFAULT_THRESHOLDS: Thresholds = {
  challenge: 0,
  hold: 2,
  block: 4,
  contain: 6,
  compromiseEvidence: 1.5,
};

export interface Limits {
  /** Accounts held in memory (least recently active evicted first). */
  maxAccounts: number;
  maxSessions: number;
  /** Content fingerprints tracked (least recently seen evicted first). */
  maxFingerprints: number;
  maxCampaigns: number;
  /** Networks and device fingerprints tracked for login waves. */
  maxNetworks: number;
  maxVictimContacts: number;
  /** Per account: recipients remembered as "usual" (learned), and recently messaged. */
  knownRecipients: number;
  recentRecipients: number;
  knownGroups: number;
  linkDomains: number;
  friends: number;
  devices: number;
  networks: number;
  /** Decisions kept per account for the risk timeline. */
  timeline: number;
  /** Members remembered per campaign. */
  campaignMembers: number;
  /** Content analysis results cached by text. */
  contentCache: number;
  /** Event-time bounds relative to the time received. */
  maxPastMs: number;
  maxFutureMs: number;
  /** Campaigns: k distinct senders with compromise evidence sent one fingerprint within 60 minutes … */
  campaignMinSenders: number;
  /** … and they are at least this share of all its senders (organic spread dilutes them). */
  campaignCompromisedShare: number;
  /**
   * Session + state log-odds from which a sender "shows compromise" (a session on a new device,
   * network or country, a young or QR session, a login wave, identity's risk, containment): only
   * such senders form or join campaigns or carry a victim's-contact prior.
   */
  compromisedSender: number;
  /** Profile-deviation log-odds at which an account "breaks its profile". */
  deviationThreshold: number;
  /** How long friends of a confirmed victim carry the raised prior. */
  victimPriorMs: number;
  /** Login wave: distinct accounts signing in on new devices from one network within 10 min. */
  loginWaveMinAccounts: number;
  /** Messages before the profile is trusted for deviation signals (strength ramps up to it). */
  profileMatureMessages: number;
  /** Half-life of the learned peak rates. */
  peakHalfLifeMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxAccounts: 200_000,
  maxSessions: 400_000,
  maxFingerprints: 200_000,
  maxCampaigns: 10_000,
  maxNetworks: 100_000,
  maxVictimContacts: 1_000_000,
  knownRecipients: 512,
  recentRecipients: 256,
  knownGroups: 128,
  linkDomains: 64,
  friends: 1_000,
  devices: 16,
  networks: 32,
  timeline: 50,
  campaignMembers: 1_000,
  contentCache: 20_000,
  maxPastMs: 24 * 3600_000,
  maxFutureMs: 5 * 60_000,
  campaignMinSenders: 5,
  campaignCompromisedShare: 0.5,
  compromisedSender: 1,
  deviationThreshold: 2,
  victimPriorMs: 72 * 3600_000,
  loginWaveMinAccounts: 5,
  profileMatureMessages: 20,
  peakHalfLifeMs: 14 * 24 * 3600_000,
};
