import type { IdentityService, SecondFactorsReverted } from '../identity/index.ts';
import type { RecoveryContext } from './context.ts';
import type { LoggedEvent } from './ports.ts';
import type { RestorePlan } from './restore.ts';
import type { RecoveryCasesTable } from './schema.ts';

/** Everything the owner's report says, as data (the JSON form). Absent parts were not known. */
export interface OwnerReport {
  case: string;
  account: { id: string; handle: string };
  generatedAt: number;
  window: { start: number; end: number };
  /** How the account was taken; `source` says where the fact comes from. */
  entry: {
    method: string;
    ip: string;
    device: string;
    at: number;
    source: 'engine' | 'signin-history';
  } | null;
  /** Why Gatehouse froze the account. */
  decision: { at: number; summary: string; why: { en: string; zh: string } | null } | null;
  /** What the intruder sent; null when the platform activity log was not available. */
  messages: {
    /** Messages that left the account (the pre-send check let them through, or was not asked). */
    count: number;
    /** Messages the pre-send check stopped: they reached nobody. */
    stopped: number;
    recipientsReached: number;
    groupsReached: number;
    sample: Array<{ at: number; text: string; urls: string[] }>;
  } | null;
  retracted: { count: number } | null;
  warned: { count: number } | null;
  restored: (RestorePlan & { sent: boolean }) | null;
  /** Sign-in factors put right at the restore (the intruder's removed, the owner's back); null: none known. */
  signInFactors: SecondFactorsReverted | null;
  sessionsRevoked: number;
  verifiedBy: string | null;
  restoredAt: number | null;
  /** Third-party apps that read the owner's data during the window, and which fields; null: not known. */
  apps: Array<{ client: string; name: { en: string; zh: string }; fields: string[]; reads: number }> | null;
  advice: Array<{ en: string; zh: string }>;
}

export const ADVICE: ReadonlyArray<{ en: string; zh: string }> = [
  {
    en: 'Change the old password on every other site or app where you used it: the intruder knows it.',
    zh: '在所有用过旧密码的网站和应用上修改密码：入侵者已经知道它。',
  },
  {
    en: 'Add a passkey to your account: it cannot be phished by a fake page or a relayed QR code.',
    zh: '为账号添加通行密钥（passkey）：假冒网页和转发的二维码无法骗取它。',
  },
  {
    en: 'Check the apps you have authorised and remove any you do not recognise or no longer use.',
    zh: '检查您授权过的应用，移除不认识或不再使用的应用。',
  },
  {
    en: 'Never scan a login QR code or approve a login that you did not start yourself, whatever the page promises.',
    zh: '无论页面承诺什么，都不要扫描或确认不是您本人发起的登录二维码或登录请求。',
  },
  {
    en: 'Tell your friends that messages sent from your account during this time were not from you.',
    zh: '告诉您的好友：这段时间从您账号发出的消息不是您发的。',
  },
];

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

