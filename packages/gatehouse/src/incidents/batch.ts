import { newId } from '../crypto/index.ts';
import { isPostgres, type Tx } from '../store/db.ts';
import type { IncidentsTable } from './schema.ts';
import { incidentStore as q } from './store.ts';
import type { ActionFact, CampaignFact, DecisionFact, IncidentFacts } from './types.ts';
import { emptyFacts } from './types.ts';

/** One piece of incident bookkeeping, as it arrives from the bus. */
export type IncidentWork =
  | { kind: 'campaign'; campaign: CampaignFact }
  | { kind: 'decision'; decision: DecisionFact }
  | { kind: 'action'; action: ActionFact };

export interface MassRule {
  massThreshold: number;
  massWindowMs: number;
}

/** Contain decisions of the last window, across batches (what makes a mass-hijack incident). */
export type RecentContains = Array<{ t: number; account: string; decision: string }>;

/**
 * Accounts known to be in an incident ("incident|account"), across batches: membership only grows, so a
 * contained account's every later decision need not ask the database again. Bounded: cleared when full.
 */
export class KnownMembers {
  private readonly set = new Set<string>();
  private readonly max: number;
  constructor(max = 200_000) {
    this.max = max;
  }
  has(incident: string, account: string): boolean {
    return this.set.has(`${incident}|${account}`);
  }
  add(incident: string, account: string): void {
    if (this.set.size >= this.max) this.set.clear();
    this.set.add(`${incident}|${account}`);
  }
}

interface Loaded {
  row: IncidentsTable;
  facts: IncidentFacts;
  updatedAt: number;
  /** Accounts to add (account → first seen), not yet known to be in the table. */
  accounts: Map<string, number>;
  dirty: boolean;
  /** Created by this batch: none of its accounts is in the table yet. */
  created: boolean;
}

interface TimelineRow {
  incident_id: string;
  at: number;
  kind: string;
  summary: string;
  data: string;
}

const cap = <T>(xs: T[], n: number) => (xs.length > n ? xs.slice(0, n) : xs);
const CHUNK = 200;

/**
 * Applies many pieces of incident bookkeeping (campaigns, decisions, actions) in ONE transaction, in
 * arrival order, with the same outcome as applying them one by one: each incident touched is read once,
 * its running counts are updated in memory, and at the end its new accounts, its counts and every
 * timeline entry are written with a few multi-row statements. A mass incident costs a handful of
 * statements per batch instead of eight per decision.
 */
export class IncidentBatch {
  private readonly tx: Tx;
  private readonly rule: MassRule;
  private readonly recent: { list: RecentContains };
  private readonly loaded = new Map<string, Loaded>();
  private readonly bySourceKey = new Map<string, string | null>();
  private readonly timeline: TimelineRow[] = [];
  private open: IncidentsTable[] | undefined;
  private memberships: Map<string, Set<string>> | undefined;
  private readonly actionAccounts: Set<string>;

  private readonly members: KnownMembers;
  constructor(
    tx: Tx,
    rule: MassRule,
    recent: { list: RecentContains },
    items: readonly IncidentWork[],
    members: KnownMembers,
  ) {
    this.tx = tx;
    this.members = members;
    this.rule = rule;
    this.recent = recent;
    this.actionAccounts = new Set(items.flatMap((i) => (i.kind === 'action' ? [i.action.account] : [])));
  }

  /** Remembers the members this batch added (call once it committed). */
  committed(): void {
    for (const l of this.loaded.values()) for (const a of l.accounts.keys()) this.members.add(l.row.id, a);
  }

  /** Applies the items in order; returns, per item, the incidents it touched. */
  async apply(items: readonly IncidentWork[]): Promise<string[][]> {
    const out: string[][] = [];
    for (const i of items) {
      if (i.kind === 'campaign') out.push([await this.campaign(i.campaign)]);
      else if (i.kind === 'decision') out.push(await this.decision(i.decision));
      else out.push(await this.action(i.action));
    }
    await this.finish();
    return out;
  }

  private async load(row: IncidentsTable): Promise<Loaded> {
    let l = this.loaded.get(row.id);
    if (l) return l;
    // re-read under a row lock on PostgreSQL: concurrent batches update the counts one after another
    const fresh = isPostgres(this.tx) ? ((await q.byIdForUpdate(this.tx, row.id)) ?? row) : row;
    l = {
      row: fresh,
      facts: JSON.parse(fresh.facts) as IncidentFacts,
      updatedAt: fresh.updated_at,
      accounts: new Map(),
      dirty: false,
      created: false,
    };
    this.loaded.set(row.id, l);
    return l;
  }

  private async bySource(key: string): Promise<Loaded | undefined> {
    const id = this.bySourceKey.get(key);
    if (id === null) return undefined;
    if (id !== undefined) return this.loaded.get(id);
    const row = await q.bySource(this.tx, key);
    this.bySourceKey.set(key, row ? row.id : null);
    return row ? this.load(row) : undefined;
  }

