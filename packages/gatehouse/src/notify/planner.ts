import { newId } from '../crypto/index.ts';
import type { Db } from '../store/db.ts';
import {
  CATALOGUE,
  LOCALES,
  type ChannelMap,
  type ChannelName,
  type Locale,
  type NoticeKind,
} from './catalogue.ts';
import type { LinkTokens } from './links.ts';
import type { NoticeRow } from './schema.ts';
import { notifyStore as q } from './store.ts';

export type Contact = { channel: 'email' | 'sms'; address: string };

export interface PlannerOptions {
  db: Db;
  /** Channels that are configured (email needs SMTP settings, SMS a provider; in-app always). */
  available: ReadonlySet<ChannelName>;
  channelMap: ChannelMap;
  /** The account's verified contact addresses now (recovery's email and phone channels). */
  contacts: (account: string) => Promise<Contact[]>;
  links: LinkTokens;
  defaultLocale: Locale;
  maxPerHour: number;
  coalesceMs: number;
  linkTtlMs: number;
  now: () => number;
}

export type PlanResult = 'planned' | 'held' | 'suppressed' | 'coalesced' | 'skipped';

const HOUR = 3_600_000;

/**
 * Decides what becomes of one notice, in one transaction that holds the account's planning lock (so
 * concurrent planners, in this process or another, see each other's decisions):
 * - not security-critical: planned while the account got fewer than maxPerHour such notices in the last
 *   hour, else suppressed (kept, listed for the owner, never sent);
 * - security-critical: never suppressed; planned at once unless a notice of the same kind went out less
 *   than coalesceMs ago, in which case it is held until that window ends, and then every held notice of
 *   that kind goes out as one message (the newest, listing the others).
 * Planning fixes the language, the addresses (the producer's `to`, else the contacts now, and in-app),
 * the channels (notifyChannels ∩ configured) and the "this wasn't me" link.
 */
export async function planNotice(o: PlannerOptions, id: string): Promise<PlanResult> {
  const first = await q.notice(o.db, id);
  if (!first || (first.state !== 'new' && first.state !== 'held')) return 'skipped';
  // read outside the transaction: the contacts belong to another part and may use another connection
  const contacts: Contact[] = first.recipients
    ? (JSON.parse(first.recipients) as Contact[])
    : await o.contacts(first.account_id);
  return o.db.transaction().execute(async (tx) => {
    const t = o.now();
    const stored = await q.lockAccount(tx, first.account_id, t);
    const n = await q.notice(tx, id);
    if (!n || (n.state !== 'new' && n.state !== 'held') || n.not_before > t) {
      if (n) await q.setNotice(tx, id, { lease_until: null });
      return 'skipped';
    }
    const kind = n.kind as NoticeKind;
    const locale: Locale = (LOCALES as readonly string[]).includes(stored ?? '')
      ? (stored as Locale)
      : o.defaultLocale;
    let carrier: NoticeRow = n;
    let folded: string[] = [];
    if (n.critical) {
      const last = await q.lastPlannedAt(tx, n.account_id, kind);
      if (n.state === 'new' && last !== undefined && last > t - o.coalesceMs) {
        await q.setNotice(tx, id, { state: 'held', not_before: last + o.coalesceMs, lease_until: null });
        return 'held';
      }
      const held = await q.held(tx, n.account_id, kind);
      const all = [...held.filter((h) => h.id !== n.id), n].sort((a, b) => a.seq - b.seq);
      carrier = all[all.length - 1]!;
      folded = all.slice(0, -1).map((h) => h.id);
      for (const f of folded)
        await q.setNotice(tx, f, {
          state: 'coalesced',
          coalesced_into: carrier.id,
          lease_until: null,
          locale,
        });
    } else {
      const sent = await q.countCounted(tx, n.account_id, t - HOUR);
      if (sent >= o.maxPerHour) {
        await q.setNotice(tx, id, {
          state: 'suppressed',
          lease_until: null,
          locale,
          outcome: JSON.stringify({
            reason: 'rate_limited',
            limit: o.maxPerHour,
            window: '1h',
            sentInWindow: sent,
          }),
        });
        return 'suppressed';
      }
    }
    const def = CATALOGUE[kind];
    const wanted = o.channelMap[kind];
    const used: string[] = [];
    const skipped: Array<{ channel: string; why: string }> = [];
    const rows: Array<{ channel: ChannelName; address: string }> = [];
    for (const channel of wanted) {
      if (!o.available.has(channel)) {
        skipped.push({ channel, why: 'not configured' });
        continue;
      }
      const addresses =
        channel === 'inapp'
          ? [n.account_id]
          : [...new Set(contacts.filter((c) => c.channel === channel).map((c) => c.address))];
      if (addresses.length === 0) skipped.push({ channel, why: 'no verified address' });
      else used.push(channel);
      for (const address of addresses) rows.push({ channel, address });
    }
    await q.insertDeliveries(
      tx,
      rows.map((r) => ({
        notice_id: carrier.id,
        account_id: n.account_id,
        channel: r.channel,
        address: r.address,
        state: 'pending' as const,
        attempts: 0,
        next_attempt_at: t,
        lease_until: null,
        created_at: t,
        done_at: null,
        last_code: null,
        last_error: null,
      })),
    );
    if (def.notMe) {
      const linkId = newId('lnk');
      await q.insertLink(tx, {
        id: linkId,
        token_hash: o.links.hash(linkId),
        account_id: n.account_id,
        notice_id: carrier.id,
        session: carrier.session,
        created_at: t,
        expires_at: t + o.linkTtlMs,
        used_at: null,
        used_ip: null,
      });
    }
    await q.setNotice(tx, carrier.id, {
      state: 'planned',
      planned_at: t,
      counted: n.critical ? 0 : 1,
      locale,
      lease_until: null,
      outcome: JSON.stringify({
        channels: used,
        skipped,
        deliveries: rows.length,
        ...(folded.length ? { folded } : {}),
      }),
    });
    return carrier.id === id ? 'planned' : 'coalesced';
  });
}
