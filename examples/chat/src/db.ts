/**
 * The chat platform's own database (SQLite through better-sqlite3): profiles, browser sessions,
 * friendships, blocks, groups, messages, attachments, retractions, warnings and processed webhook ids.
 * Every SQL statement of the example lives in this file.
 */
import Database from 'better-sqlite3';

export type UserState = 'active' | 'frozen';
export type MessageState = 'delivered' | 'held' | 'expired' | 'retracted';

export interface UserRow {
  id: string;
  handle: string;
  display_name: string;
  state: UserState;
  state_reason: string | null;
  /** Why it is frozen, in plain words: JSON of Gatehouse's `reasons` ([{signal, en, zh}]). */
  state_reasons: string | null;
  created_at: number;
}

export interface SessionRow {
  id: string;
  user_id: string;
  csrf: string;
  gh_token: string | null;
  gh_session: string | null;
  created_at: number;
}

export interface GroupRow {
  id: string;
  name: string;
  owner: string;
  created_at: number;
}

export interface AttachmentRef {
  sha256: string;
  mime: string;
  size: number;
}

export interface MessageRow {
  id: string;
  conv: string;
  sender: string;
  recipient: string | null;
  group_id: string | null;
  text: string;
  urls: string;
  attachments: string;
  state: MessageState;
  created_at: number;
  retracted_at: number | null;
}

export interface WarningRow {
  id: string;
  user_id: string;
  conv: string;
  message_id: string | null;
  text_en: string;
  text_zh: string;
  created_at: number;
}

const SCHEMA = `
create table if not exists users (
  id text primary key,
  handle text not null unique,
  display_name text not null,
  state text not null default 'active',
  state_reason text,
  state_reasons text,
  created_at integer not null
);
create table if not exists sessions (
  id text primary key,
  user_id text not null references users(id),
  csrf text not null,
  gh_token text,
  gh_session text,
  created_at integer not null
);
create index if not exists sessions_by_gh on sessions(gh_session);
create index if not exists sessions_by_user on sessions(user_id);
create table if not exists friendships (
  user_id text not null,
  friend_id text not null,
  created_at integer not null,
  primary key (user_id, friend_id)
);
create table if not exists blocks (
  user_id text not null,
  blocked_id text not null,
  created_at integer not null,
  primary key (user_id, blocked_id)
);
create table if not exists groups_ (
  id text primary key,
  name text not null,
  owner text not null,
  created_at integer not null
);
create table if not exists memberships (
  group_id text not null,
  user_id text not null,
  joined_at integer not null,
  primary key (group_id, user_id)
);
create index if not exists memberships_by_user on memberships(user_id);
create table if not exists messages (
  id text primary key,
  conv text not null,
  sender text not null,
  recipient text,
  group_id text,
  text text not null,
  urls text not null,
  attachments text not null,
  state text not null,
  created_at integer not null,
  retracted_at integer
);
create index if not exists messages_by_conv on messages(conv, created_at);
create table if not exists attachments (
  sha256 text primary key,
  mime text not null,
  size integer not null,
  uploader text not null,
  created_at integer not null
);
create table if not exists message_attachments (
  message_id text not null,
  sha256 text not null,
  primary key (message_id, sha256)
);
create index if not exists message_attachments_by_sha on message_attachments(sha256);
create table if not exists warnings (
  id text primary key,
  user_id text not null,
  conv text not null,
  message_id text,
  text_en text not null,
  text_zh text not null,
  created_at integer not null
);
create index if not exists warnings_by_user on warnings(user_id, conv);
create table if not exists webhooks_seen (
  id text primary key,
  type text not null,
  received_at integer not null
);
`;

/** The conversation key of a direct conversation (the same for both people). */
export function dmConv(a: string, b: string): string {
  return a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}
export function groupConv(groupId: string): string {
  return `group:${groupId}`;
}

