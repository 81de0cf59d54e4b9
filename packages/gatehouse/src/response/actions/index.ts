/**
 * Every response action, one file each (its parameter schema and its plan). The policy's action
 * table is derived from this list: a new action is a new file and one line here.
 */
import type { z } from 'zod';
import type { ActionDef } from './action.ts';
import { challengeOwner } from './challenge-owner.ts';
import { forgetDevice } from './forget-device.ts';
import { freezeAccount } from './freeze-account.ts';
import { holdMessage } from './hold-message.ts';
import { notifyOwner } from './notify-owner.ts';
import { quarantineContent } from './quarantine-content.ts';
import { retractMessages } from './retract-messages.ts';
import { revokeGrants } from './revoke-grants.ts';
import { revokeSessions } from './revoke-sessions.ts';
import { throttleAccount } from './throttle-account.ts';
import { warnRecipients } from './warn-recipients.ts';

export const ACTIONS = {
  challenge_owner: challengeOwner,
  hold_message: holdMessage,
  throttle_account: throttleAccount,
  freeze_account: freezeAccount,
  revoke_sessions: revokeSessions,
  revoke_grants: revokeGrants,
  forget_device: forgetDevice,
  retract_messages: retractMessages,
  warn_recipients: warnRecipients,
  quarantine_content: quarantineContent,
  notify_owner: notifyOwner,
} as const;

export type ActionKind = keyof typeof ACTIONS;
export const ACTION_KINDS = Object.keys(ACTIONS) as ActionKind[];

/** Every action a rule may take, with its parameters' schema. */
export const ACTION_SCHEMAS = Object.fromEntries(ACTION_KINDS.map((k) => [k, ACTIONS[k].params])) as {
  [K in ActionKind]: (typeof ACTIONS)[K]['params'];
};

export type PlannedAction = {
  [K in ActionKind]: { kind: K; params: z.output<(typeof ACTIONS)[K]['params']> };
}[ActionKind];

/** The action definition for a planned action (its parameters already validated by the policy). */
export function actionOf(kind: ActionKind): ActionDef<ActionKind, z.ZodType> {
  return ACTIONS[kind] as unknown as ActionDef<ActionKind, z.ZodType>;
}

export type { ActionContext, ActionDef, BatchPlan, Plan } from './action.ts';
export { quarantineKeys } from './quarantine-content.ts';
