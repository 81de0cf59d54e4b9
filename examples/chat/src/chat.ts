/**
 * The chat's logic: accounts (through Gatehouse), friends, blocks, groups, messages, attachments,
 * reports, and what Gatehouse's webhooks ask for. Routes call this; it calls the database, the hub
 * and the Gatehouse link.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChatError } from './errors.ts';
import {
  GatehouseApiError,
  type Account,
  type Browser,
  type CheckResult,
  type GatehouseLink,
  type Reason,
  type VerifiedWebhook,
} from './gatehouse.ts';
import {
  dmConv,
  groupConv,
  type AttachmentRef,
  type ChatDb,
  type MessageRow,
  type SessionRow,
  type UserRow,
} from './db.ts';
import type { Hub } from './hub.ts';
import {
  extractUrls,
  IMAGE_TYPES,
  looksLike,
  newId,
  warningView,
  type Logger,
  type MessageView,
  type SendInput,
  type SendResult,
  type UserView,
  type WarningView,
} from './views.ts';
import { LateVerdicts } from './late-verdict.ts';
import { applyWebhookAction, type ActionTarget } from './webhook-actions.ts';

export { IMAGE_TYPES, MAX_ATTACHMENTS, MAX_TEXT } from './views.ts';

export class ChatService {
  private readonly db: ChatDb;
  private readonly hub: Hub;
  private readonly gh: GatehouseLink;
  private readonly checkFailure: 'open' | 'closed';
  /** Messages delivered without a verdict, asked about again (late-verdict.ts). */
  private readonly late: LateVerdicts;
  private readonly log: Logger;
  private readonly attachmentsDir: string;
  private readonly now: () => number;

  constructor(deps: {
    db: ChatDb;
    hub: Hub;
    gh: GatehouseLink;
    log: Logger;
    dataDir: string;
    /**
     * When the pre-send check fails (timeout, Gatehouse unreachable): `open` (default) delivers the
     * message and reports it to Gatehouse as unchecked (POST /v1/events), so the engine still sees it
     * and can retract it; `closed` refuses it (503 CHECK_UNAVAILABLE) and nothing is sent.
     */
    checkFailure?: 'open' | 'closed';
    /**
     * Fail open: how long to wait before each new ask of a message delivered without a verdict (a late
     * "block" takes it back); after the last, it is reported as unchecked. Default 250 ms, 1 s, 4 s.
     */
    recheckDelaysMs?: readonly number[];
    now?: () => number;
  }) {
    this.db = deps.db;
    this.hub = deps.hub;
    this.gh = deps.gh;
    this.checkFailure = deps.checkFailure ?? 'open';
    this.late = new LateVerdicts({
      gh: deps.gh,
      log: deps.log,
      delaysMs: deps.recheckDelaysMs ?? [250, 1_000, 4_000],
      takeBack: (id, account) =>
        applyWebhookAction(this.actionTarget(), { kind: 'message.retracted', messageIds: [id], account }),
    });
    this.log = deps.log;
    this.attachmentsDir = join(deps.dataDir, 'attachments');
    mkdirSync(this.attachmentsDir, { recursive: true });
    this.now = deps.now ?? Date.now;
  }

  // ---------- accounts ----------

  async signUp(
    input: { handle: string; password: string; displayName?: string },
    browser?: Browser,
  ): Promise<{ session: SessionRow; user: UserRow; deviceToken?: string }> {
    const account = await this.callGatehouse(() => this.gh.signUp(input, browser));
    this.saveAccount(account);
    return this.signIn({ handle: input.handle, password: input.password }, browser);
  }

  /**
   * Signs in through Gatehouse. A frozen account (Gatehouse checked the password, then answered
   * ACCOUNT_FROZEN) gets a read-only chat session without a Gatehouse token: it sees the frozen banner.
   */
  async signIn(
    input: { handle: string; password: string },
    browser?: Browser,
  ): Promise<{ session: SessionRow; user: UserRow; deviceToken?: string }> {
    let r: Awaited<ReturnType<GatehouseLink['signIn']>>;
    try {
      r = await this.gh.signIn(input, browser);
    } catch (e) {
      // Gatehouse wants a second factor from this device or network: the page asks for it
      if (e instanceof GatehouseApiError && e.code === 'SIGNIN_SECOND_FACTOR_REQUIRED') {
        const p = e.problem as Record<string, unknown>;
        throw Object.assign(ChatError.fromGatehouse(e.problem), {
          extra: { challenge: p.challenge, methods: p.methods, signals: p.signals },
        });
      }
      if (e instanceof GatehouseApiError && e.code === 'ACCOUNT_FROZEN') {
        const known = this.db.userByHandle(input.handle);
        if (known) {
          this.db.setState(known.id, 'frozen', known.state_reason ?? 'frozen by Gatehouse');
          return { session: this.createSession(known.id, null, null), user: this.db.user(known.id)! };
        }
      }
      throw this.gatehouseError(e);
    }
    this.saveAccount(r.account);
    const session = this.createSession(r.account.id, r.token, r.session.id);
    return {
      session,
      user: this.db.user(r.account.id)!,
      ...(r.deviceToken ? { deviceToken: r.deviceToken } : {}),
    };
  }

  async signOut(session: SessionRow): Promise<void> {
    this.db.deleteSession(session.id);
    if (session.gh_token)
      await this.gh
        .signOut(session.gh_token)
        .catch((e: unknown) => this.log.warn({ err: e }, 'gatehouse sign-out failed'));
  }

  /** Re-reads the account from Gatehouse with the session's token (on WebSocket connect). */
  async refresh(session: SessionRow): Promise<UserRow | undefined> {
    if (!session.gh_token) return this.db.user(session.user_id);
    try {
      const a = await this.gh.me(session.gh_token);
      this.saveAccount(a);
    } catch (e) {
      if (e instanceof GatehouseApiError && e.code === 'ACCOUNT_FROZEN')
        this.freeze(session.user_id, 'frozen by Gatehouse');
      else if (e instanceof GatehouseApiError && e.code === 'SESSION_INVALID') {
        this.db.deleteSession(session.id);
        return undefined;
      } else this.log.warn({ err: e }, 'gatehouse unreachable; using the stored account');
    }
    return this.db.user(session.user_id);
  }

  /** The second step of a sign-in Gatehouse held (SIGNIN_SECOND_FACTOR_REQUIRED): the chat's session. */
  async signInSecondFactor(
    input: { challenge: string; method: 'totp' | 'recovery_code'; code: string },
    browser?: Browser,
  ): Promise<{ session: SessionRow; deviceToken?: string }> {
    const r = await this.callGatehouse(() => this.gh.secondFactor(input, browser));
    return { session: this.adoptSignIn(r), ...(r.deviceToken ? { deviceToken: r.deviceToken } : {}) };
  }

  /** A sign-in Gatehouse finished another way (a QR approval): the chat's own session for it. */
  adoptSignIn(r: { account: Account; session: { id: string }; token: string }): SessionRow {
    this.saveAccount(r.account);
    return this.createSession(r.account.id, r.token, r.session.id);
  }

  /** Runs a Gatehouse call, mapping its errors to the chat's typed errors. */
  gatehouse<T>(fn: () => Promise<T>): Promise<T> {
    return this.callGatehouse(fn);
  }

  private saveAccount(a: Account): void {
    const state = a.state === 'frozen' ? 'frozen' : 'active';
    this.db.upsertUser({ id: a.id, handle: a.handle, displayName: a.displayName, state, now: this.now() });
    if (state === 'frozen') this.db.setState(a.id, 'frozen', a.stateReason);
  }

  private createSession(userId: string, token: string | null, ghSession: string | null): SessionRow {
    const s: SessionRow = {
      id: randomBytes(32).toString('base64url'),
      user_id: userId,
      csrf: randomBytes(24).toString('base64url'),
      gh_token: token,
      gh_session: ghSession,
      created_at: this.now(),
    };
    this.db.createSession(s);
    return s;
  }

  private async callGatehouse<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.gatehouseError(e);
    }
  }
  private gatehouseError(e: unknown): ChatError {
    if (e instanceof ChatError) return e;
    if (e instanceof GatehouseApiError) return ChatError.fromGatehouse(e.problem);
    this.log.error({ err: e }, 'gatehouse call failed');
    return new ChatError('GATEHOUSE_UNAVAILABLE');
  }

  // ---------- profile, friends, blocks ----------

  userView(u: UserRow): UserView {
    return { id: u.id, handle: u.handle, displayName: u.display_name, state: u.state };
  }

  setDisplayName(userId: string, name: string): UserView {
    const u = this.mustUser(userId);
    if (u.display_name === name) return this.userView(u);
    this.db.setDisplayName(userId, name);
    this.gh.report({
      type: 'profile.changed',
      account: userId,
      field: 'displayName',
      old: u.display_name,
      new: name,
    });
    this.pushProfile(userId);
    return this.userView(this.mustUser(userId));
  }

  addFriend(userId: string, handle: string): UserView {
    const other = this.db.userByHandle(handle);
    if (!other || other.id === userId) throw new ChatError('USER_NOT_FOUND');
    if (this.db.addFriendship(userId, other.id, this.now())) {
      this.gh.report({ type: 'friend.added', account: userId, friend: other.id });
      this.hub.push([userId, other.id], { type: 'friends.changed' });
    }
    return this.userView(other);
  }

  removeFriend(userId: string, friendId: string): void {
    if (this.db.removeFriendship(userId, friendId)) {
      this.gh.report({ type: 'friend.removed', account: userId, friend: friendId });
      this.hub.push([userId, friendId], { type: 'friends.changed' });
    }
  }

  blockContact(userId: string, contactId: string): void {
    if (contactId === userId || !this.db.user(contactId)) throw new ChatError('USER_NOT_FOUND');
    if (this.db.block(userId, contactId, this.now()))
      this.gh.report({ type: 'contact.blocked', account: userId, contact: contactId });
    this.hub.push([userId], { type: 'friends.changed' });
  }

  unblockContact(userId: string, contactId: string): void {
    this.db.unblock(userId, contactId);
    this.hub.push([userId], { type: 'friends.changed' });
  }

  friends(userId: string): { friends: UserView[]; blocked: string[] } {
    return {
      friends: this.db.friends(userId).map((u) => this.userView(u)),
      blocked: this.db.blocked(userId).map((u) => u.id),
    };
  }

  // ---------- groups ----------

  createGroup(userId: string, name: string): { id: string; name: string; memberCount: number } {
    const g = { id: newId('grp'), name, owner: userId, created_at: this.now() };
    this.db.tx(() => {
      this.db.createGroup(g);
      this.db.join(g.id, userId, g.created_at);
    });
    this.gh.report({ type: 'group.joined', account: userId, group: { id: g.id, memberCount: 1 } });
    this.hub.push([userId], { type: 'groups.changed' });
    return { id: g.id, name: g.name, memberCount: 1 };
  }

  joinGroup(userId: string, groupId: string): { id: string; name: string; memberCount: number } {
    const g = this.db.group(groupId);
    if (!g) throw new ChatError('GROUP_NOT_FOUND');
    if (this.db.join(groupId, userId, this.now())) {
      const members = this.db.members(groupId);
      this.gh.report({
        type: 'group.joined',
        account: userId,
        group: { id: groupId, memberCount: members.length },
      });
      this.hub.push(members, { type: 'groups.changed' });
    }
    return { id: g.id, name: g.name, memberCount: this.db.members(groupId).length };
  }

  leaveGroup(userId: string, groupId: string): void {
    if (!this.db.group(groupId)) throw new ChatError('GROUP_NOT_FOUND');
    if (this.db.leave(groupId, userId)) {
      const members = this.db.members(groupId);
      this.gh.report({
        type: 'group.left',
        account: userId,
        group: { id: groupId, memberCount: members.length },
      });
      this.hub.push([...members, userId], { type: 'groups.changed' });
    }
  }

  groups(userId: string): { id: string; name: string; memberCount: number; owner: string }[] {
    return this.db
      .groupsOf(userId)
      .map((g) => ({ id: g.id, name: g.name, memberCount: g.member_count, owner: g.owner }));
  }

  groupMembers(userId: string, groupId: string): UserView[] {
    if (!this.db.isMember(groupId, userId)) throw new ChatError('NOT_MEMBER');
    return this.db
      .members(groupId)
      .map((id) => this.db.user(id))
      .filter((u): u is UserRow => !!u)
      .map((u) => this.userView(u));
  }

  // ---------- attachments ----------

  storeImage(userId: string, mime: string, bytes: Buffer): AttachmentRef {
    if (!IMAGE_TYPES[mime] || !looksLike(mime, bytes)) throw new ChatError('UNSUPPORTED_IMAGE');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const file = join(this.attachmentsDir, sha256);
    if (!existsSync(file)) writeFileSync(file, bytes);
    this.db.putAttachment({ sha256, mime, size: bytes.length, uploader: userId, now: this.now() });
    return { sha256, mime, size: bytes.length };
  }

  /** The file of an attachment, if `userId` may see it (uploader, or a participant of a message with it). */
  attachmentFor(userId: string, sha256: string): { file: string; mime: string } | undefined {
    const a = this.db.attachment(sha256);
    if (!a) return undefined;
    const ok =
      a.uploader === userId ||
      this.db.messagesWithAttachment(sha256).some((m) => this.participants(m).includes(userId));
    return ok ? { file: join(this.attachmentsDir, sha256), mime: a.mime } : undefined;
  }

  // ---------- messages ----------

  async send(userId: string, session: SessionRow, input: SendInput): Promise<SendResult> {
    const me = this.mustUser(userId);
    if (me.state === 'frozen') throw new ChatError('ACCOUNT_FROZEN', { reason: me.state_reason });
    const text = input.text.trim();
    if (!text && input.attachments.length === 0) throw new ChatError('EMPTY_MESSAGE');
    const attachments: AttachmentRef[] = [];
    for (const sha of new Set(input.attachments)) {
      const a = this.db.attachment(sha);
      if (!a || a.uploader !== userId) throw new ChatError('NOT_FOUND', { attachment: sha });
      attachments.push({ sha256: a.sha256, mime: a.mime, size: a.size });
    }

    let conv: string;
    let recipients: string[];
    let recipient: string | null = null;
    let groupId: string | null = null;
    if ('user' in input.to) {
      const other = this.db.user(input.to.user);
      if (!other) throw new ChatError('USER_NOT_FOUND');
      if (!this.db.areFriends(userId, other.id)) throw new ChatError('NOT_FRIENDS');
      if (this.db.hasBlocked(other.id, userId)) throw new ChatError('CONTACT_BLOCKED');
      conv = dmConv(userId, other.id);
      recipients = [other.id];
      recipient = other.id;
    } else {
      const g = this.db.group(input.to.group);
      if (!g) throw new ChatError('GROUP_NOT_FOUND');
      if (!this.db.isMember(g.id, userId)) throw new ChatError('NOT_MEMBER');
      conv = groupConv(g.id);
      groupId = g.id;
      recipients = this.db.members(g.id).filter((m) => m !== userId);
    }

    const id = newId('msg');
    const urls = extractUrls(text);
    const common = {
      account: userId,
      ...(session.gh_session ? { session: session.gh_session } : {}),
      messageId: id,
      ...(groupId ? { group: { id: groupId, memberCount: recipients.length + 1 } } : { recipients }),
      text,
      urls,
      attachments: attachments.map((a) => ({ sha256: a.sha256, mime: a.mime })),
      client: { kind: 'web' as const, name: 'gatehouse-example-chat', version: '0.1.0' },
    };

    let verdict: CheckResult;
    // The pre-send check also records the message in Gatehouse (same id); only when it could not,
    // the message.sent event goes out through the batching client.
    let recorded = false;
    let unchecked = false;
    try {
      verdict = await this.gh.check(common);
      recorded = this.gh.capabilities.check;
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ACCOUNT_FROZEN') {
        this.freeze(userId, 'frozen by Gatehouse');
        throw new ChatError('ACCOUNT_FROZEN');
      }
      if (this.checkFailure === 'closed') {
        // fail closed: nothing unchecked leaves; the sender is told to try again
        this.log.warn({ err: e, message: id }, 'pre-send check failed; refusing (fail closed)');
        throw new ChatError('CHECK_UNAVAILABLE', { messageId: id });
      }
      // Fail open: a slow or unreachable Gatehouse must not stop the chat; the message is reported as
      // unchecked (POST /v1/events, below) so the engine still sees it and can retract it afterwards.
      this.log.warn({ err: e, message: id }, 'pre-send check failed; delivering (fail open)');
      verdict = { decision: 'allow', reasons: [] };
      unchecked = true;
    }
    // the id names the message in Gatehouse (its retractions and incidents), though it is not stored here
    if (verdict.decision === 'block')
      throw new ChatError('MESSAGE_BLOCKED', { reasons: verdict.reasons, messageId: id });

    const row: MessageRow = {
      id,
      conv,
      sender: userId,
      recipient,
      group_id: groupId,
      text,
      urls: JSON.stringify(urls),
      attachments: JSON.stringify(attachments),
      state: verdict.decision === 'hold' ? 'held' : 'delivered',
      created_at: this.now(),
      retracted_at: null,
    };
    this.db.insertMessage(row);
    if (unchecked) this.late.recheck(common);
    else if (!recorded) this.gh.report({ type: 'message.sent', ...common });
    if (row.state === 'held') {
      const view = this.messageView(row, userId);
      this.hub.push([userId], { type: 'message', message: view });
      return { status: 'held', message: view, reasons: verdict.reasons };
    }
    this.deliver(row);
    return { status: 'delivered', message: this.messageView(row, userId) };
  }

  /** Messages still waiting for a late verdict are reported as unchecked now (the chat is closing). */
  closeRechecks(): void {
    this.late.close();
  }

  /** Every message delivered without a verdict has its late verdict or its report, and reports are sent. */
  async rechecksSettled(): Promise<void> {
    await this.late.idle();
    await this.gh.flush();
  }

  private deliver(row: MessageRow): void {
    for (const u of this.participants(row))
      this.hub.push([u], { type: 'message', message: this.messageView(row, u) });
  }

  /** Everyone who sees a message: the sender and the recipient, or the group's members. */
  private participants(m: MessageRow): string[] {
    if (m.group_id) return [...new Set([m.sender, ...this.db.members(m.group_id)])];
    return m.recipient ? [m.sender, m.recipient] : [m.sender];
  }

  /** The conversation key from the viewer's side: `dm:<other user>` or `group:<id>`. */
  private viewConv(m: Pick<MessageRow, 'group_id' | 'sender' | 'recipient'>, viewer: string): string {
    if (m.group_id) return groupConv(m.group_id);
    return `dm:${m.sender === viewer ? m.recipient : m.sender}`;
  }

  messageView(m: MessageRow, viewer: string): MessageView {
    const retracted = m.state === 'retracted';
    return {
      id: m.id,
      conv: this.viewConv(m, viewer),
      sender: m.sender,
      senderName: this.db.user(m.sender)?.display_name ?? m.sender,
      text: retracted ? '' : m.text,
      urls: retracted ? [] : (JSON.parse(m.urls) as string[]),
      attachments: retracted ? [] : (JSON.parse(m.attachments) as AttachmentRef[]),
      state: m.state,
      createdAt: m.created_at,
    };
  }

  /** A conversation as the viewer sees it, with the warnings shown on it. */
  conversation(userId: string, conv: string): { messages: MessageView[]; warnings: WarningView[] } {
    const key = this.serverConv(userId, conv);
    return {
      messages: this.db.conversation(key, userId).map((m) => this.messageView(m, userId)),
      warnings: this.db
        .warnings(userId)
        .filter((w) => w.conv === conv)
        .map(warningView),
    };
  }

  warnings(userId: string): WarningView[] {
    return this.db.warnings(userId).map(warningView);
  }
  dismissWarning(userId: string, id: string): void {
    this.db.dismissWarning(userId, id);
  }

  private serverConv(userId: string, conv: string): string {
    const m = /^(dm|group):(.+)$/.exec(conv);
    if (!m) throw new ChatError('NOT_FOUND');
    if (m[1] === 'dm') return dmConv(userId, m[2]!);
    if (!this.db.isMember(m[2]!, userId)) throw new ChatError('NOT_MEMBER');
    return groupConv(m[2]!);
  }

  report(userId: string, messageId: string, reason: 'spam' | 'scam' | 'not_my_friend'): void {
    const m = this.db.message(messageId);
    if (!m || m.sender === userId || !this.participants(m).includes(userId) || m.state === 'held')
      throw new ChatError('NOT_FOUND');
    this.gh.report({ type: 'message.reported', account: userId, messageId, sender: m.sender, reason });
  }

  // ---------- what Gatehouse asks for ----------

  /** Acts on a verified webhook once (by webhook id). Returns false for a repeat. */
  handleWebhook(w: VerifiedWebhook): boolean {
    if (!this.db.markWebhook(w.id, w.type, this.now())) return false;
    try {
      applyWebhookAction(this.actionTarget(), w.action);
    } catch (e) {
      this.db.unmarkWebhook(w.id); // let Gatehouse retry
      throw e;
    }
    return true;
  }

  /** What a webhook's action may touch (webhook-actions.ts). */
  private actionTarget(): ActionTarget {
    return {
      db: this.db,
      hub: this.hub,
      log: this.log,
      now: this.now,
      participants: (m) => this.participants(m),
      viewConv: (m, viewer) => this.viewConv(m, viewer),
      messageView: (m, viewer) => this.messageView(m, viewer),
      deliver: (m) => this.deliver(m),
      freeze: (...args) => this.freeze(...args),
      pushProfile: (userId) => this.pushProfile(userId),
    };
  }

  freeze(
    userId: string,
    reason: string,
    notice: { en: string; zh: string } | null = null,
    reasons: Reason[] = [],
  ): void {
    if (!this.db.user(userId)) return;
    this.db.setState(userId, 'frozen', reason, JSON.stringify(reasons));
    this.db.dropGhTokens(userId);
    this.hub.push([userId], { type: 'account', state: 'frozen', reason, notice, reasons });
  }

  /** Why the account is frozen, in plain words (empty when Gatehouse gave none). */
  frozenReasons(u: UserRow): Reason[] {
    if (u.state !== 'frozen' || !u.state_reasons) return [];
    try {
      const r = JSON.parse(u.state_reasons) as unknown;
      return Array.isArray(r) ? (r as Reason[]) : [];
    } catch {
      return [];
    }
  }

  private pushProfile(userId: string): void {
    const u = this.mustUser(userId);
    const audience = [userId, ...this.db.friends(userId).map((f) => f.id)];
    this.hub.push(audience, { type: 'profile', user: this.userView(u) });
  }

  mustUser(id: string): UserRow {
    const u = this.db.user(id);
    if (!u) throw new ChatError('UNAUTHENTICATED');
    return u;
  }
}
