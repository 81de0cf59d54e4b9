/**
 * Detectors: small named units, and the only code that emits signals. Each looks at one aspect of
 * an event against the engine state and emits signals (name, value, strength, bilingual reason)
 * into a SignalSink. Weights live in config.ts; detectors only measure.
 */
import type { Detector, MessageContext } from './context.ts';
import { content, repeatedAsk } from './content.ts';
import { contained, reports } from './crowd.ts';
import { clientChange, hourOfDay, languageChange, linkDomains, newRecipients } from './profile.ts';
import {
  newSessionBurst,
  newSessionCodeAsk,
  newSessionMoney,
  session,
  sessionLinkSpread,
} from './session.ts';
import { fanout, firstContactBurst, groupBlast, repeatedContent, velocity } from './velocity.ts';

export type { Detector, MessageContext } from './context.ts';
export { changedFromNewSession, friendRemovalBurst } from './account.ts';
export {
  crowdSignals,
  containedSignal,
  familiarContext,
  organicContent,
  reportSignals,
  victimSignal,
  type CampaignFindings,
} from './crowd.ts';
export { sessionSignals } from './session.ts';

/** Detectors run on every message, in order (crowd signals and the familiar context follow, in the pipeline). */
export const MESSAGE_DETECTORS: ReadonlyArray<Detector<MessageContext>> = [
  hourOfDay,
  clientChange,
  languageChange,
  linkDomains,
  newRecipients,
  velocity,
  fanout,
  firstContactBurst,
  groupBlast,
  repeatedContent,
  session,
  newSessionBurst,
  newSessionMoney,
  newSessionCodeAsk,
  sessionLinkSpread,
  content,
  repeatedAsk,
  reports,
  contained,
];
