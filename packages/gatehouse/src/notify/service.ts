import type { Registry } from 'prom-client';
import { appendAuditInTx } from '../audit/index.ts';
import type { Bus } from '../bus/index.ts';
import { hashToken, safeEqual } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Logger } from '../log/index.ts';
import { RateLimiter } from '../ratelimit/index.ts';
import type { CodeSender } from '../recovery/index.ts';
import type { Db, Tx } from '../store/db.ts';
import { LOCALES, type ChannelName, type Locale, type NoticeInput, type NoticeKind } from './catalogue.ts';
import { InAppChannel, type EnqueueWebhook } from './channels/inapp.ts';
import type { Channel } from './channels/types.ts';
import { NotifyCodeSender } from './codes.ts';
import { contentOf } from './compose.ts';
import { maskedTo, NotifyDispatcher } from './dispatcher.ts';
import { enqueueNoticeInTx, type EnqueueNotice } from './enqueue.ts';
import { LINK_TOKEN_RE, LinkTokens } from './links.ts';
import type { Contact } from './planner.ts';
import { contextsToForget, noteSignInTx, noticesFromBus, type SignInFacts } from './producers.ts';
import { externalChannels, notifySettings, type NotifyConfig, type NotifySettings } from './settings.ts';
import { notifyStore as q } from './store.ts';
import { untrusted } from './templates/index.ts';

/** Contains an account whose owner used a "this wasn't me" link (the response part's containment). */
export type ContainAccount = (r: {
  account: string;
  session?: string;
  link: string;
  ip: string;
}) => Promise<{ steps: Array<{ kind: string; status: string }> }>;

export interface NotifyServiceDeps {
  db: Db;
  config: NotifyConfig;
  /** The secret key (links are derived from it, never stored). */
  secretKey: Buffer;
  log: Logger;
  /** The platform outbox (webhooks' enqueueInTx): in-app notices are owner.notify webhooks. */
  enqueueWebhook: EnqueueWebhook;
  onWebhookCommit?: () => void;
  /** The account's verified email addresses and phone numbers (recovery's contact channels). */
  contacts: (account: string) => Promise<Contact[]>;
  handleOf: (account: string) => Promise<string | undefined>;
  accountByHandle: (handle: string) => Promise<string | undefined>;
  contain?: ContainAccount;
  /** Base URL of the owner-facing pages (publicUrl, or the server's address once it listens). */
  publicUrl: () => string;
  now?: () => number;
  random?: () => number;
}

export interface ChannelStatus {
  channel: ChannelName;
  address: string;
  state: 'ok' | 'failing';
  since: number | null;
  lastCode: string | null;
  lastError: string | null;
}

const LINK_FAILURES_PER_IP = 20;

/**
 * The notification part: the outbox producers write to (enqueueInTx), the bus subscriptions, the
 * dispatcher that plans and delivers, the owner's view (language, channel health, notices), the
 * "this wasn't me" links and the code sender recovery uses.
 */
export class NotifyService {
  readonly settings: NotifySettings;
  readonly channels: Partial<Record<ChannelName, Channel>>;
  readonly dispatcher: NotifyDispatcher;
  private readonly d: NotifyServiceDeps;
  private readonly now: () => number;
  private readonly links: LinkTokens;
  private readonly linkFailures: RateLimiter;

  constructor(d: NotifyServiceDeps) {
    this.d = d;
    this.now = d.now ?? Date.now;
    this.settings = notifySettings(d.config);
    this.links = new LinkTokens(d.secretKey);
    this.channels = {
      ...externalChannels(d.config, d.log),
      inapp: new InAppChannel(d.db, d.enqueueWebhook, d.onWebhookCommit),
    };
    this.linkFailures = new RateLimiter({
      limit: LINK_FAILURES_PER_IP,
      windowMs: 15 * 60_000,
      now: this.now,
    });
    const s = this.settings;
    this.dispatcher = new NotifyDispatcher(d.db, {
      planner: {
        available: new Set(Object.keys(this.channels) as ChannelName[]),
        channelMap: s.channelMap,
        contacts: d.contacts,
        defaultLocale: s.defaultLocale,
        maxPerHour: s.maxPerHour,
        coalesceMs: s.coalesceMs,
        linkTtlMs: s.linkTtlMs,
      },
      compose: { publicUrl: d.publicUrl, timeZone: s.timeZone, handleOf: d.handleOf },
      links: this.links,
      channels: this.channels,
      retryBaseMs: s.retryBaseMs,
      retryCapMs: s.retryCapMs,
      maxAttempts: s.maxAttempts,
      maxAgeMs: s.maxAgeMs,
      pollMs: s.pollMs,
      concurrency: s.concurrency,
      retentionMs: s.retentionMs,
      log: d.log,
      now: this.now,
      ...(d.random ? { random: d.random } : {}),
    });
  }

