import type { PlatformEvent, SignInMethod } from '@gatehouse/sdk';
import type { IntentName } from '../content/text/index.ts';
import type { LoginQrFinding } from '../content/qr/index.ts';
import type { SignalName } from './config.ts';

export type { IntentName, SignalName };

export type { PlatformEvent, MessageSentEvent, MessageReportedEvent, SignInMethod } from '@gatehouse/sdk';

// ---- identity events (the SDK's IdentityEvent, from the identity part through the bus, mapped by
// engine/service.ts identityFromBus to these inputs) ----

export interface DeviceInfo {
  /** Stable device id (platform or Gatehouse device cookie). */
  id: string;
  name?: string;
  /** Device fingerprint shared by devices of one kind/farm (used for login-wave detection). */
  fingerprint?: string;
}

interface IdentityBase {
  id: string;
  time: number;
  account: string;
}

export interface LoginSucceededEvent extends IdentityBase {
  type: 'identity.login.succeeded';
  session: string;
  method: SignInMethod;
  device: DeviceInfo;
  ip: string;
  userAgent?: string;
  /** ISO 3166 country code from GeoIP, when the caller knows it. */
  country?: string;
  /** Sign-in risk in [0, 1] computed by identity, when available. */
  risk?: number;
}
export interface SessionCreatedEvent extends IdentityBase {
  type: 'identity.session.created';
  session: string;
  method?: SignInMethod;
  device?: DeviceInfo;
  ip?: string;
  userAgent?: string;
  country?: string;
}
export interface SessionRevokedEvent extends IdentityBase {
  type: 'identity.session.revoked';
  session: string;
}
/** A QR cross-device sign-in with identity's relay signals, measured at the approval. */
export interface SigninQrEvent extends IdentityBase {
  type: 'identity.signin.qr';
  session: string;
  /** the requester and the approving phone on one network (or one ASN in one city) */
  sameNetwork: boolean;
  /** identity judged the two ends not near each other (the session is on probation) */
  mismatch: boolean;
  /** identity's relay signals (qr_network_mismatch, qr_hosting_asn, qr_mint_burst) */
  signals: Array<{ name: string; value: number }>;
}
/** The owner vouched for a session from an older one of theirs. */
export interface SessionConfirmedEvent extends IdentityBase {
  type: 'identity.session.confirmed';
  session: string;
}
export interface PasswordChangedEvent extends IdentityBase {
  type: 'identity.password.changed';
  session?: string;
  /** recovery: the owner's own reset in account recovery (every live session ended) */
  via?: 'recovery';
}
export interface AccountFrozenEvent extends IdentityBase {
  type: 'identity.account.frozen';
  reason?: string;
  /** containment: a hijack victim (its contacts carry a raised prior); absent in events logged before. */
  kind?: 'containment' | 'sanction';
  /** When the containment was decided (default: the event's time). */
  decidedAt?: number;
}
export interface AccountUnfrozenEvent extends IdentityBase {
  type: 'identity.account.unfrozen';
}

export type IdentityEvent =
  | LoginSucceededEvent
  | SessionCreatedEvent
  | SessionRevokedEvent
  | SigninQrEvent
  | SessionConfirmedEvent
  | PasswordChangedEvent
  | AccountFrozenEvent
  | AccountUnfrozenEvent;

/** Everything the engine consumes, keyed by `account`, timed by `time` (epoch ms). */
export type EngineEvent = PlatformEvent | IdentityEvent;

// ---- content analysis (the content part implements this; the engine only needs this much) ----

export interface TextIntent {
  /**
   * The content part's intent vocabulary (money, impersonation, prize, gambling, porn, offPlatform,
   * credential: a one-time code, a password or an assisted verification asked of the reader).
   */
  intent: IntentName;
  term: string;
  start: number;
  end: number;
}
export interface TextScore {
  /** Probability the text is spam/scam, in [0, 1]. */
  probability: number;
  intents: TextIntent[];
  /**
   * What the message asks the reader to do (its words), found where the content part's scam model
   * reads the message as a scam or nearly so (`scamMargin`); absent otherwise (and from analyzers
   * without a scam model).
   */
  scamAsk?: string;
  /** The scam model's log-odds over its threshold (≥ 0: a scam by itself); absent: -Infinity. */
  scamMargin?: number;
  /** Where the message asks for money: the words that make it a share of a split cost ("AA", "your half"). */
  share?: string;
}
export type UrlVerdictKind = 'blocked' | 'lookalike' | 'suspicious' | 'clean';
export interface UrlVerdict {
  url: string;
  /**
   * The link's site: its registered domain, or for a page anyone may publish on a shared platform (a
   * Google or Tencent form, a file share) that page (`docs.qq.com/form/page/DUk…`, content/url
   * user-content.ts). First links, link spread and domain fingerprints count sites.
   */
  registeredDomain: string;
  verdict: UrlVerdictKind;
  brand?: string;
  reasons: string[];
  /** Where the link is in the message text (UTF-16 offsets), when it was found there. */
  start?: number;
  end?: number;
}
/** Two consecutive messages read as one because a link crosses the cut between them. */
export interface JoinedMessages {
  /** The end of the previous message followed by this one. */
  text: string;
  /** The links that exist only across the cut (url.split_across_messages among their reasons). */
  links: UrlVerdict[];
}
export interface ImageMatch {
  label: string;
  distance: number;
}
export interface ContentAnalyzer {
  scoreText(text: string): TextScore;
  /** Verdicts for the URLs in `urls` and those found in `text`. */
  analyzeUrls(text: string, urls: readonly string[]): UrlVerdict[];
  /** A bank match for a PDQ hash (64 hex) or SHA-256 (64 hex), if any. */
  matchImage(hash: string): ImageMatch | undefined;
  /**
   * Links that exist only when this message is read after the same sender's previous message in
   * the same conversation ("discord-gift" then ".com/nitro"). Stateful: called once per message,
   * in order. Returns the joined text (the previous message's tail + this message) when a link
   * crosses the cut, else undefined. Optional (an analyzer without it never joins messages).
   */
  linksAcrossMessages?(
    sender: string,
    conversation: string,
    text: string,
    at: number,
  ): JoinedMessages | undefined;
  /**
   * Intent `login_qr_shared`: the platform's own QR-login URL in the message's images (decoded QR
   * text), text or links, or "scan to log in" wording (content/qr).
   */
  loginQr?(text: string, urls: readonly string[], qr: readonly string[]): LoginQrFinding | undefined;
}

