/**
 * What every message detector reads: the message, the account and session state, the content
 * verdict and the window counts, built once per message by the pipeline (pipeline.ts).
 */
import type { Limits } from '../config.ts';
import type { SignalSink } from '../signals.ts';
import type { AccountState, SessionState } from '../state.ts';
import type { MessageSentEvent } from '../types.ts';
import type { ContentVerdict } from '../verdict.ts';
import type { LoginQrFinding } from '../../content/qr/index.ts';

export interface MessageContext {
  t: number;
  ev: MessageSentEvent;
  acct: AccountState;
  sess: SessionState | undefined;
  limits: Limits;
  content: ContentVerdict;
  script: number;
  hour: number;
  clientKey: string;
  /** profile maturity in [0, 1] (messages learned / profileMatureMessages) */
  maturity: number;
  recipients: number;
  newRecipients: number;
  msgs1: number;
  msgs10: number;
  rcpt10: number;
  newRcpt10: number;
  groups10: number;
  repeat10: number;
  reporters60: number;
  blockers60: number;
  imageMatches: Array<{ hash: string; label: string; distance: number }>;
  /** the platform's QR login shared in the message (image, link or wording) */
  loginQr: LoginQrFinding | undefined;
  victimContact: boolean;
  /**
   * What this message solicits with: its money request's term, a scam's ask about money (pipeline.ts:
   * the scam model's reading, with a prior from a session that is not the owner's usual one), or —
   * once the session has asked someone for money — its push to another channel; else undefined.
   */
  solicit: string | undefined;
  /**
   * With a solicit (not a share of a split cost): the distinct people (a group counts as one) the account
   * asked so within 10 minutes, this message's included (state.ts `noteAsk`); else 0.
   */
  asks10: number;
  /**
   * The message links a site this account never linked that is not being passed along organically
   * (campaigns.ts `organicAt`: many accounts sent it within the hour, few showing compromise): an
   * e-card site a crowd of owners shares is nobody's own new link.
   */
  ownNewLink: boolean;
}

export interface Detector<C> {
  name: string;
  run(ctx: C, out: SignalSink): void;
}