  /** The producers' API: enqueue a notice inside their transaction (then poke after commit). */
  readonly enqueueInTx: EnqueueNotice = (tx, notice) => enqueueNoticeInTx(tx, notice, this.now());

  /** A notice in a transaction of its own (bus subscriptions; callers with no change to commit with). */
  async enqueue(notice: NoticeInput): Promise<{ id: string; created: boolean }> {
    const r = await this.d.db.transaction().execute((tx) => this.enqueueInTx(tx, notice));
    this.poke();
    return r;
  }

  /** In a sign-in's transaction: announces a sign-in from a new device, network or country. */
  readonly signedInTx = (tx: Tx, s: SignInFacts) => noteSignInTx(tx, s);

  /** Facts that already travel on the bus: the response part's containment notice, sessions ended. */
  subscribe(bus: Bus): void {
    const handle = async (e: Parameters<typeof noticesFromBus>[0]) => {
      for (const n of noticesFromBus(e)) await this.enqueue(n);
      // a containment ended the intruder's sessions: what they taught the new-sign-in notice (their
      // device, network, country) is forgotten, so the intruder coming back is news to the owner again
      const f = contextsToForget(e);
      if (f) await q.forgetContextsOf(this.d.db, f.account, f.sessions);
    };
    bus.subscribe('action.taken', handle);
    bus.subscribe('session.revoked', handle);
    bus.subscribe('app.authorised', handle);
    bus.subscribe('app.suspended', handle);
  }

  registerMetrics(registry: Registry): void {
    this.dispatcher.registerMetrics(registry);
  }
  start(): void {
    this.dispatcher.start();
  }
  poke(): void {
    this.dispatcher.poke();
  }
  flush(): Promise<void> {
    return this.dispatcher.flush();
  }
  stop(): Promise<void> {
    return this.dispatcher.stop();
  }

  // ---- the owner's language and view -----------------------------------------------------------------

  async locale(account: string): Promise<{ locale: Locale; chosen: boolean }> {
    const l = await q.locale(this.d.db, account);
    return (LOCALES as readonly string[]).includes(l ?? '')
      ? { locale: l as Locale, chosen: true }
      : { locale: this.settings.defaultLocale, chosen: false };
  }

  async setLocale(account: string, locale: Locale): Promise<void> {
    await q.setLocale(this.d.db, account, locale, this.now());
  }

  /** Where the owner's notices go and whether each address works (what the security centre shows). */
  async channelStatus(account: string): Promise<ChannelStatus[]> {
    const health = await q.health(this.d.db, account);
    const contacts = await this.d.contacts(account);
    const rows: ChannelStatus[] = [];
    const seen = new Set<string>();
    const add = (channel: ChannelName, address: string) => {
      const key = `${channel}|${address}`;
      if (seen.has(key)) return;
      seen.add(key);
      const h = health.find((x) => x.channel === channel && x.address === address);
      rows.push({
        channel,
        address: maskedTo(channel, address),
        state: h?.state ?? 'ok',
        since: h?.state === 'failing' ? h.since : null,
        lastCode: h?.state === 'failing' ? h.last_code : null,
        lastError: h?.state === 'failing' ? h.last_error : null,
      });
    };
    for (const c of contacts) add(c.channel, c.address);
    add('inapp', account);
    for (const h of health) if (h.state === 'failing') add(h.channel as ChannelName, h.address);
    return rows;
  }

