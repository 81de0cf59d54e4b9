/**
 * Notifications (issue 18): email over SMTP, SMS through a provider, in-app through the platform, for
 * every security event, in the owner's language. See README.md beside this file.
 */
export { notifyMigrations, type NotifyTables, type NoticeState } from './schema.ts';
export {
  CATALOGUE,
  NOTICE_KINDS,
  CHANNELS,
  LOCALES,
  PAGES,
  parseChannelMap,
  isNoticeKind,
  type NoticeKind,
  type NoticeInput,
  type NoticeParams,
  type ChannelName,
  type ChannelMap,
  type Locale,
} from './catalogue.ts';
export { enqueueNoticeInTx, type EnqueueNotice } from './enqueue.ts';
export { NotifyService, type NotifyServiceDeps, type ContainAccount, type ChannelStatus } from './service.ts';
export {
  noteSignInTx,
  passwordChangedNotice,
  factorChangedNotice,
  operatorFreezeNotice,
  appealNotice,
  noticesFromBus,
  deviceKey,
  type SignInFacts,
} from './producers.ts';
export { NotifyCodeSender } from './codes.ts';
export { sendTestMessage } from './testmessage.ts';
export { notifySettings, smtpSettings, externalChannels, type NotifyConfig } from './settings.ts';
export { notifyRoutes } from './routes.ts';
export type { Channel, OutgoingMessage, SendOutcome } from './channels/types.ts';
export type { Contact } from './planner.ts';
