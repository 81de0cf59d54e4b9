import { newId } from '../crypto/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { retryTransient, type Db, type Tx } from '../store/db.ts';
import { IncidentBatch, KnownMembers, type IncidentWork, type RecentContains } from './batch.ts';
import { renderMarkdown } from './report.ts';
import type { IncidentsTable } from './schema.ts';
import { incidentStore as q } from './store.ts';
import {
  emptyFacts,
  type ActionFact,
  type AppIncidentFacts,
  type CampaignFact,
  type DecisionFact,
  type IncidentFacts,
  type IncidentOptions,
  type PartIncidentInput,
} from './types.ts';

export type {
  ActionFact,
  AppIncidentFacts,
  CampaignFact,
  DecisionFact,
  IncidentFacts,
  IncidentOptions,
  PartIncidentInput,
} from './types.ts';

/** Tries of one batch's transaction when it fails transiently (a deadlock victim, a key taken meanwhile). */
const RECORD_ATTEMPTS = 4;

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

/**
 * Campaigns and mass events become incidents: a timeline, the affected accounts, content samples, the
 * actions taken and running counts; operator notes; and an export with what a personal-information
 * incident notice needs.
 */
export class IncidentService {
  private readonly db: Db;
  private readonly opts: IncidentOptions;
  private readonly now: () => number;
  private recentContains: RecentContains = [];
  private readonly members = new KnownMembers();

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

  /**
   * Applies campaigns, decisions and actions (in arrival order) in one transaction (batch.ts); returns,
   * per item, the incidents it touched. The bus feed (feed.ts) gathers them per short window.
   */
  async record(items: readonly IncidentWork[]): Promise<string[][]> {
    if (items.length === 0) return [];
    // rolled back whole: nothing of a failed try was written, so running it again counts nothing twice
    return retryTransient(async () => {
      // a copy: a batch rolled back (and tried again) leaves the service's list as it was
      const recent = { list: [...this.recentContains] };
      let batch: IncidentBatch | undefined;
      const out = await this.db.transaction().execute(async (tx) => {
        await q.lockWriters(tx);
        batch = new IncidentBatch(tx, this.opts, recent, items, this.members);
        return batch.apply(items);
      });
      batch?.committed();
      this.recentContains = recent.list;
      return out;
    }, RECORD_ATTEMPTS);
  }

  /** A campaign was detected or grew. */
  async onCampaign(c: CampaignFact): Promise<string> {
    return (await this.record([{ kind: 'campaign', campaign: c }]))[0]![0]!;
  }

  /** A non-allow decision: joins the incidents of its campaigns; contain decisions can make a mass-hijack incident. */
  async onDecision(d: DecisionFact): Promise<string[]> {
    return (await this.record([{ kind: 'decision', decision: d }]))[0]!;
  }

  /** An action the response part took (or planned in dry-run) for an account in open incidents. */
  async onAction(a: ActionFact): Promise<void> {
    await this.record([{ kind: 'action', action: a }]);
  }

  /**
   * Opens (or joins) an incident inside the caller's transaction, with its affected accounts and one
   * timeline entry, so the incident commits with the change that caused it.
   */
  async recordInTx(tx: Tx, i: PartIncidentInput): Promise<{ id: string; created: boolean }> {
    await q.lockWriters(tx);
    const { row, created } = await this.upsert(tx, i.key, i.kind, i.title, i.at);
    for (let n = 0; n < i.accounts.length; n += 500)
      await q.addAccounts(tx, row.id, [...new Set(i.accounts.slice(n, n + 500))], i.at);
    await q.addTimeline(tx, {
      incident_id: row.id,
      at: i.at,
      kind: i.timeline.kind,
      summary: i.timeline.summary.slice(0, 500),
      data: JSON.stringify(i.timeline.data),
    });
    await this.touch(
      tx,
      row,
      (f) => {
        if (i.app) f.app = i.app;
      },
      i.at,
    );
    return { id: row.id, created };
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
  if (f.app) return appNotice(inc, f, f.app, contact);
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

function appNotice(
  inc: Awaited<ReturnType<IncidentService['get']>>,
  f: IncidentFacts,
  app: AppIncidentFacts,
  contact: string,
): IncidentNotice {
  const iso = (t: number) => new Date(t).toISOString();
  const fields = Object.entries(app.fieldsRead)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} (${n})`);
  const suspended = inc.kind === 'app_suspended';
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
      en: `The third-party app "${app.name}" (${app.client}) ${suspended ? 'was suspended platform-wide' : 'behaved anomalously'}: ${app.reason}.`,
      'zh-CN': `第三方应用“${app.name}”（${app.client}）${suspended ? '已在全平台停用' : '出现异常行为'}：${app.reason}。`,
    },
    dataInvolved: {
      en: fields.length
        ? fields.map((x) => `field read by the app: ${x} users`)
        : ['no field reads recorded'],
      'zh-CN': fields.length ? fields.map((x) => `该应用读取的字段：${x} 位用户`) : ['未记录到字段读取'],
    },
    whoIsAffected: {
      accounts: f.accounts,
      recipientsWarned: 0,
      en: `${f.accounts} users who authorised the app or whose data it read (${app.accountsRead} with recorded reads).`,
      'zh-CN': `${f.accounts} 位授权过该应用或数据被其读取的用户（其中 ${app.accountsRead} 位有读取记录）。`,
    },
    cause: { en: app.reason, 'zh-CN': app.reason },
    possibleHarm: {
      en: ['the app or whoever holds its tokens may keep or misuse the fields it read'],
      'zh-CN': ['该应用或持有其令牌者可能保留或滥用已读取的字段'],
    },
    remediesTaken: suspended
      ? {
          en: [
            'every token and grant of the app revoked',
            'each affected user told which fields the app had read',
          ],
          'zh-CN': ['已撤销该应用的全部令牌与授权', '已告知每位受影响用户该应用读取过哪些字段'],
        }
      : { en: ['under review by the operators'], 'zh-CN': ['运营人员正在审查'] },
    whatUsersCanDo: {
      en: [
        'Review your authorised apps and remove the ones you do not use',
        'Be wary of messages that quote your profile',
      ],
      'zh-CN': ['检查已授权的应用，移除不再使用的应用', '警惕引用你个人资料的可疑消息'],
    },
    contact,
    counts: f,
    timeline: inc.timeline.map((t) => ({ at: iso(t.at), kind: t.kind, summary: t.summary })),
    notes: inc.notes.map((n) => ({ at: iso(n.at), author: n.author, text: n.text })),
  };
}