  /** The account's recent notices with what became of each (sent, suppressed, coalesced…) and where. */
  async notices(account: string, limit = 50) {
    const rows = await q.notices(this.d.db, account, Math.min(Math.max(limit, 1), 200));
    const deliveries = await q.deliveriesOf(
      this.d.db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      state: r.state,
      critical: r.critical === 1,
      createdAt: r.created_at,
      plannedAt: r.planned_at,
      coalescedInto: r.coalesced_into,
      outcome: r.outcome ? (JSON.parse(r.outcome) as Record<string, unknown>) : null,
      deliveries: deliveries
        .filter((x) => x.notice_id === r.id)
        .map((x) => ({
          channel: x.channel,
          to: maskedTo(x.channel, x.address),
          state: x.state,
          attempts: x.attempts,
          lastCode: x.last_code,
          lastError: x.last_error,
        })),
    }));
  }

  // ---- "this wasn't me" ----------------------------------------------------------------------------

  private async link(token: string, ip: string) {
    const limit = this.linkFailures.check(ip);
    if (!limit.allowed)
      throw new GatehouseError('RATE_LIMITED', `Too many attempts; retry in ${limit.retryAfterSeconds} s`, {
        headers: { 'retry-after': String(limit.retryAfterSeconds) },
        extra: { retryAfterSeconds: limit.retryAfterSeconds },
      });
    const h = LINK_TOKEN_RE.test(token) ? hashToken(token) : undefined;
    const row = h ? await q.linkByHash(this.d.db, h) : undefined;
    if (!row || !h || !safeEqual(row.token_hash, h)) {
      this.linkFailures.hit(ip);
      throw new GatehouseError('NOTIFY_LINK_INVALID');
    }
    return row;
  }

  /** What a link is about, without using it (link scanners and the page's first view). */
  async peek(token: string, ip: string) {
    const row = await this.link(token, ip);
    const n = await q.notice(this.d.db, row.notice_id);
    const { locale } = await this.locale(row.account_id);
    const handle = untrusted((await this.d.handleOf(row.account_id)) ?? row.account_id, 64);
    const summary = n
      ? contentOf(n, { locale, handle, base: this.d.publicUrl(), timeZone: this.settings.timeZone }).summary
      : '';
    const state = row.used_at !== null ? 'used' : row.expires_at <= this.now() ? 'expired' : 'ready';
    return {
      state,
      kind: (n?.kind ?? 'unknown') as NoticeKind | 'unknown',
      locale,
      handle,
      summary,
      usedAt: row.used_at,
    };
  }

  /**
   * The owner says the notice's event was not them: the link is spent (one use, even with two clicks at
   * once), then the account is contained through the response part (the session the notice is about
   * ends, the account freezes, the owner appeals) and what that session taught about "known" devices
   * and networks is forgotten. If containment fails the link works again.
   */
  async useNotMe(token: string, ip: string) {
    const row = await this.link(token, ip);
    const t = this.now();
    if (row.used_at !== null)
      throw new GatehouseError('NOTIFY_LINK_USED', undefined, { extra: { usedAt: row.used_at } });
    if (row.expires_at <= t) throw new GatehouseError('NOTIFY_LINK_EXPIRED');
    if (!this.d.contain) throw new GatehouseError('NOT_READY', 'Containment is not available');
    const won = await this.d.db.transaction().execute(async (tx) => {
      if (!(await q.useLink(tx, row.id, t, ip.slice(0, 64)))) return false;
      await appendAuditInTx(tx, {
        actor: `account:${row.account_id}`,
        action: 'notify.not_me',
        subject: row.account_id,
        data: { link: row.id, notice: row.notice_id, session: row.session, ip },
        at: t,
      });
      return true;
    });
    if (!won) throw new GatehouseError('NOTIFY_LINK_USED');
    try {
      const r = await this.d.contain({
        account: row.account_id,
        ...(row.session ? { session: row.session } : {}),
        link: row.id,
        ip,
      });
      if (row.session) await q.forgetContextsOf(this.d.db, row.account_id, [row.session]);
      return { contained: true, steps: r.steps };
    } catch (err) {
      await q.unuseLink(this.d.db, row.id);
      this.d.log.error(
        { err, link: row.id },
        'containment after "this wasn\'t me" failed; the link works again',
      );
      throw err;
    }
  }

  // ---- codes ----------------------------------------------------------------------------------------

  /** Recovery's code sender for recoveryCodeSender smtp, sms or smtp+sms (undefined otherwise). */
  codeSender(): CodeSender | undefined {
    const mode = this.d.config.recoveryCodeSender;
    if (mode !== 'smtp' && mode !== 'sms' && mode !== 'smtp+sms') return undefined;
    const email = mode !== 'sms' ? this.channels.email : undefined;
    const sms = mode !== 'smtp' ? this.channels.sms : undefined;
    return new NotifyCodeSender({
      ...(email ? { email } : {}),
      ...(sms ? { sms } : {}),
      recipient: async (handle) => {
        const account = await this.d.accountByHandle(handle);
        return account ? { account, locale: (await this.locale(account)).locale } : undefined;
      },
      onPermanentFailure: (account, channel, address, o) =>
        q.markHealth(
          this.d.db,
          { account_id: account, channel, address, last_code: o.code, last_error: o.error },
          true,
          this.now(),
        ),
      log: this.d.log,
    });
  }
}
