/**
 * What the chat does for each action a verified Gatehouse webhook asks for: retract, warn, freeze and
 * unfreeze, end sessions, hold and release, restore, show a notice. Called once per webhook id by
 * `ChatService.handleWebhook`.
 */
import { groupConv, type ChatDb, type MessageRow, type WarningRow } from './db.ts';
import { newId, warningView, type Logger, type MessageView } from './views.ts';
import type { Reason, WebhookAction } from './gatehouse.ts';
import type { Hub } from './hub.ts';

/** The parts of the chat an action may touch. */
export interface ActionTarget {
  db: ChatDb;
  hub: Hub;
  log: Logger;
  now: () => number;
  /** Everyone who sees a message. */
  participants(m: MessageRow): string[];
  /** The conversation key from the viewer's side. */
  viewConv(m: Pick<MessageRow, 'group_id' | 'sender' | 'recipient'>, viewer: string): string;
  messageView(m: MessageRow, viewer: string): MessageView;
  deliver(m: MessageRow): void;
  freeze(
    userId: string,
    reason: string,
    notice?: { en: string; zh: string } | null,
    reasons?: Reason[],
  ): void;
  pushProfile(userId: string): void;
}

export function applyWebhookAction(x: ActionTarget, a: WebhookAction): void {
  switch (a.kind) {
    case 'message.retracted':
      for (const id of a.messageIds) {
        const m = x.db.message(id);
        if (!m || m.state === 'retracted') continue;
        if (a.account && m.sender !== a.account) continue;
        x.db.setMessageState(id, 'retracted', x.now());
        for (const u of x.participants(m))
          x.hub.push([u], { type: 'message.retracted', id, conv: x.viewConv(m, u) });
      }
      return;
    case 'recipient.warned': {
      const messages = a.messageIds.map((id) => x.db.message(id)).filter((m): m is MessageRow => !!m);
      const targets = new Map<string, string>(); // recipient -> conversation as they see it
      for (const m of messages)
        for (const u of x.participants(m))
          if (u !== m.sender && (a.recipients.length === 0 || a.recipients.includes(u) || m.group_id))
            if (!targets.has(u)) targets.set(u, x.viewConv(m, u));
      for (const g of a.groups)
        if (x.db.group(g))
          for (const u of x.db.members(g))
            if (u !== a.account && !targets.has(u)) targets.set(u, groupConv(g));
      if (a.account)
        for (const r of a.recipients)
          if (r !== a.account && !targets.has(r)) targets.set(r, `dm:${a.account}`);
      for (const [u, conv] of targets) {
        if (!x.db.user(u)) continue;
        const w: WarningRow = {
          id: newId('warn'),
          user_id: u,
          conv,
          message_id: messages.find((m) => x.participants(m).includes(u))?.id ?? null,
          text_en: a.text.en,
          text_zh: a.text.zh,
          created_at: x.now(),
        };
        x.db.addWarning(w);
        x.hub.push([u], { type: 'warning', warning: warningView(w) });
      }
      return;
    }
    case 'account.frozen':
      x.freeze(a.account, a.reason, a.notice, a.reasons);
      return;
    case 'account.unfrozen':
      if (x.db.setState(a.account, 'active', null))
        x.hub.push([a.account], { type: 'account', state: 'active', reason: a.reason });
      return;
    case 'session.revoked': {
      const u = x.db.user(a.account);
      if (!u) return;
      if (!a.all && a.session) {
        // one session (the intruder's): that browser is signed out, frozen or not
        x.hub.endSessions(a.account, x.db.deleteSessionsByGh(a.session), 'session_revoked');
      } else if (u.state === 'frozen' || a.reason === 'frozen') {
        // every session of a frozen account: keep them read-only so the owner sees the frozen banner
        x.db.dropGhTokens(a.account);
      } else {
        x.hub.endSessions(a.account, x.db.deleteSessionsOf(a.account), 'session_revoked');
      }
      return;
    }
    case 'hold.placed':
      // Gatehouse held a message after the fact: take it back from recipients until it is released.
      for (const id of a.messageIds) {
        const m = x.db.message(id);
        if (!m || m.state !== 'delivered' || (a.account && m.sender !== a.account)) continue;
        x.db.setMessageState(id, 'held', x.now());
        for (const u of x.participants(m))
          x.hub.push([u], {
            type: u === m.sender ? 'message' : 'message.withdrawn',
            ...(u === m.sender
              ? { message: x.messageView({ ...m, state: 'held' }, u) }
              : { id, conv: x.viewConv(m, u) }),
          });
      }
      return;
    case 'hold.released':
      for (const id of a.messageIds) {
        const m = x.db.message(id);
        if (!m || m.state !== 'held') continue;
        x.db.setMessageState(id, 'delivered', x.now());
        x.deliver({ ...m, state: 'delivered' });
      }
      return;
    case 'hold.expired':
      for (const id of a.messageIds) {
        const m = x.db.message(id);
        if (!m || m.state !== 'held') continue;
        x.db.setMessageState(id, 'expired', x.now());
        x.hub.push([m.sender], {
          type: 'message',
          message: x.messageView({ ...m, state: 'expired' }, m.sender),
        });
      }
      return;
    case 'restore': {
      if (!x.db.user(a.account)) return;
      for (const f of a.friends)
        if (x.db.user(f) && x.db.addFriendship(a.account, f, x.now()))
          x.hub.push([a.account, f], { type: 'friends.changed' });
      for (const g of a.groups)
        if (x.db.group(g) && x.db.join(g, a.account, x.now()))
          x.hub.push(x.db.members(g), { type: 'groups.changed' });
      for (const p of a.profile)
        if (['displayName', 'display_name', 'name'].includes(p.field) && p.value) {
          x.db.setDisplayName(a.account, p.value);
          x.pushProfile(a.account);
        }
      return;
    }
    case 'notice':
      x.hub.push([a.account], { type: 'notice', en: a.text.en, zh: a.text.zh });
      return;
    case 'ignored':
      x.log.info({ type: a.type }, 'webhook type not acted on');
      return;
  }
}