// ---- signals and decisions ----

export interface Reason {
  en: string;
  zh: string;
}

export interface Signal {
  /** Detector signal name, a key of the weights table. */
  name: SignalName;
  /** The observed value behind the signal (count, ratio, label …), for explanation. */
  value: number | string;
  /** What the plain explanation needs beyond `value` (explain.ts): a lookalike's brand, a term. */
  facts?: Readonly<Record<string, number | string>>;
  /** Strength in [0, 1] (some signals can go negative, e.g. a trusted context). */
  strength: number;
  /** Weight from the weights table (log-odds at full strength). */
  weight: number;
  /** Contribution to the score: weight × strength. */
  logOdds: number;
  reason: Reason;
}

export type Action = 'allow' | 'challenge' | 'hold' | 'block' | 'contain';
export const ACTIONS: readonly Action[] = ['allow', 'challenge', 'hold', 'block', 'contain'];

export interface Decision {
  /** Decision id ("dec:" + event id). */
  id: string;
  eventId: string;
  eventType: EngineEvent['type'];
  /** The account the decision is about (for a report: the reported sender). */
  account: string;
  session?: string;
  /** Event time (epoch ms). */
  time: number;
  action: Action;
  /** log-odds: bias + Σ signal log-odds. */
  logit: number;
  /** sigmoid(logit), in [0, 1]. */
  risk: number;
  /** The top reasons (largest positive contributions), at most 3. */
  reasons: Array<{ signal: SignalName } & Reason>;
  /** All signals that fired, largest contribution first. */
  signals: Signal[];
  /** Campaigns the event's content belongs to. */
  campaigns?: string[];
  /**
   * Content fingerprint keys of a message ("t:…", "d:<domain>", "i:<sha256>") the response part may
   * quarantine: a campaign's, a second compromised sender's, or bad in itself — never content passed
   * along organically (campaigns.ts `quarantinable`).
   */
  fingerprints?: string[];
  /**
   * Made by the pre-send check: the platform got the verdict before delivering, so a message judged
   * block or contain was never delivered.
   */
  checked?: boolean;
  /** The platform's message id of a `message.sent` decision when it differs from the event id. */
  messageId?: string;
}

/**
 * The id prefix of a late delivery's copy in the event log (late-delivery.ts): a message the check
 * stopped and the platform delivered all the same, judged again as delivered without being counted twice.
 */
export const DELIVERED_PREFIX = 'delivered:';

export type PreSendVerdict = 'allow' | 'hold' | 'block';

export interface CheckResult {
  verdict: PreSendVerdict;
  decision: Decision;
}

export type ProcessResult =
  | {
      status: 'accepted';
      decision: Decision | undefined;
      /** Campaigns this event completed. */
      campaignsCreated?: Campaign[];
      /** Campaigns that reached 10, 20, 50, 100 … members with this event. */
      campaignsGrown?: Campaign[];
    }
  | { status: 'rejected'; reason: 'too_old' | 'too_far_in_future'; detail: string };

export type FingerprintKind = 'text' | 'domain' | 'image';
export type CampaignStatus = 'active' | 'quarantined' | 'dismissed';

export interface Campaign {
  id: string;
  kind: FingerprintKind;
  /** Fingerprint key (normalised-text hash, registered domain, or image hash). */
  key: string;
  /** A content sample (first 200 chars of text, the domain, or the image hash). */
  sample: string;
  /** Member accounts (bounded; `memberCount` is the full count). */
  members: string[];
  memberCount: number;
  firstSeen: number;
  lastSeen: number;
  status: CampaignStatus;
  /** Distinct senders of the fingerprint in the last 10 and 60 minutes (of its last sighting). */
  senders10m?: number;
  senders60m?: number;
  /** … of which broke their own habits (60 minutes). */
  deviating60m?: number;
  /** … of which showed compromise evidence (60 minutes): the senders that make it a campaign. */
  compromised60m?: number;
}
