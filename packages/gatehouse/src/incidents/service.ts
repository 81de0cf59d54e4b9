import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import type { Db, Tx } from '../store/db.ts';
import { renderMarkdown } from './report.ts';
import type { IncidentsTable } from './schema.ts';
import { incidentStore as q } from './store.ts';

export interface CampaignFact {
  id: string;
  kind: string;
  key: string;
  sample: string;
  members: readonly string[];
  memberCount: number;
  firstSeen: number;
  lastSeen: number;
  status: string;
}

export interface DecisionFact {
  id: string;
  account: string;
  time: number;
  action: string;
  signals: ReadonlyArray<{ name: string; value: number | string }>;
  campaigns?: readonly string[];
}

export interface ActionFact {
  account: string;
  kind: string;
  mode: string;
  status: string;
  decision: string;
  at: number;
  detail: Record<string, unknown>;
}

export interface IncidentFacts {
  accounts: number;
  decisions: number;
  contained: number;
  frozen: number;
  messagesRetracted: number;
  recipientsWarned: number;
  quarantined: string[];
  samples: string[];
  signals: Record<string, number>;
  dryRunActions: number;
  campaigns: string[];
}

export interface IncidentOptions {
  /** Contain decisions within `massWindowMs` that make a mass-hijack incident. */
  massThreshold: number;
  massWindowMs: number;
  contact: string;
  now?: () => number;
}

const emptyFacts = (): IncidentFacts => ({
  accounts: 0,
  decisions: 0,
  contained: 0,
  frozen: 0,
  messagesRetracted: 0,
  recipientsWarned: 0,
  quarantined: [],
  samples: [],
  signals: {},
  dryRunActions: 0,
  campaigns: [],
});

export interface IncidentView {
  id: string;
  kind: string;
  title: string;
  status: string;
  openedAt: number;
  updatedAt: number;
  closedAt: number | null;
  facts: IncidentFacts;
}

function view(r: IncidentsTable): IncidentView {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    status: r.status,
    openedAt: r.opened_at,
    updatedAt: r.updated_at,
    closedAt: r.closed_at,
    facts: JSON.parse(r.facts) as IncidentFacts,
  };
}

const cap = <T>(xs: T[], n: number) => (xs.length > n ? xs.slice(0, n) : xs);

/**
 * Campaigns and mass events become incidents: a timeline, the affected accounts, content samples, the
 * actions taken and running counts; operator notes; and an export with what a personal-information
 * incident notice needs.
 */
export class IncidentService {
  private readonly db: Db;
  private readonly opts: IncidentOptions;
  private readonly now: () => number;
  private recentContains: Array<{ t: number; account: string; decision: string }> = [];