/** The report in Markdown, in English or Chinese. */
export function reportMarkdown(r: OwnerReport, lang: 'en' | 'zh'): string {
  const zh = lang === 'zh';
  const L: string[] = [];
  const unknown = zh ? '未知' : 'not known';
  L.push(
    zh ? `# 账号 ${r.account.handle} 被盗情况报告` : `# What happened to your account ${r.account.handle}`,
  );
  L.push('');
  L.push(
    zh
      ? `被盗期间：${iso(r.window.start)} 至 ${iso(r.window.end)}（UTC）。申诉编号：${r.case}。`
      : `Compromise window: ${iso(r.window.start)} to ${iso(r.window.end)} (UTC). Case: ${r.case}.`,
  );
  L.push('');
  L.push(zh ? '## 账号是如何被盗的' : '## How the account was taken');
  if (r.entry) {
    const src =
      r.entry.source === 'engine'
        ? zh
          ? '（来自检测引擎）'
          : '(from the detection engine)'
        : zh
          ? '（根据登录记录推断：窗口内首次来自新 IP 或新设备的成功登录）'
          : '(inferred from sign-in history: the first successful sign-in from a new IP or device in the window)';
    L.push(
      zh
        ? `- ${iso(r.entry.at)} 通过「${r.entry.method}」方式登录，设备：${r.entry.device}，IP：${r.entry.ip} ${src}`
        : `- Signed in at ${iso(r.entry.at)} by "${r.entry.method}" from ${r.entry.device}, IP ${r.entry.ip} ${src}`,
    );
  } else L.push(zh ? `- ${unknown}` : `- ${unknown}`);
  if (r.decision)
    L.push(
      zh
        ? `- 冻结原因：${r.decision.why?.zh ?? r.decision.summary}`
        : `- Why it was frozen: ${r.decision.why?.en ?? r.decision.summary}`,
    );
  L.push('');
  L.push(zh ? '## 入侵者发送了什么' : '## What the intruder sent');
  if (r.messages) {
    L.push(
      zh
        ? `- 共 ${r.messages.count} 条消息，发给 ${r.messages.recipientsReached} 位联系人和 ${r.messages.groupsReached} 个群。`
        : `- ${r.messages.count} messages, to ${r.messages.recipientsReached} people and ${r.messages.groupsReached} groups.`,
    );
    if (r.messages.stopped)
      L.push(
        zh
          ? `- 另有 ${r.messages.stopped} 条在发送前被拦截，没有送达任何人。`
          : `- ${r.messages.stopped} more were stopped before sending and reached nobody.`,
      );
    for (const s of r.messages.sample)
      L.push(
        `  - ${iso(s.at)}: “${s.text.replace(/\s+/g, ' ')}”${s.urls.length ? ` (${s.urls.join(', ')})` : ''}`,
      );
  } else
    L.push(
      zh
        ? '- 平台活动记录不可用，无法统计。'
        : '- The platform activity log was not available, so this is not known.',
    );
  L.push('');
  L.push(zh ? '## 我们做了什么' : '## What we did');
  L.push(
    zh
      ? `- 撤回的消息：${r.retracted ? r.retracted.count : unknown}`
      : `- Messages retracted: ${r.retracted ? r.retracted.count : unknown}`,
  );
  L.push(
    zh
      ? `- 已提醒的收件人：${r.warned ? r.warned.count : unknown}`
      : `- Recipients warned: ${r.warned ? r.warned.count : unknown}`,
  );
  L.push(zh ? `- 退出的会话：${r.sessionsRevoked}` : `- Sessions signed out: ${r.sessionsRevoked}`);
  const f = r.signInFactors;
  if (f && (f.passkeysRemoved.length > 0 || f.totpRemoved))
    L.push(
      zh
        ? `- 删除了入侵者添加的登录方式：通行密钥 ${f.passkeysRemoved.length} 个${f.totpRemoved ? '、身份验证器应用 1 个' : ''}`
        : `- Removed the sign-in methods the intruder added: ${f.passkeysRemoved.length} passkeys${f.totpRemoved ? ', 1 authenticator app' : ''}`,
    );
  if (f && (f.passkeysRestored.length > 0 || f.totpRestored))
    L.push(
      zh
        ? `- 恢复了入侵者删除的您的登录方式：通行密钥 ${f.passkeysRestored.length} 个${f.totpRestored ? '、身份验证器应用 1 个' : ''}`
        : `- Put back your sign-in methods the intruder removed: ${f.passkeysRestored.length} passkeys${f.totpRestored ? ', 1 authenticator app' : ''}`,
    );
  if (f && (f.passkeysLeftRemoved.length > 0 || f.totpLeftRemoved))
    L.push(
      zh
        ? `- 未恢复从入侵开始前登录的会话中删除的登录方式：通行密钥 ${f.passkeysLeftRemoved.length} 个${f.totpLeftRemoved ? '、身份验证器应用 1 个' : ''}（可能是您自己删除的，例如丢失的手机）。如果它们是您的且设备仍在您手中，请重新添加。`
        : `- Not put back, because they were removed from a session that began before the takeover (you may have removed them yourself, for example a lost phone): ${f.passkeysLeftRemoved.length} passkeys${f.totpLeftRemoved ? ', 1 authenticator app' : ''}. If they were yours and the device is still with you, add them again.`,
    );
  if (r.restored) {
    const what = zh
      ? `好友 ${r.restored.friends.length} 位、群 ${r.restored.groups.length} 个、资料项 ${r.restored.profile.length} 个`
      : `${r.restored.friends.length} friends, ${r.restored.groups.length} groups, ${r.restored.profile.length} profile fields`;
    L.push(
      r.restored.sent
        ? zh
          ? `- 已请求平台恢复：${what}`
          : `- Asked the platform to restore: ${what}`
        : zh
          ? `- 需要恢复：${what}（恢复指令未能发送，客服会跟进）`
          : `- To restore: ${what} (the instruction could not be sent; support will follow up)`,
    );
  } else
    L.push(
      zh
        ? '- 平台活动记录不可用，无法确定需要恢复的好友、群和资料。'
        : '- The platform activity log was not available, so what to restore is not known.',
    );
  if (r.apps) {
    L.push('');
    L.push(zh ? '## 这段时间读取了您数据的应用' : '## Apps that read your data during this time');
    if (r.apps.length === 0) L.push(zh ? '- 没有应用读取您的数据。' : '- No app read your data.');
    for (const a of r.apps)
      L.push(
        zh
          ? `- ${a.name.zh}：${a.fields.join('、')}（${a.reads} 次）`
          : `- ${a.name.en}: ${a.fields.join(', ')} (${a.reads} reads)`,
      );
  }
  L.push('');
  L.push(zh ? '## 您现在应该做什么' : '## What you should do now');
  for (const a of r.advice) L.push(`- ${zh ? a.zh : a.en}`);
  L.push('');
  return L.join('\n');
}