  private async upsert(
    key: string,
    kind: string,
    title: string,
    at: number,
  ): Promise<{ inc: Loaded; created: boolean }> {
    const existing = await this.bySource(key);
    if (existing) return { inc: existing, created: false };
    const row: IncidentsTable = {
      id: newId('inc'),
      kind,
      title: title.slice(0, 200),
      status: 'open',
      source_key: key,
      opened_at: at,
      updated_at: at,
      closed_at: null,
      facts: JSON.stringify(emptyFacts()),
    };
    await q.insert(this.tx, row);
    this.bySourceKey.set(key, row.id);
    this.open?.push(row);
    const inc: Loaded = {
      row,
      facts: emptyFacts(),
      updatedAt: at,
      accounts: new Map(),
      dirty: true,
      created: true,
    };
    this.loaded.set(row.id, inc);
    return { inc, created: true };
  }

  private touch(inc: Loaded, at: number, mutate: (f: IncidentFacts) => void): void {
    mutate(inc.facts);
    inc.updatedAt = Math.max(inc.updatedAt, at);
    inc.dirty = true;
  }

  /** Adds accounts; returns how many were not in the incident yet. */
  private async addAccounts(inc: Loaded, accounts: readonly string[], at: number): Promise<number> {
    const id = inc.row.id;
    const fresh = [...new Set(accounts)].filter((a) => !inc.accounts.has(a) && !this.members.has(id, a));
    if (fresh.length === 0) return 0;
    const have = new Set<string>();
    if (!inc.created)
      for (let i = 0; i < fresh.length; i += 500)
        for (const a of await q.existingAccounts(this.tx, id, fresh.slice(i, i + 500))) {
          have.add(a);
          this.members.add(id, a);
        }
    let added = 0;
    for (const a of fresh) {
      if (have.has(a)) continue;
      inc.accounts.set(a, at);
      this.memberships?.get(a)?.add(inc.row.id);
      added++;
    }
    inc.dirty = true;
    return added;
  }

  private note(inc: Loaded, at: number, kind: string, summary: string, data: unknown): void {
    this.timeline.push({ incident_id: inc.row.id, at, kind, summary, data: JSON.stringify(data) });
  }

  /** A campaign was detected or grew. */
  private async campaign(c: CampaignFact): Promise<string> {
    const at = c.lastSeen;
    const label =
      c.kind === 'domain'
        ? `links to ${c.sample}`
        : c.kind === 'image'
          ? `image ${c.sample.slice(0, 16)}…`
          : `"${c.sample.slice(0, 60)}"`;
    const { inc, created } = await this.upsert(
      `campaign:${c.id}`,
      'campaign',
      `Campaign: ${label}`,
      c.firstSeen,
    );
    const added = await this.addAccounts(inc, c.members, at);
    if (created || added > 0)
      this.note(
        inc,
        at,
        created ? 'campaign.detected' : 'campaign.grew',
        created
          ? `campaign detected: ${c.memberCount} accounts sending ${label}`
          : `${added} more accounts joined the campaign`,
        { campaign: c.id, fingerprint: c.kind, key: c.key, members: c.memberCount },
      );
    this.touch(inc, at, (f) => {
      if (!f.campaigns.includes(c.id)) f.campaigns.push(c.id);
      if (!f.samples.includes(c.sample)) f.samples = cap([...f.samples, c.sample], 10);
    });
    return inc.row.id;
  }

  private async openMass(at: number): Promise<Loaded | undefined> {
    this.open ??= await q.list(this.tx, { status: 'open', limit: 20 });
    for (const r of this.open) {
      if (r.kind !== 'mass_hijack') continue;
      const l = this.loaded.get(r.id);
      if ((l?.updatedAt ?? r.updated_at) >= at) return l ?? this.load(r);
    }
    return undefined;
  }