  constructor(db: Db, opts: IncidentOptions) {
    this.db = db;
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  private async upsert(
    tx: Tx,
    key: string,
    kind: string,
    title: string,
    at: number,
  ): Promise<{ row: IncidentsTable; created: boolean }> {
    const existing = await q.bySource(tx, key);
    if (existing) return { row: existing, created: false };
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
    await q.insert(tx, row);
    return { row, created: true };
  }

  private async touch(
    tx: Tx,
    row: IncidentsTable,
    mutate: (f: IncidentFacts) => void,
    at: number,
  ): Promise<void> {
    const fresh = (await q.byId(tx, row.id)) ?? row;
    const f = JSON.parse(fresh.facts) as IncidentFacts;
    mutate(f);
    f.accounts = await q.accountCount(tx, row.id);
    await q.update(tx, row.id, { facts: JSON.stringify(f), updated_at: Math.max(at, fresh.updated_at) });
  }

  /** A campaign was detected or grew. */
  async onCampaign(c: CampaignFact): Promise<string> {
    const at = c.lastSeen;
    return this.db.transaction().execute(async (tx) => {
      const label =
        c.kind === 'domain'
          ? `links to ${c.sample}`
          : c.kind === 'image'
            ? `image ${c.sample.slice(0, 16)}…`
            : `"${c.sample.slice(0, 60)}"`;
      const { row, created } = await this.upsert(
        tx,
        `campaign:${c.id}`,
        'campaign',
        `Campaign: ${label}`,
        c.firstSeen,
      );
      const added = await q.addAccounts(tx, row.id, [...c.members], at);
      if (created || added > 0) {
        await q.addTimeline(tx, {
          incident_id: row.id,
          at,
          kind: created ? 'campaign.detected' : 'campaign.grew',
          summary: created
            ? `campaign detected: ${c.memberCount} accounts sending ${label}`
            : `${added} more accounts joined the campaign`,
          data: JSON.stringify({ campaign: c.id, fingerprint: c.kind, key: c.key, members: c.memberCount }),
        });
      }
      await this.touch(
        tx,
        row,
        (f) => {
          if (!f.campaigns.includes(c.id)) f.campaigns.push(c.id);
          if (!f.samples.includes(c.sample)) f.samples = cap([...f.samples, c.sample], 10);
        },
        at,
      );
      return row.id;
    });
  }

  /** A non-allow decision: joins the incidents of its campaigns; contain decisions can make a mass-hijack incident. */
  async onDecision(d: DecisionFact): Promise<string[]> {
    const touched: string[] = [];
    await this.db.transaction().execute(async (tx) => {
      const targets: IncidentsTable[] = [];
      for (const cid of d.campaigns ?? []) {
        const r = await q.bySource(tx, `campaign:${cid}`);
        if (r) targets.push(r);
      }
      if (d.action === 'contain') {
        const w = this.opts.massWindowMs;
        this.recentContains = this.recentContains.filter((x) => x.t > d.time - w);
        this.recentContains.push({ t: d.time, account: d.account, decision: d.id });
        const mass = (await q.list(tx, { status: 'open', limit: 20 })).find(
          (r) => r.kind === 'mass_hijack' && r.updated_at >= d.time - w,
        );
        if (mass) targets.push(mass);
        else if (new Set(this.recentContains.map((x) => x.account)).size >= this.opts.massThreshold) {
          const first = this.recentContains[0]!.t;
          const { row } = await this.upsert(
            tx,
            `mass:${first}`,
            'mass_hijack',
            `Mass hijack: ${this.recentContains.length} accounts contained within ${Math.round(w / 60000)} min`,
            first,
          );
          await q.addAccounts(
            tx,
            row.id,
            this.recentContains.map((x) => x.account),
            d.time,
          );
          await q.addTimeline(tx, {
            incident_id: row.id,
            at: d.time,
            kind: 'mass.detected',
            summary: `${this.recentContains.length} accounts contained within ${Math.round(w / 60000)} minutes`,
            data: JSON.stringify({ decisions: this.recentContains.map((x) => x.decision) }),
          });
          targets.push(row);
        }
      }
      const wave = d.signals.find((s) => s.name === 'login_wave');
      if (wave) {
        const day = Math.floor(d.time / 86_400_000);
        const { row, created } = await this.upsert(
          tx,
          `login-wave:${wave.value}:${day}`,
          'login_wave',
          `Login wave from ${wave.value}`,
          d.time,
        );
        if (created)
          await q.addTimeline(tx, {
            incident_id: row.id,
            at: d.time,
            kind: 'login_wave.detected',
            summary: `many new sessions from ${wave.value}`,
            data: JSON.stringify({ value: wave.value }),
          });
        targets.push(row);
      }
      for (const r of targets) {
        if (touched.includes(r.id)) continue;
        touched.push(r.id);
        await q.addAccounts(tx, r.id, [d.account], d.time);
        if (d.action === 'contain') {
          await q.addTimeline(tx, {
            incident_id: r.id,
            at: d.time,
            kind: 'decision.contain',
            summary: `account ${d.account} contained`,
            data: JSON.stringify({ decision: d.id, signals: d.signals.slice(0, 5).map((s) => s.name) }),
          });
        }
        await this.touch(
          tx,
          r,
          (f) => {
            f.decisions++;
            if (d.action === 'contain') f.contained++;
            for (const s of d.signals) f.signals[s.name] = (f.signals[s.name] ?? 0) + 1;
          },
          d.time,
        );
      }
    });
    return touched;
  }

  /** An action the response part took (or planned in dry-run) for an account in open incidents. */
  async onAction(a: ActionFact): Promise<void> {
    const incs = await q.incidentsOfAccount(this.db, a.account);
    if (incs.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const i of incs) {
        const row = await q.byId(tx, i.id);
        if (!row) continue;
        const dry = a.mode === 'dry-run';
        await q.addTimeline(tx, {
          incident_id: i.id,
          at: a.at,
          kind: `action.${a.kind}`,
          summary: `${dry ? '(dry-run) ' : ''}${a.kind.replaceAll('_', ' ')} on ${a.account}: ${a.status}`,
          data: JSON.stringify({ decision: a.decision, mode: a.mode, detail: a.detail }),
        });
        await this.touch(
          tx,
          row,
          (f) => {
            if (dry) return void f.dryRunActions++;
            if (a.status !== 'done') return;
            if (a.kind === 'freeze_account') f.frozen++;
            if (a.kind === 'retract_messages') f.messagesRetracted += Number(a.detail.messages ?? 0);
            if (a.kind === 'warn_recipients') f.recipientsWarned += Number(a.detail.recipients ?? 0);
            if (a.kind === 'quarantine_content')
              f.quarantined = cap(
                [...new Set([...f.quarantined, ...((a.detail.keys as string[]) ?? [])])],
                50,
              );
          },
          a.at,
        );
      }
    });
  }

  async list(opts: { status?: string; limit?: number } = {}): Promise<IncidentView[]> {
    return (
      await q.list(this.db, {
        ...(opts.status ? { status: opts.status } : {}),
        limit: Math.min(opts.limit ?? 100, 500),
      })
    ).map(view);
  }

  async get(id: string) {
    const r = await q.byId(this.db, id);
    if (!r) throw new GatehouseError('INCIDENT_NOT_FOUND');
    const [accounts, timeline, notes] = await Promise.all([
      q.accounts(this.db, id, 1000),
      q.timeline(this.db, id, 5000),
      q.notes(this.db, id),
    ]);
    return {
      ...view(r),
      accounts: accounts.map((a) => ({ account: a.account, firstSeen: a.first_seen })),
      timeline: timeline.map((t) => ({
        at: t.at,
        kind: t.kind,
        summary: t.summary,
        data: JSON.parse(t.data) as Record<string, unknown>,
      })),
      notes: notes.map((n) => ({ id: n.id, author: n.author, text: n.text, at: n.at })),
    };
  }

  async addNote(id: string, author: string, text: string): Promise<void> {
    const t = this.now();
    await this.db.transaction().execute(async (tx) => {
      if (!(await q.byId(tx, id))) throw new GatehouseError('INCIDENT_NOT_FOUND');
      await q.addNote(tx, { id: newId('note'), incident_id: id, author, text, at: t });
      await q.addTimeline(tx, {
        incident_id: id,
        at: t,
        kind: 'note',
        summary: `note by ${author}`,
        data: JSON.stringify({ text: text.slice(0, 500) }),
      });
      await q.update(tx, id, { updated_at: t });
    });
  }

  async setStatus(id: string, status: 'open' | 'contained' | 'closed', author: string): Promise<void> {
    const t = this.now();
    await this.db.transaction().execute(async (tx) => {
      const r = await q.byId(tx, id);
      if (!r) throw new GatehouseError('INCIDENT_NOT_FOUND');
      await q.update(tx, id, { status, updated_at: t, closed_at: status === 'closed' ? t : null });
      await q.addTimeline(tx, {
        incident_id: id,
        at: t,
        kind: 'status',
        summary: `${r.status} → ${status} by ${author}`,
        data: '{}',
      });
    });
  }

  /** The export: JSON with the fields a personal-information incident notice needs, or Markdown of it. */
  async export(id: string): Promise<{ json: IncidentNotice; markdown: string }> {
    const inc = await this.get(id);
    const notice = buildNotice(inc, this.opts.contact);
    return { json: notice, markdown: renderMarkdown(notice) };
  }
}