/** The owner's report of a case, from what the engine, the response part and identity know. */
export async function buildReport(x: RecoveryContext, c: RecoveryCasesTable): Promise<OwnerReport> {
  const account = await x.identity.getAccount(c.account_id);
  // Asked as at the case's opening, like at opening: actions taken just after the freeze count too.
  const facts = await x.deps.compromiseFacts?.(c.account_id, c.created_at);
  let entry: OwnerReport['entry'] = facts?.entry
    ? { ...facts.entry, source: 'engine' }
    : await entryFromSignins(x.identity, c.account_id, c.window_start, c.window_end);
  if (entry)
    entry = { method: entry.method, ip: entry.ip, device: entry.device, at: entry.at, source: entry.source };
  let messages: OwnerReport['messages'] = null;
  if (x.deps.eventLog) {
    const sent = await x.deps.eventLog.between(c.account_id, c.window_start, c.window_end, {
      types: ['message.sent'],
    });
    messages = summariseMessages(sent, new Set(facts?.stopped ?? []));
  }
  const sessions = await x.identity.sessionsForReview(c.account_id, c.window_start, c.window_end);
  const restore = c.restore ? (JSON.parse(c.restore) as (RestorePlan & { sent: boolean }) | null) : null;
  const restoreStep = c.state === 'restored' ? await x.caseStep(c.id, 'restore') : undefined;
  const reverted = (restoreStep?.signInFactors ?? null) as Partial<SecondFactorsReverted> | null;
  // restores recorded before the "left removed" fields existed lack them
  const signInFactors: SecondFactorsReverted | null = reverted
    ? {
        passkeysRemoved: reverted.passkeysRemoved ?? [],
        passkeysRestored: reverted.passkeysRestored ?? [],
        totpRemoved: reverted.totpRemoved ?? false,
        totpRestored: reverted.totpRestored ?? false,
        passkeysLeftRemoved: reverted.passkeysLeftRemoved ?? [],
        totpLeftRemoved: reverted.totpLeftRemoved ?? false,
      }
    : null;
  return {
    case: c.id,
    account: { id: account.id, handle: account.handle },
    generatedAt: x.now(),
    window: { start: c.window_start, end: c.window_end },
    entry,
    decision: facts?.decision
      ? { at: facts.decision.at, summary: facts.decision.summary, why: facts.decision.why ?? null }
      : null,
    messages,
    retracted: facts?.retracted ? { count: facts.retracted.count } : null,
    warned: facts?.warned ? { count: facts.warned.count } : null,
    restored: restore,
    signInFactors,
    sessionsRevoked: sessions.filter(
      (s) => s.createdAt >= c.window_start && s.createdAt <= c.window_end && s.revokedAt !== null,
    ).length,
    verifiedBy: c.verified_by,
    restoredAt: c.state === 'restored' ? c.closed_at : null,
    apps: x.deps.grants?.readsDuring
      ? (await x.deps.grants.readsDuring(c.account_id, c.window_start, c.window_end)).map((a) => ({
          client: a.client,
          name: a.name,
          fields: a.fields,
          reads: a.reads,
        }))
      : null,
    advice: [...ADVICE],
  };
}

/**
 * Without the engine: the first successful sign-in in [from, to] from an IP or a device the account had
 * not signed in from before (an account's very first sign-in is never suspect).
 */
export async function entryFromSignins(
  identity: IdentityService,
  accountId: string,
  from: number,
  to: number,
): Promise<OwnerReport['entry']> {
  const rows = (await identity.signins(accountId, 500))
    .filter((r) => r.success && r.at <= to)
    .sort((a, b) => a.at - b.at || a.seq - b.seq);
  const ips = new Set<string>();
  const devices = new Set<string>();
  for (const r of rows) {
    if (r.at >= from && ips.size > 0 && (!ips.has(r.ip) || !devices.has(r.device.label)))
      return { method: r.method, ip: r.ip, device: r.device.label, at: r.at, source: 'signin-history' };
    ips.add(r.ip);
    devices.add(r.device.label);
  }
  return null;
}

/**
 * Counts, reach and a small sample of the messages the intruder got out in the window. A message the
 * pre-send check stopped (`stopped`) reached nobody: it is counted apart, never as sent.
 */
export function summariseMessages(
  events: readonly LoggedEvent[],
  stopped: ReadonlySet<string> = new Set(),
): NonNullable<OwnerReport['messages']> {
  const idOf = (e: LoggedEvent) => (typeof e.messageId === 'string' ? e.messageId : e.id);
  const sent = events.filter((e) => !stopped.has(idOf(e)) && !stopped.has(e.id));
  const people = new Set<string>();
  const groups = new Set<string>();
  for (const e of sent) {
    if (Array.isArray(e.recipients)) for (const r of e.recipients) if (typeof r === 'string') people.add(r);
    const g = (e.group as { id?: unknown } | undefined)?.id;
    if (typeof g === 'string') groups.add(g);
  }
  const sample = [...events]
    .sort((a, b) => a.time - b.time)
    .slice(0, 3)
    .map((e) => ({
      at: e.time,
      text: typeof e.text === 'string' ? [...e.text].slice(0, 200).join('') : '',
      urls: Array.isArray(e.urls) ? e.urls.filter((u): u is string => typeof u === 'string').slice(0, 5) : [],
    }));
  return {
    count: sent.length,
    stopped: events.length - sent.length,
    recipientsReached: people.size,
    groupsReached: groups.size,
    sample,
  };
}