  /** A non-allow decision: joins the incidents of its campaigns; contain decisions can make a mass-hijack incident. */
  private async decision(d: DecisionFact): Promise<string[]> {
    const targets: Loaded[] = [];
    for (const cid of d.campaigns ?? []) {
      const r = await this.bySource(`campaign:${cid}`);
      if (r) targets.push(r);
    }
    // an account already contained (its later messages, each judged contain again) is not news
    const repeat = d.signals.some((s) => s.name === 'account_contained');
    if (d.action === 'contain') {
      const w = this.rule.massWindowMs;
      // only first containments count towards a mass incident (a contained account's every later
      // message is a repeat: kept out, the list stays as long as the accounts contained, not their
      // messages, and pruning it per decision costs that, not the night's message count)
      let recent = this.recent.list;
      if (!repeat) {
        // kept in time order (decisions come nearly in order: the insert looks from the end)
        let at = recent.length;
        while (at > 0 && recent[at - 1]!.t > d.time) at--;
        recent.splice(at, 0, { t: d.time, account: d.account, decision: d.id });
        let stale = 0;
        while (stale < recent.length && recent[stale]!.t <= d.time - w) stale++;
        if (stale > 0) recent = this.recent.list = recent.slice(stale);
      }
      const mass = await this.openMass(d.time - w);
      if (mass) targets.push(mass);
      else if (!repeat && new Set(recent.map((x) => x.account)).size >= this.rule.massThreshold) {
        const first = recent[0]!.t;
        const { inc } = await this.upsert(
          `mass:${first}`,
          'mass_hijack',
          `Mass hijack: ${recent.length} accounts contained within ${Math.round(w / 60000)} min`,
          first,
        );
        await this.addAccounts(
          inc,
          recent.map((x) => x.account),
          d.time,
        );
        this.note(
          inc,
          d.time,
          'mass.detected',
          `${recent.length} accounts contained within ${Math.round(w / 60000)} minutes`,
          { decisions: recent.map((x) => x.decision) },
        );
        targets.push(inc);
      }
    }
    const wave = d.signals.find((s) => s.name === 'login_wave');
    if (wave) {
      const day = Math.floor(d.time / 86_400_000);
      const { inc, created } = await this.upsert(
        `login-wave:${wave.value}:${day}`,
        'login_wave',
        `Login wave from ${wave.value}`,
        d.time,
      );
      if (created)
        this.note(inc, d.time, 'login_wave.detected', `many new sessions from ${wave.value}`, {
          value: wave.value,
        });
      targets.push(inc);
    }
    const touched: string[] = [];
    for (const inc of targets) {
      if (touched.includes(inc.row.id)) continue;
      touched.push(inc.row.id);
      await this.addAccounts(inc, [d.account], d.time);
      if (d.action === 'contain' && !repeat)
        this.note(inc, d.time, 'decision.contain', `account ${d.account} contained`, {
          decision: d.id,
          signals: d.signals.slice(0, 5).map((s) => s.name),
        });
      this.touch(inc, d.time, (f) => {
        f.decisions++;
        if (d.action === 'contain' && !repeat) f.contained++;
        for (const s of d.signals) f.signals[s.name] = (f.signals[s.name] ?? 0) + 1;
      });
    }
    return touched;
  }

  /** The open incidents of each account of this batch's actions (what the database says, then this batch). */
  private async incidentsOf(account: string): Promise<string[]> {
    if (!this.memberships) {
      this.memberships = new Map([...this.actionAccounts].map((a) => [a, new Set<string>()]));
      const accounts = [...this.actionAccounts];
      for (let i = 0; i < accounts.length; i += 500)
        for (const r of await q.incidentsOfAccounts(this.tx, accounts.slice(i, i + 500)))
          this.memberships.get(r.account)?.add(r.id);
      for (const l of this.loaded.values())
        if (l.row.status !== 'closed')
          for (const a of l.accounts.keys()) this.memberships.get(a)?.add(l.row.id);
    }
    return [...(this.memberships.get(account) ?? [])];
  }

  /** An action the response part took (or planned in dry-run) for an account in open incidents. */
  private async action(a: ActionFact): Promise<string[]> {
    const ids = await this.incidentsOf(a.account);
    for (const id of ids) {
      let inc = this.loaded.get(id);
      if (!inc) {
        const row = await q.byId(this.tx, id);
        if (!row) continue;
        inc = await this.load(row);
      }
      const dry = a.mode === 'dry-run';
      this.note(
        inc,
        a.at,
        `action.${a.kind}`,
        `${dry ? '(dry-run) ' : ''}${a.kind.replaceAll('_', ' ')} on ${a.account}: ${a.status}`,
        { decision: a.decision, mode: a.mode, detail: a.detail },
      );
      this.touch(inc, a.at, (f) => {
        if (dry) return void f.dryRunActions++;
        if (a.status !== 'done') return;
        if (a.kind === 'freeze_account') f.frozen++;
        if (a.kind === 'retract_messages') f.messagesRetracted += Number(a.detail.messages ?? 0);
        if (a.kind === 'warn_recipients') f.recipientsWarned += Number(a.detail.recipients ?? 0);
        if (a.kind === 'quarantine_content')
          f.quarantined = cap([...new Set([...f.quarantined, ...((a.detail.keys as string[]) ?? [])])], 50);
      });
    }
    return ids;
  }

  private async finish(): Promise<void> {
    // in key order (incidents by id, accounts by name): writers that overlap take their locks alike
    const byId = [...this.loaded.values()].sort((a, b) =>
      a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0,
    );
    for (const inc of byId) {
      if (!inc.dirty) continue;
      const rows = [...inc.accounts]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([account, first_seen]) => ({ incident_id: inc.row.id, account, first_seen }));
      for (let i = 0; i < rows.length; i += CHUNK) await q.insertAccounts(this.tx, rows.slice(i, i + CHUNK));
      inc.facts.accounts = await q.accountCount(this.tx, inc.row.id);
      await q.update(this.tx, inc.row.id, { facts: JSON.stringify(inc.facts), updated_at: inc.updatedAt });
    }
    for (let i = 0; i < this.timeline.length; i += CHUNK)
      await q.addTimelines(this.tx, this.timeline.slice(i, i + CHUNK));
  }
}