export interface IncidentNotice {
  incident: {
    id: string;
    kind: string;
    title: string;
    status: string;
    openedAt: string;
    updatedAt: string;
    closedAt: string | null;
  };
  whatHappened: { en: string; 'zh-CN': string };
  dataInvolved: { en: string[]; 'zh-CN': string[] };
  whoIsAffected: { accounts: number; recipientsWarned: number; en: string; 'zh-CN': string };
  cause: { en: string; 'zh-CN': string };
  possibleHarm: { en: string[]; 'zh-CN': string[] };
  remediesTaken: { en: string[]; 'zh-CN': string[] };
  whatUsersCanDo: { en: string[]; 'zh-CN': string[] };
  contact: string;
  counts: IncidentFacts;
  timeline: Array<{ at: string; kind: string; summary: string }>;
  notes: Array<{ at: string; author: string; text: string }>;
}

function buildNotice(inc: Awaited<ReturnType<IncidentService['get']>>, contact: string): IncidentNotice {
  const f = inc.facts;
  const iso = (t: number) => new Date(t).toISOString();
  const topSignals = Object.entries(f.signals)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([k]) => k);
  const qr = topSignals.includes('signin_qr') || topSignals.includes('login_wave');
  return {
    incident: {
      id: inc.id,
      kind: inc.kind,
      title: inc.title,
      status: inc.status,
      openedAt: iso(inc.openedAt),
      updatedAt: iso(inc.updatedAt),
      closedAt: inc.closedAt ? iso(inc.closedAt) : null,
    },
    whatHappened: {
      en: `Between ${iso(inc.openedAt)} and ${iso(inc.updatedAt)}, ${f.accounts} accounts were taken over or used to send the same harmful content (${inc.title}).`,
      'zh-CN': `在 ${iso(inc.openedAt)} 至 ${iso(inc.updatedAt)} 期间，${f.accounts} 个账号被盗用或被用于发送相同的有害内容（${inc.title}）。`,
    },
    dataInvolved: {
      en: [
        'account access (sessions)',
        'messages sent in the owners’ names',
        'contact lists and group memberships the intruders could see',
      ],
      'zh-CN': ['账号访问权限（登录会话）', '以号主名义发送的消息', '入侵者可查看的好友列表与群成员信息'],
    },
    whoIsAffected: {
      accounts: f.accounts,
      recipientsWarned: f.recipientsWarned,
      en: `${f.accounts} account owners; ${f.recipientsWarned} people who received messages from the intruders were warned.`,
      'zh-CN': `${f.accounts} 位号主；已向 ${f.recipientsWarned} 位收到入侵者消息的用户发出提醒。`,
    },
    cause: qr
      ? {
          en:
            'Sign-ins approved through relayed QR codes or from new devices and networks, followed by mass messaging (signals: ' +
            topSignals.join(', ') +
            ').',
          'zh-CN': '通过转发的二维码或新设备、新网络登录后群发消息（信号：' + topSignals.join('、') + '）。',
        }
      : {
          en: `Accounts sending the same harmful content while breaking their own habits (signals: ${topSignals.join(', ') || 'campaign'}).`,
          'zh-CN': `多个账号在偏离自身习惯的情况下发送相同的有害内容（信号：${topSignals.join('、') || '传播活动'}）。`,
        },
    possibleHarm: {
      en: [
        'friends tricked into transferring money',
        'phishing pages that steal more passwords',
        'exposure to porn or gambling content',
        'loss of trust in the account owners',
      ],
      'zh-CN': ['好友被骗转账', '钓鱼页面窃取更多密码', '接触色情或赌博内容', '号主的社交信誉受损'],
    },
    remediesTaken: {
      en: [
        `${f.contained} accounts contained and ${f.frozen} frozen; intruder sessions ended`,
        `${f.messagesRetracted} intruder messages retracted`,
        `${f.recipientsWarned} recipients warned`,
        ...(f.quarantined.length
          ? [`${f.quarantined.length} content fingerprints and domains quarantined platform-wide`]
          : []),
      ],
      'zh-CN': [
        `已控制 ${f.contained} 个账号、冻结 ${f.frozen} 个账号，并终止入侵者会话`,
        `已撤回 ${f.messagesRetracted} 条入侵者消息`,
        `已提醒 ${f.recipientsWarned} 位收信人`,
        ...(f.quarantined.length ? [`已在全平台隔离 ${f.quarantined.length} 个内容指纹与域名`] : []),
      ],
    },
    whatUsersCanDo: {
      en: [
        'Do not transfer money because of a chat message; confirm by phone or in person',
        'Never scan a login QR code that a web page or another person shows you',
        'Change your password and every other site where you used the same one',
        'Turn on a passkey and review your sessions and authorised apps',
      ],
      'zh-CN': [
        '不要因聊天消息转账，请先通过电话或当面确认',
        '不要扫描网页或他人提供的登录二维码',
        '修改密码，并修改所有使用相同密码的网站',
        '开启通行密钥，并检查登录会话和已授权的应用',
      ],
    },
    contact,
    counts: f,
    timeline: inc.timeline.map((t) => ({ at: iso(t.at), kind: t.kind, summary: t.summary })),
    notes: inc.notes.map((n) => ({ at: iso(n.at), author: n.author, text: n.text })),
  };
}