export class ChatDb {
  readonly db: Database.Database;
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    // a chat database made before the plain-words reasons: add their column
    const cols = this.db.prepare('pragma table_info(users)').all() as Array<{ name: string }>;
    if (!cols.some((c) => c.name === 'state_reasons'))
      this.db.exec('alter table users add column state_reasons text');
  }
  close(): void {
    this.db.close();
  }
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- users ----
  upsertUser(u: { id: string; handle: string; displayName: string; state: UserState; now: number }): void {
    this.db
      .prepare(
        `insert into users (id, handle, display_name, state, created_at) values (?, ?, ?, ?, ?)
         on conflict(id) do update set handle = excluded.handle, state = excluded.state`,
      )
      .run(u.id, u.handle, u.displayName, u.state, u.now);
  }
  user(id: string): UserRow | undefined {
    return this.db.prepare('select * from users where id = ?').get(id) as UserRow | undefined;
  }
  userByHandle(handle: string): UserRow | undefined {
    return this.db.prepare('select * from users where handle = ? collate nocase').get(handle) as
      UserRow | undefined;
  }
  setDisplayName(id: string, name: string): void {
    this.db.prepare('update users set display_name = ? where id = ?').run(name, id);
  }
  /** Sets the state; `reasons` (JSON) is kept when not given and cleared when the account is active. */
  setState(id: string, state: UserState, reason: string | null, reasons?: string | null): boolean {
    return (
      this.db
        .prepare(
          'update users set state = ?, state_reason = ?, state_reasons = case when ? then ? else state_reasons end where id = ?',
        )
        .run(state, reason, reasons !== undefined || state === 'active' ? 1 : 0, reasons ?? null, id)
        .changes > 0
    );
  }

  // ---- sessions ----
  createSession(s: SessionRow): void {
    this.db
      .prepare(
        'insert into sessions (id, user_id, csrf, gh_token, gh_session, created_at) values (?, ?, ?, ?, ?, ?)',
      )
      .run(s.id, s.user_id, s.csrf, s.gh_token, s.gh_session, s.created_at);
  }
  session(id: string): SessionRow | undefined {
    return this.db.prepare('select * from sessions where id = ?').get(id) as SessionRow | undefined;
  }
  deleteSession(id: string): void {
    this.db.prepare('delete from sessions where id = ?').run(id);
  }
  /** Deletes the chat sessions bound to one Gatehouse session; returns their ids. */
  deleteSessionsByGh(ghSession: string): string[] {
    const ids = (
      this.db.prepare('select id from sessions where gh_session = ?').all(ghSession) as { id: string }[]
    ).map((r) => r.id);
    this.db.prepare('delete from sessions where gh_session = ?').run(ghSession);
    return ids;
  }
  /** Deletes every chat session of a user; returns their ids. */
  deleteSessionsOf(userId: string): string[] {
    const ids = (
      this.db.prepare('select id from sessions where user_id = ?').all(userId) as { id: string }[]
    ).map((r) => r.id);
    this.db.prepare('delete from sessions where user_id = ?').run(userId);
    return ids;
  }
  /** Forgets the Gatehouse tokens of a user's sessions (they were revoked by freezing). */
  dropGhTokens(userId: string): void {
    this.db.prepare('update sessions set gh_token = null where user_id = ?').run(userId);
  }

  // ---- friends and blocks ----
  addFriendship(a: string, b: string, now: number): boolean {
    const ins = this.db.prepare(
      'insert or ignore into friendships (user_id, friend_id, created_at) values (?, ?, ?)',
    );
    return this.tx(() => ins.run(a, b, now).changes + ins.run(b, a, now).changes > 0);
  }
  removeFriendship(a: string, b: string): boolean {
    const del = this.db.prepare('delete from friendships where user_id = ? and friend_id = ?');
    return this.tx(() => del.run(a, b).changes + del.run(b, a).changes > 0);
  }
  areFriends(a: string, b: string): boolean {
    return !!this.db.prepare('select 1 from friendships where user_id = ? and friend_id = ?').get(a, b);
  }
  friends(userId: string): UserRow[] {
    return this.db
      .prepare(
        `select u.* from friendships f join users u on u.id = f.friend_id
         where f.user_id = ? order by u.display_name`,
      )
      .all(userId) as UserRow[];
  }
  block(a: string, b: string, now: number): boolean {
    return (
      this.db
        .prepare('insert or ignore into blocks (user_id, blocked_id, created_at) values (?, ?, ?)')
        .run(a, b, now).changes > 0
    );
  }
  unblock(a: string, b: string): boolean {
    return this.db.prepare('delete from blocks where user_id = ? and blocked_id = ?').run(a, b).changes > 0;
  }
  hasBlocked(a: string, b: string): boolean {
    return !!this.db.prepare('select 1 from blocks where user_id = ? and blocked_id = ?').get(a, b);
  }
  blocked(userId: string): UserRow[] {
    return this.db
      .prepare('select u.* from blocks b join users u on u.id = b.blocked_id where b.user_id = ?')
      .all(userId) as UserRow[];
  }

  // ---- groups ----
  createGroup(g: GroupRow): void {
    this.db
      .prepare('insert into groups_ (id, name, owner, created_at) values (?, ?, ?, ?)')
      .run(g.id, g.name, g.owner, g.created_at);
  }
  group(id: string): GroupRow | undefined {
    return this.db.prepare('select * from groups_ where id = ?').get(id) as GroupRow | undefined;
  }
  join(groupId: string, userId: string, now: number): boolean {
    return (
      this.db
        .prepare('insert or ignore into memberships (group_id, user_id, joined_at) values (?, ?, ?)')
        .run(groupId, userId, now).changes > 0
    );
  }
  leave(groupId: string, userId: string): boolean {
    return (
      this.db.prepare('delete from memberships where group_id = ? and user_id = ?').run(groupId, userId)
        .changes > 0
    );
  }
  isMember(groupId: string, userId: string): boolean {
    return !!this.db
      .prepare('select 1 from memberships where group_id = ? and user_id = ?')
      .get(groupId, userId);
  }
  members(groupId: string): string[] {
    return (
      this.db.prepare('select user_id from memberships where group_id = ?').all(groupId) as {
        user_id: string;
      }[]
    ).map((r) => r.user_id);
  }
  groupsOf(userId: string): (GroupRow & { member_count: number })[] {
    return this.db
      .prepare(
        `select g.*, (select count(*) from memberships m2 where m2.group_id = g.id) as member_count
         from memberships m join groups_ g on g.id = m.group_id where m.user_id = ? order by g.name`,
      )
      .all(userId) as (GroupRow & { member_count: number })[];
  }

  // ---- attachments ----
  putAttachment(a: AttachmentRef & { uploader: string; now: number }): void {
    this.db
      .prepare(
        'insert or ignore into attachments (sha256, mime, size, uploader, created_at) values (?, ?, ?, ?, ?)',
      )
      .run(a.sha256, a.mime, a.size, a.uploader, a.now);
  }
  attachment(sha256: string): (AttachmentRef & { uploader: string }) | undefined {
    return this.db
      .prepare('select sha256, mime, size, uploader from attachments where sha256 = ?')
      .get(sha256) as (AttachmentRef & { uploader: string }) | undefined;
  }
  /** Messages (not retracted) that carry this attachment. */
  messagesWithAttachment(sha256: string): MessageRow[] {
    return this.db
      .prepare(
        `select m.* from message_attachments a join messages m on m.id = a.message_id
         where a.sha256 = ? and m.state = 'delivered'`,
      )
      .all(sha256) as MessageRow[];
  }

  // ---- messages ----
  insertMessage(m: MessageRow): void {
    this.tx(() => {
      this.db
        .prepare(
          `insert into messages (id, conv, sender, recipient, group_id, text, urls, attachments, state, created_at, retracted_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          m.id,
          m.conv,
          m.sender,
          m.recipient,
          m.group_id,
          m.text,
          m.urls,
          m.attachments,
          m.state,
          m.created_at,
          m.retracted_at,
        );
      const ins = this.db.prepare(
        'insert or ignore into message_attachments (message_id, sha256) values (?, ?)',
      );
      for (const a of JSON.parse(m.attachments) as AttachmentRef[]) ins.run(m.id, a.sha256);
    });
  }
  message(id: string): MessageRow | undefined {
    return this.db.prepare('select * from messages where id = ?').get(id) as MessageRow | undefined;
  }
  setMessageState(id: string, state: MessageState, now: number): boolean {
    const retractedAt = state === 'retracted' ? now : null;
    return (
      this.db
        .prepare('update messages set state = ?, retracted_at = coalesce(?, retracted_at) where id = ?')
        .run(state, retractedAt, id).changes > 0
    );
  }
  /** A conversation's messages as `viewer` sees them: held messages only for their sender. */
  conversation(conv: string, viewer: string, limit = 200): MessageRow[] {
    const rows = this.db
      .prepare(
        `select * from messages where conv = ? and (state in ('delivered', 'retracted') or sender = ?)
         order by created_at desc, rowid desc limit ?`,
      )
      .all(conv, viewer, limit) as MessageRow[];
    return rows.reverse();
  }
  /** Held messages of one sender (to list them after a reconnect). */
  heldBy(sender: string): MessageRow[] {
    return this.db
      .prepare(`select * from messages where sender = ? and state = 'held'`)
      .all(sender) as MessageRow[];
  }

  // ---- warnings ----
  addWarning(w: WarningRow): void {
    this.db
      .prepare(
        `insert or ignore into warnings (id, user_id, conv, message_id, text_en, text_zh, created_at)
         values (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(w.id, w.user_id, w.conv, w.message_id, w.text_en, w.text_zh, w.created_at);
  }
  warnings(userId: string): WarningRow[] {
    return this.db
      .prepare('select * from warnings where user_id = ? order by created_at')
      .all(userId) as WarningRow[];
  }
  dismissWarning(userId: string, id: string): boolean {
    return this.db.prepare('delete from warnings where user_id = ? and id = ?').run(userId, id).changes > 0;
  }

  // ---- webhook idempotency ----
  /** Records a webhook id; false when it was already processed. */
  markWebhook(id: string, type: string, now: number): boolean {
    return (
      this.db
        .prepare('insert or ignore into webhooks_seen (id, type, received_at) values (?, ?, ?)')
        .run(id, type, now).changes > 0
    );
  }
  seenWebhook(id: string): boolean {
    return !!this.db.prepare('select 1 from webhooks_seen where id = ?').get(id);
  }
  unmarkWebhook(id: string): void {
    this.db.prepare('delete from webhooks_seen where id = ?').run(id);
  }
}
